"""The back-office use cases behind ``/inventory``: adjustments, receipts, counts and
transfers (each audited in its own transaction), threshold edits and the lists."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from app.domain.errors import InvalidInput
from app.domain.quantity import check_quantity_milli
from server import audit
from server.catalog.lookup import SellableVariant, sellable_variants
from server.common.paging import page_of, parse_sort
from server.common.versioning import update_if_version
from server.database import in_transaction
from server.devices.stores import require_store
from server.errors import ApiError
from server.inventory import repository as repo
from server.changes.log import Change, append, store_feed
from server.inventory.ledger import (effective_threshold, level_view, low_stock_state,
                                     staff_level_view)
from server.inventory.schemas import (AdjustmentCreate, CountCreate, LevelUpdate,
                                      ReceiptCreate, TransferCreate)
from server.inventory.service import movement_view, record_movement
from server.security.deps import Principal

Doc = dict[str, Any]
LEVEL_SORTS = {"variant_id": "variant_id", "on_hand": "on_hand_milli",
               "updated_at": "updated_at"}


def _store(db: Database, store_id: str, field: str) -> Doc:
    try:
        return require_store(db, store_id)
    except ApiError as exc:
        raise ApiError(404, "not_found", f"{field}: no store {store_id}",
                       {"field": field, "id": store_id}) from exc


def _variants(db: Database, variant_ids: list[str], store: Doc,
              fields: list[str]) -> dict[str, SellableVariant]:
    found = sellable_variants(db, variant_ids, currency=store["currency"])
    for variant_id, field in zip(variant_ids, fields):
        if variant_id not in found:
            raise ApiError(404, "not_found", f"{field}: no product variant {variant_id}",
                           {"field": field, "id": variant_id})
    return found


def _whole(variant: SellableVariant, quantity: int, field: str) -> None:
    """Pieces come in whole units; only weighed goods take fractions."""
    try:
        check_quantity_milli(abs(quantity) or 1000, field=field,
                             allow_fraction=variant.sold_by_weight)
    except InvalidInput as exc:
        raise ApiError(422, "validation_error", f"{field}: {exc}", {"field": field}) from None


def _same_movement(first: Doc, body: Any) -> Doc:
    if (first["store_id"], first["variant_id"], first["kind"]) != \
            (body.store_id, body.variant_id, body.kind):
        raise ApiError(409, "movement_id_taken", "movement_id: already used for another "
                       "movement", {"field": "movement_id", "id": first["_id"]})
    return movement_view(first)


def post_movement(db: Database, *, body: AdjustmentCreate | ReceiptCreate | CountCreate,
                  principal: Principal, ip: str | None, request_id: str | None) -> Doc:
    """Record an adjustment, a receipt or a count (the difference to the ledger) with its
    audit entry; a retry with the same ``movement_id`` returns the first movement."""
    store = _store(db, body.store_id, "store_id")
    variant = _variants(db, [body.variant_id], store, ["variant_id"])[body.variant_id]
    if isinstance(body, CountCreate):
        _whole(variant, body.counted_milli, "counted_milli")
    else:
        _whole(variant, body.quantity_milli, "quantity_milli")
    movement_id = body.movement_id or str(uuid.uuid4())
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> Doc:
        first = repo.get_movement(db, movement_id, session)
        if first is not None:
            return first
        details: Doc = {"note": body.note}
        if isinstance(body, CountCreate):
            level = repo.get_level(db, body.store_id, body.variant_id, session)
            on_hand = int(level["on_hand_milli"]) if level else 0
            quantity, reason = body.counted_milli - on_hand, "count"
            details.update(counted_milli=body.counted_milli, expected_milli=on_hand)
        elif isinstance(body, ReceiptCreate):
            quantity, reason = body.quantity_milli, "receipt"
            details.update(supplier=body.supplier, delivery_ref=body.delivery_ref)
        else:
            quantity, reason = body.quantity_milli, body.reason
        movement = record_movement(
            db, session=session, store_id=body.store_id, product_id=variant.product_id,
            variant_id=body.variant_id, kind=body.kind, quantity_milli=quantity, reason=reason,
            actor=principal.actor, movement_id=movement_id, details=details)
        audit.record(db, actor=principal.actor, action=f"stock.{body.kind}",
                     target=repo.level_id(body.store_id, body.variant_id), ip=ip,
                     request_id=request_id, session=session, audit_id=audit_id,
                     details={"movement_id": movement_id, "quantity_milli": quantity,
                              "reason": reason, **details})
        return movement

    try:
        movement = in_transaction(db, work)
    except DuplicateKeyError:  # a concurrent retry of the same movement committed first
        movement = repo.get_movement(db, movement_id, None)
        if movement is None:
            raise
    return _same_movement(movement, body)


def post_transfer(db: Database, *, body: TransferCreate, principal: Principal,
                  ip: str | None, request_id: str | None) -> Doc:
    """Move stock between two stores: a ``transfer_out`` and a ``transfer_in`` per line in
    one transaction, audited; a retry with the same ``transfer_id`` changes nothing."""
    if body.from_store_id == body.to_store_id:
        raise ApiError(422, "validation_error", "to_store_id: must differ from from_store_id",
                       {"field": "to_store_id"})
    source = _store(db, body.from_store_id, "from_store_id")
    _store(db, body.to_store_id, "to_store_id")
    ids = [line.variant_id for line in body.lines]
    seen: set[str] = set()
    for n, variant_id in enumerate(ids):
        if variant_id in seen:
            raise ApiError(422, "validation_error", f"lines.{n}.variant_id: named twice",
                           {"field": f"lines.{n}.variant_id"})
        seen.add(variant_id)
    variants = _variants(db, ids, source, [f"lines.{n}.variant_id" for n in range(len(ids))])
    for n, line in enumerate(body.lines):
        _whole(variants[line.variant_id], line.quantity_milli, f"lines.{n}.quantity_milli")
    transfer_id = body.transfer_id or str(uuid.uuid4())
    audit_id = str(uuid.uuid4())
    reference = {"type": "transfer", "id": transfer_id}

    def work(session: ClientSession) -> list[Doc]:
        moved = []
        for line in body.lines:
            product_id = variants[line.variant_id].product_id
            for kind, store_id, sign in (("transfer_out", body.from_store_id, -1),
                                         ("transfer_in", body.to_store_id, 1)):
                moved.append(record_movement(
                    db, session=session, store_id=store_id, product_id=product_id,
                    variant_id=line.variant_id, kind=kind,
                    quantity_milli=sign * line.quantity_milli,
                    reason="transfer", reference=reference, actor=principal.actor,
                    movement_id=f"{transfer_id}:{line.variant_id}:{kind}",
                    details={"note": body.note}))
        audit.record(db, actor=principal.actor, action="stock.transfer", target=transfer_id,
                     ip=ip, request_id=request_id, session=session, audit_id=audit_id,
                     details={"from_store_id": body.from_store_id,
                              "to_store_id": body.to_store_id, "note": body.note,
                              "lines": [line.model_dump() for line in body.lines]})
        return moved

    try:
        moved = in_transaction(db, work)
    except DuplicateKeyError:
        raise ApiError(409, "transfer_in_progress", "transfer_id: the same transfer is being "
                       "recorded by another request; retry", {"field": "transfer_id"}) from None
    return {"id": transfer_id, "from_store_id": body.from_store_id,
            "to_store_id": body.to_store_id, "note": body.note,
            "lines": [line.model_dump() for line in body.lines],
            "movements": [movement_view(m) for m in moved]}


def update_level(db: Database, *, level_id: str, body: LevelUpdate, principal: Principal,
                 ip: str | None, request_id: str | None) -> Doc:
    """Set a level's own low-stock threshold (409 on a stale ``version``), audited, on the
    store's feed; a threshold raised above what is available marks the level low without a
    mail (nothing fell)."""
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> Doc:
        level = update_if_version(db.stock_levels, level_id, body.version,
                                  {"$set": {"low_stock_threshold_milli":
                                            body.low_stock_threshold_milli}},
                                  kind="stock level", session=session)
        available = int(level["on_hand_milli"]) - int(level["reserved_milli"])
        low, alerted, _ = low_stock_state(available, effective_threshold(db, level, session),
                                          fell=False,
                                          alerted=bool(level.get("low_stock_alerted")))
        repo.set_level_fields(db, level_id, {"low_stock": low, "low_stock_alerted": alerted},
                              session)
        level.update(low_stock=low, low_stock_alerted=alerted)
        append(db, store_feed(level["store_id"]),
               Change("stock_level", level_id, version=level["version"], data=level_view(level)),
               session=session)
        audit.record(db, actor=principal.actor, action="stock.threshold", target=level_id,
                     ip=ip, request_id=request_id, session=session, audit_id=audit_id,
                     details={"low_stock_threshold_milli": body.low_stock_threshold_milli})
        return level

    return staff_level_view(in_transaction(db, work))


def list_levels(db: Database, *, store_id: str | None, product_id: str | None,
                variant_id: str | None, low_stock: bool | None, sort: str | None, page: int,
                per_page: int) -> Doc:
    """Levels by filters (all equality on indexed fields), a page at a time."""
    query: Doc = {}
    if store_id is not None:
        _store(db, store_id, "store_id")
        query["store_id"] = store_id
    if product_id is not None:
        query["product_id"] = product_id
    if variant_id is not None:
        query["variant_id"] = variant_id
    if low_stock is not None:
        query["low_stock"] = low_stock
    keys = parse_sort(sort, LEVEL_SORTS, "variant_id") + [("_id", 1)]
    return page_of(repo.find_levels(db, query, keys), page=page, per_page=per_page,
                   view=staff_level_view)


def list_movements(db: Database, *, store_id: str | None, product_id: str | None,
                   variant_id: str | None, kind: str | None, start: datetime | None,
                   end: datetime | None, page: int, per_page: int) -> Doc:
    """Movements by filters, newest first, a page at a time; ``from`` inclusive, ``to``
    exclusive."""
    query: Doc = {}
    if store_id is not None:
        _store(db, store_id, "store_id")
        query["store_id"] = store_id
    for name, value in (("product_id", product_id), ("variant_id", variant_id),
                        ("kind", kind)):
        if value is not None:
            query[name] = value
    if start is not None and end is not None and end <= start:
        raise ApiError(422, "validation_error", "to: must be after from", {"field": "to"})
    span: Doc = {}
    if start is not None:
        span["$gte"] = start
    if end is not None:
        span["$lt"] = end
    if span:
        query["at"] = span
    return page_of(repo.find_movements(db, query), page=page, per_page=per_page,
                   view=movement_view)


def get_level(db: Database, level_id: str) -> Doc:
    level = repo.get_level_by_id(db, level_id)
    if level is None:
        raise ApiError(404, "not_found", f"no stock level {level_id}", {"id": level_id})
    return staff_level_view(level)

