"""How fast ``apply_page`` turns server-shaped pages into rows: an empty till takes a demo
catalogue in pages of 5,000 products (about two variants each, a barcode per variant), as an
initial pull does. The test runs a small size and checks only that nothing went quadratic;
for the figure: ``python -m tests.sync.test_apply_bench [PRODUCTS] [--levels]``."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from app.setup import initialise
from db.engine import LocalStore
from db.models import Product
from sync.apply import apply_page
from tests.sync.feed_pages import demo_catalogue


def measure(local: LocalStore, products: int, *, levels: bool = False) -> dict[str, float]:
    with local.write() as session:
        store, _ = initialise(session, store_name="Bench", currency="EUR")
        store_id = store.id
    pages = demo_catalogue(store_id, products, levels=levels)
    entries = sum(len(p["changes"]) for p in pages)
    started = time.perf_counter()
    for page in pages:
        with local.write() as session:  # as the pull does: a page and its commit
            apply_page(session, page, store_id=store_id)
    seconds = time.perf_counter() - started
    with local.read() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == products
    return {"products": products, "entries": entries, "pages": len(pages),
            "seconds": round(seconds, 3), "products_per_s": round(products / seconds),
            "entries_per_s": round(entries / seconds)}


def test_apply_page_keeps_its_pace(store, capsys):
    figures = measure(store, 10_000)
    with capsys.disabled():
        print(f"\napply_page: {figures}")
    # a floor far below the measured rate: it fails only when something turns per-row
    assert figures["products_per_s"] > 2_000


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
    with tempfile.TemporaryDirectory() as folder:
        local = LocalStore.open(Path(folder) / "bench.sqlite3")
        try:
            print(measure(local, count, levels="--levels" in sys.argv))
        finally:
            local.close()
