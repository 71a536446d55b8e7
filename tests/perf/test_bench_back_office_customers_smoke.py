"""Smoke run of the customer list benchmark: the big shop is written, every row reads what it
should (full pages, the count of every customer, searches that narrow, a detail with its
purchases), and the figures are sane. No timing thresholds (machines differ); 5,000 customers
instead of 100,000 (``python -m tests.perf.bench_back_office_customers``)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from tests.perf.bench_back_office_customers import PAGE, SMOKE_CUSTOMERS, SMOKE_ORDERS, run


@pytest.mark.perf
def test_customer_list_benchmark_smoke(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run(SMOKE_CUSTOMERS, SMOKE_ORDERS, 2, workdir=tmp_path, out=out)
    f = result["figures"]
    for name, row in f.items():
        assert math.isfinite(row["p50_ms"]) and 0 < row["p50_ms"] <= row["max_ms"], name
    assert f["count_all"]["rows"] == SMOKE_CUSTOMERS
    for name in ("page_first", "page_middle", "by_email_first", "raw_page", "raw_page_middle"):
        assert f[name]["rows"] == PAGE, name
    for name in ("search_name", "search_phone"):
        assert 0 < f[f"{name}_count"]["rows"] < SMOKE_CUSTOMERS, name
    assert f["detail"]["rows"] > 0  # customer 3's sales and server orders
    assert "page_first: p50" in out.getvalue()
