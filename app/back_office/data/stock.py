"""Importing counted stock: each row says how many of a SKU are on this store's shelves, and
the ledger gets a ``count`` movement of the difference (none when the count agrees), queued as
``stock.movement`` exactly as a count posted by hand (``app.inventory.post_movement``).

The ``name`` and ``variant`` columns are there for the people counting (the export writes
them) and are not checked. A row of another store is accepted only when it changes nothing
(the export of a till lists every store it knows): a store's stock is counted in that store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import canonical_json
from app.back_office.data.plan import (CREATE, REFUSED, UNCHANGED, UPDATE, Cancelled,
                                       ImportCancelled, Plan, Progress, bulk_insert, chunks,
                                       message, parse_count)
from app.back_office.data.table import Table
from app.domain.errors import DomainError
from app.domain.quantity import MAX_QUANTITY_MILLI
from app.domain.sync_protocol import MutationKind
from app.exports import STOCK_COLUMNS
from db.base import new_id, utcnow
from db.models import OutboxEntry, Product, StockLevel, StockMovement, Store, Variant

COLUMNS = tuple(STOCK_COLUMNS)
REQUIRED = ("sku", "quantity")
WRITE_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Count:
    row: int
    variant_id: str
    delta_milli: int


def check(session: Session, table: Table, *, store: Store) -> Plan:
    plan = Plan("stock", table.columns)
    plan.rows = len(table.rows)
    stores = dict(session.execute(select(Store.code, Store.id)).all())
    skus = sorted({cells.get("sku", "").strip() for _, cells in table.rows} - {""})
    variants: dict[str, tuple[str, bool]] = {}
    for part in chunks(skus):
        for sku, variant_id, by_weight in session.execute(
                select(Variant.sku, Variant.id, Product.sold_by_weight)
                .join(Product, Variant.product_id == Product.id).where(Variant.sku.in_(part))):
            variants[sku] = (variant_id, by_weight)
    levels = _levels(session, [v for v, _ in variants.values()])
    seen: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:
        errors_before = len(plan.errors)
        code = cells.get("store", "").strip() or store.code
        store_id = stores.get(code)
        if store_id is None:
            plan.error(number, "store", f"{code!r} is not a store this till knows")
        sku = cells.get("sku", "").strip()
        found = variants.get(sku)
        if not sku:
            plan.error(number, "sku", "is empty")
        elif found is None:
            plan.error(number, "sku", f"{sku!r} is not a SKU of the catalogue")
        elif (code, sku) in seen:
            plan.error(number, "sku", f"{sku} is counted twice in the file "
                                      f"(row {seen[(code, sku)]} too)")
        else:
            seen[(code, sku)] = number
        counted = None
        try:
            counted = parse_count(cells.get("quantity", ""), by_weight=bool(found and found[1]),
                                  limit=MAX_QUANTITY_MILLI)
        except (DomainError, ValueError) as exc:
            plan.error(number, "quantity", message(exc))
        if len(plan.errors) > errors_before or found is None or store_id is None:
            plan.count(number, REFUSED, cells)
            continue
        before = levels.get((store_id, found[0])) if store_id == store.id else \
            _level(session, store_id, found[0])
        delta = counted - (before or 0)
        if store_id != store.id and delta:
            plan.error(number, "store", f"{code} is another store: its stock is counted "
                                        f"there (this till is {store.code})")
            plan.count(number, REFUSED, cells)
            continue
        if delta == 0:
            plan.count(number, UNCHANGED, cells)
            continue
        plan.actions.append(Count(number, found[0], delta))
        plan.count(number, CREATE if before is None else UPDATE, cells)
    return plan


def _levels(session: Session, variant_ids: list[str]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for part in chunks(variant_ids):
        for store_id, variant_id, qty in session.execute(
                select(StockLevel.store_id, StockLevel.variant_id, StockLevel.quantity_milli)
                .where(StockLevel.variant_id.in_(part))):
            found[(store_id, variant_id)] = qty
    return found


def _level(session: Session, store_id: str, variant_id: str) -> int | None:
    return session.scalar(select(StockLevel.quantity_milli).where(
        StockLevel.store_id == store_id, StockLevel.variant_id == variant_id))


def apply(session: Session, plan: Plan, *, store: Store, staff_id: str, reason: str,
          progress: Progress | None = None, cancelled: Cancelled | None = None) -> int:
    """Post the counts in bulk (the ledger, the levels and the outbox in step, as
    ``record_movement`` and ``post_movement`` keep them); returns how many were posted."""
    total = len(plan.actions)
    done = 0
    for part in chunks(plan.actions, WRITE_CHUNK):
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        at: datetime = utcnow()
        movements = [{"id": new_id(), "store_id": store.id, "variant_id": c.variant_id,
                      "quantity_milli": c.delta_milli, "kind": "count", "reason": reason,
                      "staff_id": staff_id, "at": at, "synced": False} for c in part]
        bulk_insert(session, StockMovement.__table__, movements)
        # the level moves with its movement, as record_movement moves it
        session.connection().exec_driver_sql(
            "INSERT INTO stock_levels (store_id, variant_id, quantity_milli) VALUES (?, ?, ?) "
            "ON CONFLICT (store_id, variant_id) DO UPDATE "
            "SET quantity_milli = stock_levels.quantity_milli + excluded.quantity_milli",
            [(store.id, m["variant_id"], m["quantity_milli"]) for m in movements])
        bulk_insert(session, OutboxEntry.__table__, [
            {"mutation_id": new_id(), "kind": MutationKind.STOCK_MOVEMENT.value,
             "entity_id": m["id"], "created_at": at, "attempts": 0,
             "payload": canonical_json({"id": m["id"], "store_id": store.id,
                                        "variant_id": m["variant_id"], "kind": "count",
                                        "quantity_milli": m["quantity_milli"], "reason": reason,
                                        "staff_id": staff_id, "at": at.isoformat()})}
            for m in movements])
        done += len(part)
        if progress is not None:
            progress(done, total)
    # a Cancel pressed during the last (or only) chunk: still inside the transaction, before
    # the audit entry and the commit, so nothing is written
    if cancelled is not None and cancelled():
        raise ImportCancelled()
    return done
