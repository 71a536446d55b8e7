"""Smoke run of the reports benchmark: it works end to end, the rollups answer what the raw
aggregation answers, and the figures are sane. No timing thresholds; 2,000 lines instead of
the full 100,000 (``python -m tests.perf.bench_reports``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_reports import run


@pytest.mark.perf
def test_reports_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(2_000, 2, workdir=tmp_path)

    assert figures["lines"] >= 2_000 and figures["orders"] >= 2_000 // 9
    assert figures["raw_matches"] is True and figures["products"] > 100
    for name in ("by_day", "by_product", "top10", "raw_by_product"):
        p50, worst = figures[f"{name}_p50_ms"], figures[f"{name}_max_ms"]
        assert math.isfinite(p50) and 0 < p50 <= worst, name
    for name in ("order", "bare"):
        assert 0 < figures[f"{name}_p50_ms"] <= figures[f"{name}_p99_ms"], name
