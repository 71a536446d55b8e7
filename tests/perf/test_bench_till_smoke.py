"""Smoke run of the till benchmark: every row is produced end to end (the register screen
offscreen, search per keystroke, cold starts of the real client with the ready hook) with its
baseline beside it, and the figures are sane. No timing thresholds (machines differ); 2,000
products, 60 scans and 2 starts instead of the full run (``python -m tests.perf.bench_till``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_till import SMOKE_PRODUCTS, SMOKE_SCANS, SMOKE_STARTS, run


def _sane_row(figures: dict, name: str, count: int | None = None) -> None:
    p50, p95, p99 = (figures[f"{name}_{k}_ms"] for k in ("p50", "p95", "p99"))
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in (p50, p95, p99)), name
    assert p50 <= p95 <= p99, name
    assert figures[f"{name}_count"] == (count if count is not None else figures[f"{name}_count"])
    assert figures[f"{name}_count"] > 0, name


@pytest.mark.perf
def test_till_benchmark_smoke(tmp_path: Path, capsys, qapp) -> None:  # noqa: ANN001
    # qapp: pytest-qt's application, so the register screen does not make its own
    with capsys.disabled():  # the table is the point of running it
        f = run(SMOKE_PRODUCTS, scans=SMOKE_SCANS, starts=SMOKE_STARTS,
                cache=tmp_path / "cache", workdir=tmp_path)

    assert f["products"] == SMOKE_PRODUCTS and f["build_s"] > 0  # a fresh cache: built here
    assert (Path(f["store"]) / "bench-store.json").exists()
    # every scan went through the screen, the service and the bare SELECT
    for row in ("scan", "scan_service", "scan_paint", "scan_select"):
        _sane_row(f, row, SMOKE_SCANS)
    assert f["scan_errors"] == 0 and f["scan_carts"] >= 1 and f["scan_labels"] >= 1
    assert f["scan_service_p50_ms"] <= f["scan_p50_ms"]  # the service is part of the whole
    _sane_row(f, "search")
    for row in ("search_like_name", "search_like_sku", "search_like_both"):
        _sane_row(f, row, f["search_count"] // 3)  # three rounds of the service, one baseline
    assert f["search_empty"] < f["search_queries"]
    assert f["start_runs"] == SMOKE_STARTS == len(f["start_s"]) == len(f["start_bare_s"])
    for key in ("start_p50_s", "start_own_p50_s", "start_bare_p50_s"):
        assert math.isfinite(f[key]) and f[key] > 0, key
    # the client counted from its own start, the parent from the spawn: the parent's is longer
    assert f["start_own_p50_s"] <= f["start_p50_s"] + 0.05


@pytest.mark.perf
def test_a_kept_store_is_reused(tmp_path: Path) -> None:
    from tests.perf.till_store import cached_store

    folder, built = cached_store(200, tmp_path)
    again, rebuilt = cached_store(200, tmp_path)
    assert built is not None and built > 0
    assert again == folder and rebuilt is None
