"""Smoke run of the sync benchmark: it works end to end and its figures are sane. No timing
thresholds (machines differ); 500 products, 40 orders and 20 empty rounds instead of the full
run (``python -m tests.perf.bench_sync``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.perf.bench_sync import run
from tests.perf.sanity import check_timed_row, prefixed_row

PRODUCTS, ORDERS, ROUNDS = 500, 40, 20


def _positive(value: object) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.mark.perf
def test_sync_benchmark_smoke(tmp_path: Path, capsys) -> None:
    with capsys.disabled():  # the table is the point of running it
        f = run(PRODUCTS, ORDERS, ROUNDS, limit=200, workdir=tmp_path)

    assert (f["products"], f["orders"], f["rounds"], f["limit"]) == (PRODUCTS, ORDERS, ROUNDS, 200)
    # the pull filled the empty till, and so did the same pages applied without HTTP
    assert f["pull_products_here"] == f["apply_products"] == PRODUCTS
    assert f["pull_pages"] > 1 and f["pull_deferred_left"] == 0
    assert f["pull_entries"] > PRODUCTS and f["raw_read_entries"] >= f["pull_entries"]
    # every sale went through once, over HTTP and again through the handlers on a fresh db
    assert f["push_sent"] == f["push_applied"] == f["raw_push_applied"] == ORDERS
    assert f["push_left"] == 0 and f["push_batches"] >= 1
    assert f["raw_push_documents"] >= ORDERS and f["raw_push_commands"] >= f["push_batches"]
    assert 0 < f["raw_push_db_s"] and f["raw_push_top"]
    for key in ("seed_s", "pull_s", "pull_http_s", "apply_s", "fetch_s", "raw_read_s",
                "ring_up_s", "push_s", "push_http_s", "raw_push_s", "rounds_wall_s"):
        assert _positive(f[key]), (key, f[key])
    assert f["pull_http_s"] < f["pull_s"] and f["push_http_s"] < f["push_s"]
    for row in ("pull", "raw_read", "push", "raw_push", "rounds"):  # CPU seconds, where known
        assert f[f"{row}_cpu_till"] > 0 and f[f"{row}_cpu_server"] >= 0 and f[f"{row}_cpu_db"] >= 0
    for name in ("round", "raw_get", "local_reads"):  # every empty round found nothing to do
        check_timed_row(prefixed_row(f, name), name)
        assert f[f"{name}_count"] == ROUNDS
