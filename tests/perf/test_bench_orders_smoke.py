"""Smoke run of the order-creation benchmark: it works end to end and its figures are sane.
No timing thresholds (machines differ); 500 products and half a second per row instead of the
full run (``python -m tests.perf.bench_orders``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_orders import POOL, ROWS, run


@pytest.mark.perf
def test_order_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(POOL, 0.5, 2, workdir=tmp_path)

    assert figures["products"] == POOL and figures["concurrency"] == 2
    for name, _ in ROWS:
        rate, p50, p99 = (figures[f"{name}_{k}"] for k in ("rps", "p50_ms", "p99_ms"))
        for value in (rate, p50, p99):
            assert isinstance(value, float) and math.isfinite(value) and value > 0, (name, value)
        assert p99 >= p50, name
        assert figures[f"{name}_count"] >= 1, name
        assert figures[f"{name}_errors"] == 0, name  # every checkout made its order
    assert math.isclose(figures["ratio"], figures["raw_order_rps"] / figures["order_rps"])
