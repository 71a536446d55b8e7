"""Smoke run of the back office's product list benchmark: the store is built by bulk SQL with
its summaries and search index, every query of the list runs and finds what the data holds,
and the naive baseline runs beside it. No timing thresholds; 3,000 products instead of the full
1,000,000 (``python -m tests.perf.bench_back_office_products``)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from tests.perf.bench_back_office_products import SMOKE_PRODUCTS, cases, run


@pytest.mark.perf
def test_back_office_products_benchmark_smoke(tmp_path: Path) -> None:
    out = io.StringIO()
    f = run(SMOKE_PRODUCTS, repeat=2, workdir=tmp_path, out=out)
    assert [label for label, _, _ in f["rows"]] == [c[0] for c in cases(SMOKE_PRODUCTS)]
    counts = {label: count for label, count, _ in f["rows"]}
    assert counts["count only"] == SMOKE_PRODUCTS * 9 // 10  # a tenth is archived
    assert counts["archived, by name"] == SMOKE_PRODUCTS // 10
    assert 0 < counts["low stock"] < SMOKE_PRODUCTS // 50
    assert 0 < counts["search 'green tea'"] < counts["count only"]
    assert counts["search SKU prefix"] >= 1
    for label, _, t in f["rows"]:
        assert math.isfinite(t["median_ms"]) and 0 < t["median_ms"] <= t["worst_ms"], label
    assert f["baseline"]["median_ms"] > 0 and "baseline" in out.getvalue()
