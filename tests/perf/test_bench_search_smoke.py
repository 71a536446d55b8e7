"""Smoke run of the search benchmark: it works end to end (builder, service layer, HTTP on a
real server, LIKE baseline) and its figures are sane. No timing thresholds; 2,000 products and
20 queries per mix instead of the full run (``python -m tests.perf.bench_search``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_search import MIXES, run


@pytest.mark.perf
def test_search_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(2000, per_mix=20, http=True, workdir=tmp_path)

    assert figures["products"] == 2000
    assert figures["build_rate"] > 0 and figures["size_mb"] > 0
    assert 0.5 <= figures["typo_recall"] <= 1.0  # one edit on a 5+ letter word: mostly found
    for mix in MIXES:
        for column in ("service", "http", "baseline"):
            p50, p99 = figures[f"{mix}_{column}_p50_ms"], figures[f"{mix}_{column}_p99_ms"]
            assert math.isfinite(p50) and 0 < p50 <= p99, (mix, column)
            assert figures[f"{mix}_{column}_count"] == 20  # below the baseline's sample size
