"""Smoke run of the back office's stock benchmark: every list query runs and finds what the
data holds, a full count is started over every variant, and the naive baseline runs beside
it. No timing thresholds; 3,000 products instead of the full 1,000,000
(``python -m tests.perf.bench_back_office_stock``)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from tests.perf.bench_back_office_stock import SMOKE_PRODUCTS, cases, run


@pytest.mark.perf
def test_back_office_stock_benchmark_smoke(tmp_path: Path) -> None:
    out = io.StringIO()
    f = run(SMOKE_PRODUCTS, repeat=1, workdir=tmp_path, out=out)
    found = {label: count for label, count, _ in f["rows"]}
    assert list(found)[:len(cases())] == [c[0] for c in cases()]
    assert found["levels: count only"] == SMOKE_PRODUCTS * 9 // 10  # a tenth is archived
    assert found["levels: barcode"] == 1 and found["history of one variant"] == 50
    assert 0 < found["low-stock list"] < SMOKE_PRODUCTS // 50
    assert 0 < found["levels: search 'green'"] < found["levels: count only"]
    assert f["count_lines"] == found["levels: count only"] == found["count: its lines, first page"]
    for label, _, t in f["rows"]:
        assert math.isfinite(t["median_ms"]) and 0 < t["median_ms"] <= t["worst_ms"], label
    assert f["start_count_ms"] > 0 and "baseline" in out.getvalue()
