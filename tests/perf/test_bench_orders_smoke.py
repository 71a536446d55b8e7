"""Smoke run of the order-creation benchmark: it works end to end and its figures are sane.
No timing thresholds (machines differ); 500 products and half a second per row instead of the
full run (``python -m tests.perf.bench_orders``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_orders import POOL, ROWS, run
from tests.perf.sanity import check_timed_row, prefixed_row


@pytest.mark.perf
def test_order_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(POOL, 0.5, 2, workdir=tmp_path)

    assert figures["products"] == POOL and figures["concurrency"] == 2
    for name, _ in ROWS:  # no errors: every checkout made its order
        check_timed_row(prefixed_row(figures, name), name)
    assert math.isclose(figures["ratio"], figures["raw_order_rps"] / figures["order_rps"])
