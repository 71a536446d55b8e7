"""The stock ledger and its levels. CONTRACT used by orders, carts and (later) sync: the
signatures and behaviour below are relied on by other domains; the inventory owner implements
them and may add more, but changes none of these without updating every caller.

Stored shapes:
- ``stock_movements``: ``{_id: str (uuid4, or a caller's idempotency id), store_id,
  product_id, variant_id, kind, quantity_milli (signed: + into the store, - out),
  reason: str, reference: {type, id} | None, details: {} (note, supplier, delivery_ref,
  counted_milli, expected_milli: what the back office said), actor: str, at: datetime}``
  with ``kind`` one of ``sale``, ``return``, ``receipt``, ``adjustment``, ``count``,
  ``transfer_out``, ``transfer_in``. Append-only: levels are derived from it, never overwritten.
- ``stock_levels``: ``{_id: "<store_id>:<variant_id>", store_id, product_id, variant_id,
  on_hand_milli, reserved_milli, low_stock_threshold_milli | None, version, updated_at}`` —
  ``on_hand`` is the sum of the variant's movements in the store, moved in the same transaction
  as each movement; ``available = on_hand - reserved``. Also ``low_stock`` (available at or
  below the level's threshold, else the product's: the list's filter) and
  ``low_stock_alerted`` (a mail went out since it was last above: the next one waits for a
  new falling crossing), ``created_at``.
- ``stock_reservations``: ``{_id: "<order_id>:<variant_id>", order_id, store_id, product_id,
  variant_id, quantity_milli, created_at}``: stock held for an online order until it ships
  (fulfilled) or is cancelled (released).

Every level change appends a ``stock_level`` entry (its full view) to the store's feed
(``server.changes.log.store_feed``) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.changes.log import Pending, store_feed
from server.common.versioning import now_ms
from server.errors import ApiError
from server.inventory import repository as repo
from server.inventory.ledger import LevelChange, change_level, change_levels, publish

KINDS = ("sale", "return", "receipt", "adjustment", "count", "transfer_out", "transfer_in")
# The sign each kind's quantity must have: +1 into the store, -1 out, 0 either (never zero
# except for a count that found what the ledger said).
_SIGN = {"sale": -1, "return": 1, "receipt": 1, "adjustment": 0, "count": 0,
         "transfer_out": -1, "transfer_in": 1}


@dataclass(frozen=True, slots=True)
class StockLine:
    product_id: str
    variant_id: str
    quantity_milli: int  # > 0


def _check_movement(kind: str, quantity_milli: int) -> None:
    if kind not in _SIGN:
        raise ApiError(422, "validation_error", f"kind: {kind!r} is not a movement kind "
                       f"({', '.join(KINDS)})", {"field": "kind"})
    if isinstance(quantity_milli, bool) or not isinstance(quantity_milli, int):
        raise ApiError(422, "validation_error", "quantity_milli: not an integer",
                       {"field": "quantity_milli"})
    sign = _SIGN[kind]
    if (quantity_milli == 0 and kind != "count") or sign * quantity_milli < 0:
        raise ApiError(422, "validation_error", f"quantity_milli: {quantity_milli} does not fit "
                       f"a {kind} movement", {"field": "quantity_milli"})


def check_movement(kind: str, quantity_milli: int) -> None:
    """The 422 ``record_movement`` raises for a kind and quantity that do not fit, before it
    writes anything: for callers that validate a whole change first (sync's pushed movements)."""
    _check_movement(kind, quantity_milli)


def movement_view(movement: dict[str, Any]) -> dict[str, Any]:
    """A movement as the API shows it (datetimes as ISO text)."""
    return {"id": movement["_id"], "store_id": movement["store_id"],
            "product_id": movement["product_id"], "variant_id": movement["variant_id"],
            "kind": movement["kind"], "quantity_milli": int(movement["quantity_milli"]),
            "reason": movement.get("reason", ""), "reference": movement.get("reference"),
            "details": movement.get("details", {}), "actor": movement["actor"],
            "at": movement["at"].isoformat()}


def record_movement(db: Database, *, session: ClientSession, store_id: str, product_id: str,
                    variant_id: str, kind: str, quantity_milli: int, reason: str = "",
                    reference: dict[str, Any] | None = None, actor: str,
                    movement_id: str | None = None,
                    details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append one movement and move the level, in the caller's transaction. With
    ``movement_id`` the call is idempotent (a second call with the same id changes nothing and
    returns the first movement). May enqueue a low-stock mail when ``available`` falls to or
    below the threshold. Returns the movement (its stored document)."""
    _check_movement(kind, quantity_milli)
    if movement_id is not None:
        first = repo.get_movement(db, movement_id, session)
        if first is not None:
            return first
    movement = {"_id": movement_id or str(uuid.uuid4()), "store_id": store_id,
                "product_id": product_id, "variant_id": variant_id, "kind": kind,
                "quantity_milli": quantity_milli, "reason": reason, "reference": reference,
                "details": details or {}, "actor": actor, "at": now_ms()}
    repo.insert_movement(db, movement, session)
    moved = change_level(db, session=session, store_id=store_id, product_id=product_id,
                         variant_id=variant_id, on_hand=quantity_milli)
    publish(db, store_id, [moved], session=session)
    return movement


@dataclass(frozen=True, slots=True)
class MovementIn:
    """One movement for ``record_movements`` (the arguments of ``record_movement``)."""

    movement_id: str
    product_id: str
    variant_id: str
    kind: str
    quantity_milli: int
    reason: str = ""
    reference: dict[str, Any] | None = None
    actor: str = ""
    details: dict[str, Any] | None = None


def record_movements(db: Database, *, session: ClientSession, store_id: str,
                     movements: list[MovementIn], pending: Pending | None = None,
                     levels: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``record_movement`` for many movements of one store in a few round trips whatever
    their number (one read of the ids, one insert, the levels through ``change_levels``):
    for a till's pushed batch. Every movement is checked before anything is written;
    idempotent per ``movement_id`` (one already recorded, or named twice, moves nothing).
    With ``pending`` the levels' feed entries are added to it (the caller flushes it in the
    transaction) instead of appended now; ``levels``: what ``levels_for`` returned for their
    variants in this transaction, if the caller read them already. Returns the movements
    written."""
    for movement in movements:
        _check_movement(movement.kind, movement.quantity_milli)
    taken = repo.movement_ids_taken(db, [m.movement_id for m in movements], session)
    now, docs = now_ms(), []
    for m in movements:
        if m.movement_id in taken:
            continue
        taken.add(m.movement_id)
        docs.append({"_id": m.movement_id, "store_id": store_id, "product_id": m.product_id,
                     "variant_id": m.variant_id, "kind": m.kind,
                     "quantity_milli": m.quantity_milli, "reason": m.reason,
                     "reference": m.reference, "details": m.details or {}, "actor": m.actor,
                     "at": now})
    if not docs:
        return []
    repo.insert_movements(db, docs, session)
    changes = change_levels(db, session=session, store_id=store_id, levels=levels, moves=[
        (d["product_id"], d["variant_id"], d["quantity_milli"]) for d in docs])
    if pending is not None:
        pending.add(store_feed(store_id), [c.change for c in changes])
    else:
        publish(db, store_id, changes, session=session)
    return docs


def _merged(lines: list[StockLine]) -> dict[str, StockLine]:
    """One line per variant (a cart may hold the same variant twice)."""
    total: dict[str, int] = defaultdict(int)
    products: dict[str, str] = {}
    for line in lines:
        if isinstance(line.quantity_milli, bool) or not isinstance(line.quantity_milli, int) \
                or line.quantity_milli <= 0:
            raise ApiError(422, "validation_error", "quantity_milli: must be a positive integer",
                           {"field": "quantity_milli", "variant_id": line.variant_id})
        total[line.variant_id] += line.quantity_milli
        products[line.variant_id] = line.product_id
    return {v: StockLine(products[v], v, q) for v, q in total.items()}


def reserve(db: Database, *, session: ClientSession, store_id: str, order_id: str,
            lines: list[StockLine], actor: str, pending: Pending | None = None) -> None:
    """Hold stock for an online order, in the caller's transaction: every line must have
    ``available >= quantity`` or nothing is reserved and ``ApiError(409, "out_of_stock",
    ..., {"lines": [{"variant_id", "requested_milli", "available_milli"}]})`` is raised.
    Idempotent per (order, variant). With ``pending`` the levels' feed entries are added to
    it (the caller flushes it before commit, with its own entries) instead of appended now."""
    wanted = _merged(lines)
    held = {r["variant_id"] for r in repo.reservations_of(db, order_id, session)}
    todo = [line for v, line in wanted.items() if v not in held]
    levels = {lv["variant_id"]: lv for lv in repo.levels_by_ids(
        db, [repo.level_id(store_id, line.variant_id) for line in todo], session)}
    short = []
    for line in todo:
        level = levels.get(line.variant_id)
        available = int(level["on_hand_milli"]) - int(level["reserved_milli"]) if level else 0
        if available < line.quantity_milli:
            short.append({"variant_id": line.variant_id, "requested_milli": line.quantity_milli,
                          "available_milli": max(available, 0)})
    if short:
        raise ApiError(409, "out_of_stock", "not enough stock for "
                       f"{len(short)} line(s): lower the quantity or remove them",
                       {"lines": short})
    # Two orders racing for the last unit both read it as available, but both then write the
    # same level document: the transactions conflict, one is retried and sees it gone.
    now = now_ms()
    changes: list[LevelChange] = []
    for line in todo:
        repo.insert_reservation(db, {"_id": f"{order_id}:{line.variant_id}", "order_id": order_id,
                                     "store_id": store_id, "product_id": line.product_id,
                                     "variant_id": line.variant_id,
                                     "quantity_milli": line.quantity_milli, "created_at": now,
                                     "actor": actor}, session)
        changes.append(change_level(db, session=session, store_id=store_id,
                                    product_id=line.product_id, variant_id=line.variant_id,
                                    reserved=line.quantity_milli))
    if pending is not None:
        pending.add(store_feed(store_id), [c.change for c in changes])
    else:
        publish(db, store_id, changes, session=session)


def _settle(db: Database, session: ClientSession, order_id: str, actor: str, *,
            sell: bool) -> None:
    by_store: dict[str, list[LevelChange]] = defaultdict(list)
    for held in repo.reservations_of(db, order_id, session):
        if not repo.delete_reservation(db, held["_id"], session):
            continue  # settled by a concurrent call
        quantity = int(held["quantity_milli"])
        if sell:
            repo.insert_movement(db, {
                "_id": f"{held['_id']}:sale", "store_id": held["store_id"],
                "product_id": held["product_id"], "variant_id": held["variant_id"],
                "kind": "sale", "quantity_milli": -quantity, "reason": "online order shipped",
                "reference": {"type": "order", "id": order_id}, "details": {},
                "actor": actor, "at": now_ms()}, session)
        by_store[held["store_id"]].append(change_level(
            db, session=session, store_id=held["store_id"], product_id=held["product_id"],
            variant_id=held["variant_id"], on_hand=-quantity if sell else 0,
            reserved=-quantity))
    for store_id, changes in by_store.items():
        publish(db, store_id, changes, session=session)


def release(db: Database, *, session: ClientSession, order_id: str, actor: str) -> None:
    """Give back what ``order_id`` holds (cancelled order); idempotent."""
    _settle(db, session, order_id, actor, sell=False)


def fulfil(db: Database, *, session: ClientSession, order_id: str, actor: str) -> None:
    """Turn ``order_id``'s reservations into ``sale`` movements (order shipped): on hand and
    reserved both go down; idempotent."""
    _settle(db, session, order_id, actor, sell=True)


def levels_for(db: Database, *, store_id: str, variant_ids: list[str],
               session: ClientSession | None = None) -> dict[str, dict[str, Any]]:
    """The stored level documents of ``variant_ids`` in a store (absent: never stocked)."""
    if not variant_ids:
        return {}
    ids = sorted({repo.level_id(store_id, v) for v in variant_ids})
    return {lv["variant_id"]: lv for lv in repo.levels_by_ids(db, ids, session)}
