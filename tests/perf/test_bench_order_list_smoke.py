"""Smoke run of the order list benchmark: the big store is written, every row reads what it
should (full pages, counts that add the two tables up, filters that narrow), and the figures
are sane. No timing thresholds (machines differ); 5,000 + 1,000 orders instead of 1,000,000 +
200,000 (``python -m tests.perf.bench_order_list``)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from tests.perf.bench_order_list import PAGE, SMOKE_ORDERS, SMOKE_REMOTE, run


@pytest.mark.perf
def test_order_list_benchmark_smoke(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run(SMOKE_ORDERS, SMOKE_REMOTE, 2, workdir=tmp_path, out=out)
    f = result["figures"]
    for name, row in f.items():
        assert math.isfinite(row["p50_ms"]) and 0 < row["p50_ms"] <= row["max_ms"], name
    assert f["count_all"]["rows"] == SMOKE_ORDERS + SMOKE_REMOTE
    assert f["raw_count"]["rows"] == SMOKE_ORDERS
    for name in ("page_first", "page_middle", "status_confirmed", "customer_smith",
                 "sorted_by_total", "raw_page"):
        assert f[name]["rows"] == PAGE, name
    for name in ("status_confirmed", "customer_smith", "number_part", "one_week"):
        assert 0 < f[f"{name}_count"]["rows"] < SMOKE_ORDERS + SMOKE_REMOTE, name
    assert "page_first: p50" in out.getvalue()
