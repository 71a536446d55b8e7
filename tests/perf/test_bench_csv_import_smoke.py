"""Smoke run of the CSV import benchmark on a small shop: each kind's file is imported whole
(every row a change, none refused) beside the bare ``csv`` parse of it, and the outbox it
leaves is pushed through ``sync.push`` to the end, every mutation answered, the movements
marked synced. No timing thresholds (machines differ); the full run is
``python -m tests.perf.bench_csv_import`` (100,000 rows)."""

from __future__ import annotations

import math

import pytest

from tests.perf.bench_csv_import import KINDS, run

ROWS = 200


@pytest.mark.perf
def test_csv_import_benchmark_smoke(tmp_path, capsys) -> None:  # noqa: ANN001
    with capsys.disabled():
        f = run(ROWS, workdir=tmp_path)
    for kind in KINDS:
        figures = f[kind]
        assert figures["parsed"] == ROWS and figures["errors"] == 0, kind
        assert figures["written"] == ROWS and figures["update" if kind != "customers"
                                                      else "create"] == ROWS, kind
        assert all(math.isfinite(figures[k]) and figures[k] > 0
                   for k in ("parse_s", "preview_s", "import_s")), kind
    assert f["before_push"]["outbox"] == 3 * ROWS and f["before_push"]["unsynced"] == ROWS
    assert f["push"]["sent"] == f["push"]["applied"] == f["push"]["received"] == 3 * ROWS
    assert f["push"]["batches"] >= 3 * ROWS // 100 and f["push"]["held"] == 0
    assert f["after_push"] == {"outbox": 0, "movements": ROWS, "unsynced": 0}
