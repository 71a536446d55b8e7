"""Fill an empty central store with the demo shop in bulk: ``insert_many`` in batches (no
per-product transactions), every entity appended to its change-log feed with ``append_many``,
a progress bar on stderr. Refuses a catalogue that is not empty.

Not one transaction: a million products would not fit in one. A run that fails half-way
leaves a partial shop, which a second run refuses (drop the database and run again); while it
runs, nothing else should write to the catalogue (the feed's sequence ranges are allocated
per batch, outside a transaction)."""

from __future__ import annotations

import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TextIO

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain import demo_recipe as recipe
from server.changes import log as change_log
from server.database import in_transaction
from server.devices.stores import store_for_pairing
from server.errors import ApiError
from server.inventory.ledger import level_view
from server.seed import documents
from server.users import pins, staff_feed
from server.users.service import check_password, create_user

BATCH = 1000  # products per round of insert_many calls (a few thousand documents)

@dataclass
class Summary:
    products: int = 0
    variants: int = 0
    customers: int = 0
    documents: int = 0
    seconds: float = 0.0
    staff: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        rate = self.documents / self.seconds if self.seconds else 0.0
        return {"products": self.products, "variants": self.variants,
                "customers": self.customers, "documents": self.documents,
                "seconds": round(self.seconds, 2), "documents_per_second": round(rate, 1),
                "staff": self.staff}

class ProgressBar:
    """``[#####.....] 12,000/500,000 products  3,950 documents/s`` on one stderr line."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total, self.out, self.width = total, out, width
        self.started = time.monotonic()

    def show(self, done: int, documents: int) -> None:
        filled = self.width * done // max(self.total, 1)
        rate = documents / max(time.monotonic() - self.started, 1e-6)
        self.out.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{self.total:,} "
                       f"products  {rate:,.0f} documents/s")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()

def refuse_unless_empty(db: Database) -> None:
    for collection in ("products", "categories", "tax_classes"):
        if db[collection].find_one({}, {"_id": 1}) is not None:
            raise ApiError(409, "catalogue_not_empty", f"the catalogue is not empty (it has "
                           f"{collection.replace('_', ' ')}): seed-demo fills only an empty one")

def _staff(db: Database, *, password: str, rounds: int, now: datetime) -> list[dict[str, str]]:
    """The desktop demo's staff, with their PINs; an account that already exists is kept."""
    made = []
    for name, email, role, pin in recipe.DEMO_STAFF:
        if db.users.find_one({"email": email}, {"_id": 1}) is not None:
            made.append({"email": email, "role": role, "status": "kept"})
            continue
        user = create_user(db, email=email, role=role, password=password, name=name,
                           verified=True, actor="cli:seed-demo", ip="local", rounds=rounds)
        _set_pin(db, user["_id"], pins.hash_pin(pin), now)
        made.append({"email": email, "role": role, "pin": pin, "status": "created"})
    return made

def _set_pin(db: Database, user_id: str, pin_hash: str, now: datetime) -> None:
    """The PIN (a new version) and its staff feed entry in one transaction, unlike the bulk
    appends above: a handful of accounts, so it costs nothing, and a till pulling meanwhile
    cannot read past an entry that is not written yet."""
    def work(session: ClientSession) -> None:
        db.users.update_one({"_id": user_id}, {"$set": {"pin_hash": pin_hash, "pin_set_at": now},
                                               "$inc": {"version": 1}}, session=session)
        staff_feed.publish_by_id(db, user_id, session=session)

    in_transaction(db, work)

def seed(db: Database, *, products: int, customers: int = 200, seed_value: int = 7,
         staff_password: str | None = None, bcrypt_rounds: int = 12,
         progress: TextIO | None = None, store_code: str | None = None) -> tuple[Summary, str | None]:
    """Fill the demo shop; returns the summary and the generated staff password (``None``
    when one was given)."""
    if products < 1:
        raise ApiError(422, "validation_error", "--products: at least 1", {"field": "products"})
    if staff_password is not None:
        check_password(staff_password, field="staff password")
    refuse_unless_empty(db)
    started = time.monotonic()
    generated = None if staff_password else secrets.token_urlsafe(12)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    store = store_for_pairing(db, store_code, actor="cli:seed-demo", ip="local")
    currency, store_id = store["currency"], store["_id"]
    rng, ids = random.Random(seed_value), documents.SequentialIds(now)
    summary = Summary()
    ref = documents.reference(ids, now)
    db.tax_classes.insert_many(ref.tax_classes, ordered=False)
    db.categories.insert_many(ref.categories, ordered=False)
    change_log.append_many(db, change_log.CATALOG_FEED, ref.changes(), session=None)
    summary.documents += 2 * (len(ref.tax_classes) + len(ref.categories))  # and their entries
    bar = ProgressBar(products, progress or sys.stderr)
    brands: dict[str, int] = {}
    barcode_no = 0
    for first in range(0, products, BATCH):
        batch, barcode_no = documents.product_batch(
            rng, ids, ref, first=first, count=min(BATCH, products - first),
            barcode_no=barcode_no, currency=currency, store_id=store_id, now=now,
            level_view=level_view)
        _insert(db, batch, store_id)
        for product in batch.products:
            brands[product["brand"]] = brands.get(product["brand"], 0) + 1
        summary.products += len(batch.products)
        summary.variants += len(batch.levels)
        summary.documents += batch.documents
        bar.show(summary.products, summary.documents)
    bar.close()
    for brand, count in brands.items():
        db.brands.update_one({"_id": brand}, {"$inc": {"count": count}}, upsert=True)
    people = documents.customers(rng, ids, customers, now)
    if people:
        db.customers.insert_many(people, ordered=False)
        change_log.append_many(db, change_log.CUSTOMERS_FEED, [
            change_log.Change("customer", c["_id"], version=1, data=documents.customer_view(c))
            for c in people], session=None)
    summary.customers = len(people)
    summary.documents += len(brands) + 2 * len(people)
    summary.staff = _staff(db, password=staff_password or generated or "", rounds=bcrypt_rounds,
                           now=now)
    summary.seconds = time.monotonic() - started
    return summary, generated

def _insert(db: Database, batch: documents.Batch, store_id: str) -> None:
    db.products.insert_many(batch.products, ordered=False)
    db.codes.insert_many(batch.codes, ordered=False)
    db.stock_movements.insert_many(batch.movements, ordered=False)
    db.stock_levels.insert_many(batch.levels, ordered=False)
    change_log.append_many(db, change_log.CATALOG_FEED, batch.catalog_changes, session=None)
    change_log.append_many(db, change_log.store_feed(store_id), batch.store_changes, session=None)
