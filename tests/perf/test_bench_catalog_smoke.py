"""Smoke run of the catalogue benchmark: it works end to end (seed-demo, raw inserts, a real
server under concurrent reads) and its figures are sane. No timing thresholds; 1,000 products
and half a second per row instead of 100,000 and 1,000,000 (``python -m tests.perf.bench_catalog``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.perf.bench_catalog import SMOKE_SIZE, run
from tests.perf.sanity import check_timed_row


@pytest.mark.perf
def test_catalog_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        [result] = run((SMOKE_SIZE,), seconds=0.5, concurrency=4, progress=io.StringIO(),
                       workdir=tmp_path, raw_cap=5_000)

    assert result["products"] == SMOKE_SIZE and result["seed"]["products"] == SMOKE_SIZE
    assert result["seed"]["documents"] > 5 * SMOKE_SIZE  # codes, stock, feed entries too
    assert 0 < result["raw_insert"]["documents"] <= result["seed"]["documents"]
    for name in ("read", "raw_read", "list", "raw_list"):
        check_timed_row(result[name], name)
