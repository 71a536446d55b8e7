"""Benchmark (not a timed test): CSV import of products, stock counts and customers, each
beside the bare ``csv`` parse of the same file, measured in the same run; then the push of the
outbox the imports filled.

    python -m tests.perf.bench_csv_import [--rows N] [--dir DIR] [--no-push]
    python -m tests.perf.bench_csv_import --smoke      (2,000 rows)

Builds a shop of N products (default 100,000) with one variant, one barcode and some stock
each (core inserts: the demo generator takes minutes at this size), and three files of N rows:

- products: the catalogue as ``tillpoint export products`` writes it, every price up by 0.01
  (N variant updates, N ``product.update`` mutations);
- stock: the levels as the export writes them, every count one more (N ``count`` movements);
- customers: N new customers with an email and a phone (N ``customer.upsert``).

Rows: ``preview`` (read and check every row; what the page's Preview runs) and ``import``
(``run_import``: the same check again inside the write transaction, then the writes and the
commit), each in seconds and rows/s; the baseline is ``csv.reader`` over the same file (what
no import can beat). The target is an import of 100,000 rows in under 30 s.

Push: the outbox those imports left (3 × N entries) pushed through ``sync.push.push`` to a
stand-in server that answers every mutation ``applied`` at once, so the figure is the till's
own side (numbering, batching in 100s, recording each answer, deleting): it shows the push
copes with an outbox of this size and how long the till spends on it.

No figure is asserted: machines differ. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app import exports
from app.back_office.data import service
from app.domain.barcodes import in_store_ean13
from app.local_auth import hash_pin
from app.sales.identity import this_register
from app.setup import initialise
from db.base import new_id
from db.engine import LocalStore
from db.models import (Barcode, OutboxEntry, Product, StaffUser, StockLevel, StockMovement,
                       TaxClass, TaxRate, Variant)

FULL_ROWS, SMOKE_ROWS = 100_000, 2_000
TARGET_SECONDS = 30.0
KINDS = ("products", "stock", "customers")


def build_shop(path: Path, rows: int) -> tuple[LocalStore, str]:
    """A shop of ``rows`` products with stock, and its manager's id."""
    store = LocalStore.open(path)
    with store.write() as session:
        initialise(session, store_name="Bench Shop", currency="EUR")
    with store.write() as session:
        shop, _ = this_register(session)
        manager = StaffUser(name="Manager", email="manager@bench.tillpoint", role="manager",
                            pin_hash=hash_pin("1234", iterations=1000))
        tax = TaxClass(name="Standard")
        session.add_all([manager, tax])
        session.flush()
        session.add(TaxRate(tax_class_id=tax.id, name="VAT 21%", rate_ppm=210_000))
        for start in range(0, rows, 5000):
            chunk = range(start, min(rows, start + 5000))
            products = [{"id": new_id(), "name": f"Bench product {n}", "tax_class_id": tax.id,
                         "description": "", "brand": "Bench", "tags": ""} for n in chunk]
            session.execute(insert(Product), products)
            variants = [{"id": new_id(), "product_id": p["id"], "sku": f"B{n:07d}",
                         "price": 100 + n % 5000, "cost": 50} for n, p in zip(chunk, products)]
            session.execute(insert(Variant), variants)
            session.execute(insert(Barcode), [{"code": in_store_ean13(n), "variant_id": v["id"]}
                                              for n, v in zip(chunk, variants)])
            session.execute(insert(StockLevel), [
                {"store_id": shop.id, "variant_id": v["id"], "quantity_milli": (n % 40) * 1000}
                for n, v in zip(chunk, variants)])
        return store, manager.id


def write_files(store: LocalStore, folder: Path, rows: int) -> dict[str, Path]:
    files = {kind: folder / f"{kind}.csv" for kind in KINDS}
    exported = folder / "exported-products.csv"
    exports.export(store, "products", exported)
    with exported.open(encoding="utf-8", newline="") as source, \
            files["products"].open("w", encoding="utf-8", newline="") as target:
        reader, writer = csv.DictReader(source), None
        for row in reader:
            if writer is None:
                writer = csv.DictWriter(target, reader.fieldnames)
                writer.writeheader()
            euros, cents = row["price"].split(".")
            minor = int(euros) * 100 + int(cents) + 1
            row["price"] = f"{minor // 100}.{minor % 100:02d}"
            writer.writerow(row)
    exported = folder / "exported-stock.csv"
    exports.export(store, "stock", exported)
    with exported.open(encoding="utf-8", newline="") as source, \
            files["stock"].open("w", encoding="utf-8", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, reader.fieldnames)
        writer.writeheader()
        for row in reader:
            row["quantity"] = str(int(row["quantity"]) + 1)
            writer.writerow(row)
    with files["customers"].open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["id", "name", "email", "phone", "address", "notes", "tax_number"])
        for n in range(rows):
            writer.writerow(["", f"Customer {n}", f"customer{n}@bench.example",
                             f"+32 470 {n:06d}", f"{n} Bench Street\n1000 Brussels", "", ""])
    return files


def bare_parse(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        count = sum(1 for _ in csv.reader(handle)) - 1
    return count, time.perf_counter() - started


class AcceptAll:
    """A stand-in server that applies whatever it is sent (the till's side of a push only)."""

    def __init__(self) -> None:
        self.received = 0

    def push(self, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        self.received += len(mutations)
        return {"results": [{"id": m["id"], "status": "applied"} for m in mutations]}


def _counts(store: LocalStore) -> dict[str, int]:
    with store.read() as session:
        return {"outbox": session.scalar(select(func.count()).select_from(OutboxEntry)),
                "movements": session.scalar(select(func.count()).select_from(StockMovement)),
                "unsynced": session.scalar(select(func.count()).select_from(StockMovement)
                                           .where(StockMovement.synced.is_(False)))}


def run(rows: int, *, workdir: Path | None = None, push: bool = True,
        out=sys.stdout) -> dict[str, Any]:  # noqa: ANN001
    figures: dict[str, Any] = {"rows": rows}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="bench-csv-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        store, manager = build_shop(folder / "tillpoint.sqlite3", rows)
        files = write_files(store, folder, rows)
        figures["setup_s"] = time.perf_counter() - started
        try:
            print(f"CSV import, {rows:,} rows per file; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
            print(f"{'kind':<10} {'csv parse':>18} {'preview':>18} {'import':>18}  result",
                  file=out)
            for kind in KINDS:
                parsed, parse_s = bare_parse(files[kind])
                t0 = time.perf_counter()
                preview = service.preview(store, kind, files[kind], staff_id=manager)
                preview_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                result = service.run_import(store, kind, files[kind], staff_id=manager,
                                            expected_sha256=preview.sha256)
                import_s = time.perf_counter() - t0
                figures[kind] = {"parsed": parsed, "parse_s": parse_s, "preview_s": preview_s,
                                 "import_s": import_s, "written": result.written,
                                 "update": preview.update, "create": preview.create,
                                 "errors": len(preview.errors)}

                def rate(seconds: float) -> str:
                    return f"{seconds:6.2f} s {parsed / seconds:>8,.0f}/s"
                verdict = "ok" if import_s < TARGET_SECONDS * rows / FULL_ROWS else "SLOW"
                print(f"{kind:<10} {rate(parse_s):>18} {rate(preview_s):>18} "
                      f"{rate(import_s):>18}  {result.written:,} written ({verdict}: target "
                      f"{TARGET_SECONDS:.0f} s per {FULL_ROWS:,})", file=out)
            figures["before_push"] = _counts(store)
            if push:
                from sync.push import push as push_outbox

                server = AcceptAll()
                t0 = time.perf_counter()
                pushed = push_outbox(store, server)
                push_s = time.perf_counter() - t0
                figures["push"] = {"seconds": push_s, "sent": pushed.sent,
                                   "applied": pushed.applied, "batches": pushed.batches,
                                   "held": pushed.held, "received": server.received}
                figures["after_push"] = _counts(store)
                print(f"push of {pushed.sent:,} outbox entries in {pushed.batches:,} batches: "
                      f"{push_s:.1f} s ({pushed.sent / push_s:,.0f}/s), "
                      f"{figures['after_push']['outbox']:,} left", file=out)
        finally:
            store.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_csv_import",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None, help=f"default {FULL_ROWS:,}")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to create the temporary shop (default: the system's)")
    parser.add_argument("--no-push", action="store_true", help="skip the push of the outbox")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_ROWS:,} rows")
    args = parser.parse_args(argv)
    rows = args.rows or (SMOKE_ROWS if args.smoke else FULL_ROWS)
    run(rows, workdir=args.dir, push=not args.no_push)
    return 0


if __name__ == "__main__":
    sys.exit(main())
