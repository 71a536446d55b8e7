"""Smoke run of the server benchmark: it works end to end and its figures are sane. No timing
thresholds (machines differ); bcrypt cost 4 and half a second per row instead of the full run
(``python -m tests.perf.bench_server``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.perf.bench_server import QUICK_BCRYPT, ROWS, run
from tests.perf.sanity import check_timed_row, prefixed_row


@pytest.mark.perf
def test_server_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        figures = run(0.5, 4, bcrypt_rounds=QUICK_BCRYPT, workdir=tmp_path)

    assert figures["concurrency"] == 4 and figures["bcrypt_rounds"] == QUICK_BCRYPT
    for name, _ in ROWS:  # no errors: rate limits are lifted for the benchmark
        check_timed_row(prefixed_row(figures, name), name)
