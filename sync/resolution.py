"""What a push result means for the local store.

CONTRACT (called by ``sync.push`` for every result, in the transaction that deletes the
outbox entry): ``record_outcome(session, entry: OutboxEntry, result: dict) -> None``.
- ``applied`` / ``duplicate``: the stock movements the mutation carried are marked ``synced``.
- ``conflict``: the server's ``current`` view replaces the local row; a ``SyncIssue`` of kind
  ``conflict`` says what the server kept and what was sent.
- ``rejected``: a ``SyncIssue`` of kind ``rejected`` with the reason; carried movements are
  marked ``synced`` too (the server will never count them, so the next pulled level drops them).
- ``overridden`` in a result (customers): a ``SyncIssue`` of kind ``overridden`` per field.

A ``duplicate`` is read as its ``original_status``: this till deletes an entry in the same
transaction that records its result, so a duplicate means the first answer never got here
and whatever it said (a conflict, a refusal) has not been told yet. An unknown status raises
``ProtocolError``: the push keeps the entry and says so.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.catalog import display_name
from app.domain.errors import DomainError
from app.domain.orders import OrderStatus
from app.domain.sync_protocol import UPSERT, Entity, MutationKind, Status
from app.sales.identity import this_register
from app.sync_issues import add_issue
from db.models import (Category, Customer, Order, OutboxEntry, Product, RemoteOrder, StaffUser,
                       StockLevel, StockMovement, Variant)
from sync.apply import apply_entity
from sync.back_office_undo import (apply_staff, undo_category_change, undo_staff_create,
                                   undo_staff_update, undo_tax_class_change,
                                   withdraw_refused_product)
from sync.errors import ProtocolError

log = logging.getLogger(__name__)

Data = dict[str, Any]
_ENTITY_OF_KIND = {
    MutationKind.ORDER_CREATED: "order", MutationKind.REFUND_CREATED: "refund",
    MutationKind.ORDER_STATUS: Entity.ORDER.value, MutationKind.STOCK_MOVEMENT: "stock_movement",
    MutationKind.CUSTOMER_UPSERT: Entity.CUSTOMER.value,
    MutationKind.PRODUCT_UPDATE: Entity.PRODUCT.value,
    MutationKind.PRODUCT_CREATE: Entity.PRODUCT.value,
    MutationKind.CATEGORY_UPSERT: Entity.CATEGORY.value,
    MutationKind.PRODUCT_IMAGE: Entity.PRODUCT.value,
    MutationKind.CART_PARKED: Entity.PARKED_CART.value,
    MutationKind.CART_RESUMED: Entity.PARKED_CART.value,
    MutationKind.RECEIPT_EMAIL: "receipt",
    MutationKind.ORDER_SHIPPED: Entity.ORDER.value,
    MutationKind.STORE_UPDATE: "store",
    MutationKind.TAX_CLASS_UPSERT: Entity.TAX_CLASS.value,
    MutationKind.STAFF_CREATE: Entity.STAFF_USER.value,
    MutationKind.STAFF_UPDATE: Entity.STAFF_USER.value,
}
_KNOWN = {s.value for s in Status} - {Status.DUPLICATE.value}
#: kinds whose every change names the version it was made on, so a second change of one
#: entity counts the first (``sync.push`` holds it back until the first is answered)
VERSION_CHAINED = (MutationKind.PRODUCT_UPDATE.value, MutationKind.ORDER_STATUS.value,
                   MutationKind.CATEGORY_UPSERT.value)


def record_outcome(session: Session, entry: OutboxEntry, result: dict) -> None:
    """See the module docstring."""
    status = _effective_status(result)
    payload = _payload(entry)
    accepted = status == Status.APPLIED.value
    _settle_movements(session, _carried_movement_ids(entry.kind, payload), counted=accepted)
    if status == Status.APPLIED.value:
        _after_applied(session, entry, payload, result)
    elif status == Status.CONFLICT.value:
        _conflict(session, entry, payload, result)
    else:
        _rejected(session, entry, payload, result)


def _effective_status(result: dict) -> str:
    if not isinstance(result, dict):
        raise ProtocolError(f"a push result is not an object: {result!r:.100}")
    status = result.get("status")
    if status == Status.DUPLICATE.value:
        # An old server may not say how the first attempt went: it was recorded, so applied.
        status = result.get("original_status") or Status.APPLIED.value
    if status not in _KNOWN:
        raise ProtocolError(f"the server answered an unknown push status {status!r:.60}")
    return status


def _payload(entry: OutboxEntry) -> Data:
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _carried_movement_ids(kind: str, payload: Data) -> list[str]:
    if kind == MutationKind.STOCK_MOVEMENT.value:
        return [payload["id"]] if isinstance(payload.get("id"), str) else []
    carried = payload.get("stock_movements")
    if not isinstance(carried, list):
        return []
    return [m["id"] for m in carried if isinstance(m, dict) and isinstance(m.get("id"), str)]


def _settle_movements(session: Session, ids: list[str], *, counted: bool) -> None:
    """Mark movements synced. Ones the server will never count also leave the local level:
    a level here is the server's count plus this till's unsynced movements, so once one is
    marked synced without being counted it must stop being part of the level. A movement
    already synced is left alone, which keeps a re-recorded outcome from moving a level twice."""
    if not ids:
        return
    open_moves = session.execute(select(StockMovement.id, StockMovement.store_id,
                                        StockMovement.variant_id, StockMovement.quantity_milli)
                                 .where(StockMovement.id.in_(ids),
                                        StockMovement.synced.is_(False))).all()
    if not open_moves:
        return
    session.execute(update(StockMovement).where(StockMovement.id.in_([m.id for m in open_moves]))
                    .values(synced=True))
    if counted:
        return
    for move in open_moves:
        session.execute(update(StockLevel).where(
            StockLevel.store_id == move.store_id, StockLevel.variant_id == move.variant_id)
            .values(quantity_milli=StockLevel.quantity_milli - move.quantity_milli))


def _after_applied(session: Session, entry: OutboxEntry, payload: Data, result: Data) -> None:
    # an added image bumps the product's version on the server too (its edits count it)
    if entry.kind in (MutationKind.PRODUCT_UPDATE.value, MutationKind.PRODUCT_IMAGE.value):
        current = result.get("current")
        if isinstance(current, dict):
            _apply_current(session, entry, current)
        else:
            _advance_product_version(session, entry.entity_id, payload.get("base_version"))
    elif entry.kind == MutationKind.CATEGORY_UPSERT.value:
        # not the server's view: a rename queued behind this one is already shown here
        _advance_category_version(session, entry.entity_id, payload.get("base_version"))
    overridden = result.get("overridden")
    if isinstance(overridden, list):
        for item in overridden:
            _overridden(session, entry, payload, item)


def _advance_product_version(session: Session, product_id: str, base_version: object) -> None:
    """The server applied the edit at ``base_version + 1``; knowing that now keeps the base of
    an edit made before the next pull right (its base counts the edits still queued)."""
    product = session.get(Product, product_id)
    if product is not None and isinstance(base_version, int) \
            and not isinstance(base_version, bool):
        product.version = max(product.version, base_version + 1)


def _advance_category_version(session: Session, category_id: str,
                              base_version: object) -> None:
    """As ``_advance_product_version``: the next change's base (``app.back_office.products.
    categories``) is the local version plus the changes still queued. A creation (no base)
    made version 1, which the till already holds."""
    category = session.get(Category, category_id)
    if category is not None and isinstance(base_version, int) \
            and not isinstance(base_version, bool):
        category.version = max(category.version, base_version + 1)


def _lower_bases_counting(session: Session, entry: OutboxEntry) -> int:
    """A refused ``product.image`` never bumped the server's version, but the product's edits
    queued behind it counted it in their ``base_version`` (``app.catalog_edit``). The edits
    themselves do not depend on the picture, so they are kept and based one lower rather than
    dropped: sent as they are, the server would answer each with a conflict."""
    lowered = 0
    for later in session.scalars(select(OutboxEntry).where(
            OutboxEntry.kind.in_((MutationKind.PRODUCT_UPDATE.value,
                                  MutationKind.PRODUCT_IMAGE.value)),
            OutboxEntry.entity_id == entry.entity_id, OutboxEntry.seq > entry.seq)):
        data = _payload(later)
        base = data.get("base_version")
        if isinstance(base, int) and not isinstance(base, bool) and base > 1:
            data["base_version"] = base - 1
            later.payload = json.dumps(data)
            lowered += 1
    return lowered


def _conflict(session: Session, entry: OutboxEntry, payload: Data, result: Data) -> None:
    current = result.get("current")
    shown = isinstance(current, dict) and _apply_current(session, entry, current)
    name = _name(session, entry, payload, current if isinstance(current, dict) else None)
    message = f"Your change to {name} was not kept: it was changed on the server meanwhile; " + \
        ("the server's version is now shown" if shown else
         "the server's version will be shown after the next sync")
    add_issue(session, kind="conflict", entity=_entity(entry), entity_id=entry.entity_id,
              message=message, mutation_id=entry.mutation_id, mutation_kind=entry.kind,
              details={"sent": _sent(payload), "kept": current, "reason": result.get("reason")})
    _drop_edits_based_on(session, entry, name)


def _rejected(session: Session, entry: OutboxEntry, payload: Data, result: Data) -> None:
    reason = str(result.get("reason") or "no reason given")
    current = result.get("current")
    # named before the undo, which may remove what it names (a product or category born here)
    what, name = _what(session, entry, payload), _name(session, entry, payload, None)
    undone: bool | str = False  # a text says how it was undone
    if isinstance(current, dict):
        undone = _apply_current(session, entry, current)
    elif entry.kind == MutationKind.CUSTOMER_UPSERT.value:
        undone = _undo_customer_edit(session, entry.entity_id, payload)
    elif entry.kind == MutationKind.ORDER_STATUS.value:
        undone = _undo_status_change(session, entry.entity_id, payload,
                                     [_payload(e) for e in _later_in_chain(session, entry)])
    elif entry.kind == MutationKind.STAFF_CREATE.value:
        undone = undo_staff_create(session, entry)
    elif entry.kind == MutationKind.STAFF_UPDATE.value:
        undone = undo_staff_update(session, entry, payload)
    elif entry.kind == MutationKind.TAX_CLASS_UPSERT.value:
        undone = undo_tax_class_change(session, entry.entity_id, payload)
    elif entry.kind == MutationKind.CATEGORY_UPSERT.value:
        undone = undo_category_change(session, entry, payload,
                                      [_payload(e) for e in _later_in_chain(session, entry)])
    elif entry.kind == MutationKind.PRODUCT_CREATE.value:
        undone = withdraw_refused_product(session, entry.entity_id)
    elif entry.kind == MutationKind.PRODUCT_IMAGE.value and _lower_bases_counting(session, entry):
        undone = "the product's changes queued after it no longer count it"
    message = f"The server refused {what}: {reason}"
    if entry.kind == MutationKind.STOCK_MOVEMENT.value:
        message += "; the stock level here no longer counts it"
    elif entry.kind == MutationKind.CART_PARKED.value:
        message += "; it stays parked on this till only"
    elif isinstance(undone, str):
        message += f"; {undone}"
    elif undone:
        message += "; it was undone here"
    elif entry.kind in (MutationKind.PRODUCT_UPDATE.value, MutationKind.CUSTOMER_UPSERT.value,
                        MutationKind.TAX_CLASS_UPSERT.value, MutationKind.STAFF_UPDATE.value,
                        MutationKind.CATEGORY_UPSERT.value):
        message += "; this till keeps showing it until the server's copy next changes"
    add_issue(session, kind="rejected", entity=_entity(entry), entity_id=entry.entity_id,
              message=message, mutation_id=entry.mutation_id, mutation_kind=entry.kind,
              details={"sent": _sent(payload), "reason": reason})
    _drop_edits_based_on(session, entry, name)


def _drop_edits_based_on(session: Session, entry: OutboxEntry, name: str) -> None:
    """A product edit queued here behind ``entry`` counted it in its ``base_version``
    (``app.catalog_edit``), as a status change of an order counts the one before it: the
    server did not keep ``entry``, so that base is a version it never made from this till, and
    the number may even be one someone else's change took. Such a change is not kept either
    (``sync.push`` never sends it before this answer is recorded); the staff are told, and the
    product or order shows the server's version."""
    for edit in _later_in_chain(session, entry):
        add_issue(session, kind="conflict", entity=_entity(edit),
                  entity_id=edit.entity_id, mutation_id=edit.mutation_id,
                  mutation_kind=edit.kind,
                  message=f"Your change to {name} was not kept: it was made on top of an "
                          "earlier change here that the server did not keep",
                  details={"sent": _sent(_payload(edit)), "based_on": entry.mutation_id})
        session.delete(edit)


def _later_in_chain(session: Session, entry: OutboxEntry) -> list[OutboxEntry]:
    """The changes of ``entry``'s entity queued behind it that counted it (see above)."""
    if entry.kind not in VERSION_CHAINED:
        return []
    return list(session.scalars(select(OutboxEntry).where(
        OutboxEntry.kind == entry.kind, OutboxEntry.entity_id == entry.entity_id,
        OutboxEntry.seq > entry.seq).order_by(OutboxEntry.seq)))


def _overridden(session: Session, entry: OutboxEntry, payload: Data, item: object) -> None:
    if not isinstance(item, dict):
        item = {"field": "a field", "server_value": item}
    field = str(item.get("field") or "a field")
    server_value = item.get("server_value")
    ours = item.get("our_value", (payload.get("fields") or {}).get(field))
    shown = "nothing" if server_value in (None, "") else repr(server_value)
    add_issue(session, kind="overridden", entity=_entity(entry), entity_id=entry.entity_id,
              message=f"{field} of {_customer_name(session, entry.entity_id, payload)}: "
                      f"your value replaced {shown} set elsewhere",
              mutation_id=entry.mutation_id, mutation_kind=entry.kind,
              details={"field": field, "server_value": server_value, "our_value": ours})


def _apply_current(session: Session, entry: OutboxEntry, current: Data) -> bool:
    """Put the server's view in place of the local row; False if it could not be (the pull
    brings it later). Inside a savepoint: a view this till cannot read must not cost the
    issue that tells the staff, nor keep the entry in the outbox for ever."""
    entity = _entity(entry)
    try:
        with session.begin_nested():
            if entity == Entity.ORDER.value and session.get(Order, entry.entity_id):
                return _apply_order_status(session, entry.entity_id, current)
            if entity == Entity.STAFF_USER.value:
                return apply_staff(session, entry.entity_id, current)
            if entity not in (Entity.PRODUCT.value, Entity.CUSTOMER.value, Entity.ORDER.value,
                              Entity.CATEGORY.value):
                return False
            remote = session.get(RemoteOrder, entry.entity_id) \
                if entity == Entity.ORDER.value else None
            if remote is not None:
                # the server's view replaces the till's copy even where the copy's version is
                # higher (its own refused change): a pull would keep the newer one
                session.delete(remote)
                session.flush()
            store, _ = this_register(session)
            return bool(apply_entity(session, entity, entry.entity_id, UPSERT, current,
                                     store_id=store.id, currency=store.currency))
    except (DomainError, ValueError, KeyError, TypeError) as exc:
        log.warning("could not show the server's %s %s after a push: %s", entity,
                    entry.entity_id, exc)
        return False


def _apply_order_status(session: Session, order_id: str, current: Data) -> bool:
    """An order rung up here is born here, so the pull leaves it alone; only its status and
    version are the server's to settle."""
    order = session.get(Order, order_id)
    status, version = current.get("status"), current.get("version")
    if status not in {s.value for s in OrderStatus} \
            or not isinstance(version, int) or isinstance(version, bool):
        return False
    order.status, order.version = status, version
    return True


def _undo_status_change(session: Session, order_id: str, payload: Data,
                        later: list[Data]) -> bool:
    """Put back the status the refused change moved the order from, with the version it had,
    unless the order has changed again since (the server's view pulled meanwhile). The steps
    queued behind it (``later``: a label moves a confirmed order twice) are dropped with it,
    so the order is checked against the last of them and goes back to before the first: the
    server's order is still there, and a pull would not bring it (it did not change)."""
    before, version = payload.get("from"), payload.get("version")
    if before not in {s.value for s in OrderStatus} or not isinstance(version, int) \
            or isinstance(version, bool):
        return False
    last = later[-1] if later else payload
    order = session.get(Order, order_id) or session.get(RemoteOrder, order_id)
    if order is None or (order.status, order.version) != (last.get("to"), last.get("version")):
        return False
    order.status, order.version = before, version - 1
    if isinstance(order, RemoteOrder):
        view = json.loads(order.data) if order.data else {}
        if isinstance(view, dict):
            view |= {"status": before, "version": version - 1}
            labels = {p.get("tracking_number") for p in (payload, *later)} - {None, ""}
            if view.get("tracking_number") in labels:
                del view["tracking_number"]  # the refused label did not ship it
            order.data = json.dumps(view, sort_keys=True, separators=(",", ":"))
    return True


def _undo_customer_edit(session: Session, customer_id: str, payload: Data) -> bool:
    """Put back the values the edit replaced, where nobody edited the field again since."""
    base, fields = payload.get("base"), payload.get("fields")
    customer = session.get(Customer, customer_id)
    if customer is None or not isinstance(base, dict) or not isinstance(fields, dict):
        return False
    undone = False
    for field, value in base.items():
        if field in fields and hasattr(Customer, field) and field != "id" \
                and (getattr(customer, field) or "") == (fields[field] or ""):
            empty_is_none = field in ("email", "phone") and value == ""
            setattr(customer, field, None if empty_is_none else value)
            undone = True
    return undone


def _entity(entry: OutboxEntry) -> str:
    try:
        return _ENTITY_OF_KIND[MutationKind(entry.kind)]
    except (ValueError, KeyError):  # a kind this table does not name yet: its own name
        return entry.kind


def _sent(payload: Data) -> Data:
    return {k: v for k, v in payload.items() if k != "stock_movements"}


def _customer_name(session: Session, customer_id: str, payload: Data) -> str:
    customer = session.get(Customer, customer_id)
    name = customer.name if customer is not None and customer.name else \
        (payload.get("fields") or {}).get("name")
    return f"customer {name}" if name else f"customer {customer_id}"


def _product_name(session: Session, product_id: str, current: Data | None) -> str:
    if current and isinstance(current.get("name"), str):
        return current["name"]
    product = session.get(Product, product_id)
    return product.name if product is not None else f"product {product_id}"


def _name(session: Session, entry: OutboxEntry, payload: Data, current: Data | None) -> str:
    kind = entry.kind
    if kind in (MutationKind.PRODUCT_UPDATE.value, MutationKind.PRODUCT_CREATE.value,
                MutationKind.PRODUCT_IMAGE.value):
        return _product_name(session, entry.entity_id, current)
    if kind == MutationKind.CUSTOMER_UPSERT.value:
        return _customer_name(session, entry.entity_id, payload)
    if kind in (MutationKind.ORDER_STATUS.value, MutationKind.ORDER_CREATED.value):
        return f"order {payload.get('number') or entry.entity_id}"
    if kind == MutationKind.CATEGORY_UPSERT.value:
        category = session.get(Category, entry.entity_id)
        name = category.name if category is not None else payload.get("name")
        return f"category {name or entry.entity_id}"
    if kind == MutationKind.TAX_CLASS_UPSERT.value:
        return f"tax class {payload.get('name') or entry.entity_id}"
    if kind in (MutationKind.STAFF_CREATE.value, MutationKind.STAFF_UPDATE.value):
        member = session.get(StaffUser, entry.entity_id)
        name = member.name if member is not None else payload.get("name")
        return f"staff member {name or entry.entity_id}"
    return f"{_entity(entry)} {entry.entity_id}"


def _what(session: Session, entry: OutboxEntry, payload: Data) -> str:
    kind = entry.kind
    if kind == MutationKind.ORDER_CREATED.value:
        return f"sale {payload.get('number') or entry.entity_id}"
    if kind == MutationKind.REFUND_CREATED.value:
        refund = payload.get("refund") if isinstance(payload.get("refund"), dict) else {}
        return f"refund {refund.get('number') or entry.entity_id}"
    if kind == MutationKind.ORDER_STATUS.value:
        return f"moving order {payload.get('number') or entry.entity_id} to {payload.get('to')}"
    if kind == MutationKind.ORDER_SHIPPED.value:
        return (f"shipping order {payload.get('number') or entry.entity_id} (tracking "
                f"{payload.get('tracking_number')})")
    if kind in (MutationKind.CART_PARKED.value, MutationKind.CART_RESUMED.value):
        doing = "parking" if kind == MutationKind.CART_PARKED.value else "resuming"
        label = payload.get("label")
        return f"{doing} the cart “{label}”" if label else f"{doing} a parked cart"
    if kind == MutationKind.RECEIPT_EMAIL.value:
        return (f"emailing the receipt of sale {payload.get('number') or entry.entity_id} "
                f"to {payload.get('email')}")
    if kind == MutationKind.STOCK_MOVEMENT.value:
        variant = session.get(Variant, payload.get("variant_id") or "")
        item = display_name(variant) if variant is not None else payload.get("variant_id")
        return f"the stock {payload.get('kind', 'movement')} of {item}"
    return f"your change to {_name(session, entry, payload, None)}"
