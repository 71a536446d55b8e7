"""Smoke run of the server benchmark: it works end to end and its figures are sane. No timing
thresholds (machines differ); bcrypt cost 4 and half a second per row instead of the full run
(``python -m tests.perf.bench_server``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_server import QUICK_BCRYPT, ROWS, run


@pytest.mark.perf
def test_server_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(0.5, 4, bcrypt_rounds=QUICK_BCRYPT, workdir=tmp_path)

    assert figures["concurrency"] == 4 and figures["bcrypt_rounds"] == QUICK_BCRYPT
    for name, _ in ROWS:
        rate, p50, p99 = (figures[f"{name}_{k}"] for k in ("rps", "p50_ms", "p99_ms"))
        for value in (rate, p50, p99):
            assert isinstance(value, float) and math.isfinite(value) and value > 0, (name, value)
        assert p99 >= p50, name
        assert figures[f"{name}_count"] >= 1, name
        assert figures[f"{name}_errors"] == 0, name  # rate limits are lifted for the benchmark
