"""Parked carts from the store feed (``server.carts.parked.parked_view``): a cart parked on any
till of the store is listed here, a cart resumed anywhere goes.

A cart this till resumed is gone from its table, but the server may not have heard of it
yet (the ``cart.resumed`` is still in the outbox, or was pushed after the page was read): an
upsert of it is then ignored, or it would come back and could be sold twice. The server's
``delete`` follows once the resume reached it.

The register that parked it may be one this till has never seen: a row for it (its code as
name) is added so the list can say where the cart was parked; the staff member may not be
here yet either (then the cart is kept without them)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.sync_protocol import DELETE, MutationKind
from app.till.parking import MAX_LABEL, resume_pending
from db.models import OutboxEntry, ParkedCart, Register, StaffUser
from sync.apply.entries import (BadEntry, Context, Data, Entry, Outcome, read_upserts, text,
                                when)
from sync.apply.rows import Row, delete_where_in, existing, upsert

parked_carts = ParkedCart.__table__
MAX_CART_BYTES = 200_000


def _cart_payload(data: Data) -> str:
    cart = data.get("cart")
    if not isinstance(cart, dict) or not isinstance(cart.get("lines"), list):
        raise BadEntry("cart", "is not a cart with lines")
    payload = json.dumps(cart, sort_keys=True)
    if len(payload) > MAX_CART_BYTES:
        raise BadEntry("cart", f"is larger than {MAX_CART_BYTES} bytes")
    return payload


def _parked(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    store_id = text(data, "store_id", max_len=36)
    if store_id != ctx.store_id:
        raise BadEntry("store_id", f"is {store_id!r}, not this till's store {ctx.store_id!r}")
    created = when(data, "created_at") or ctx.now
    return {"id": entry.entity_id, "store_id": store_id,
            "register_id": text(data, "register_id", optional=True, max_len=36),
            "staff_id": text(data, "staff_id", optional=True, max_len=36),
            "label": text(data, "label", default="", max_len=MAX_LABEL),
            "payload": _cart_payload(data), "created_at": created,
            "version": 1, "updated_at": ctx.now,
            "_register_code": text(data, "register_code", optional=True, max_len=8)}


def _known_registers(session: Session, ctx: Context, rows: list[Row]) -> None:
    """Point each row at a register this till holds: add the ones it has never seen, or
    leave the register out when its code belongs to another register here."""
    wanted = {r["register_id"]: r.pop("_register_code") for r in rows}
    wanted.pop(None, None)
    have = existing(session, Register.__table__.c.id, wanted)
    codes = set(session.scalars(select(Register.code).where(Register.store_id == ctx.store_id)))
    unknown: set[str] = set()
    for register_id, code in sorted(wanted.items()):
        if register_id in have:
            continue
        if not code or code in codes:
            unknown.add(register_id)
            continue
        session.add(Register(id=register_id, store_id=ctx.store_id, code=code, name=code))
        codes.add(code)
    session.flush()
    for row in rows:
        if row["register_id"] in unknown:
            row["register_id"] = None


def write_parked_carts(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    deletes = [e for e in entries if e.op == DELETE]
    delete_where_in(session, parked_carts, "id", [e.entity_id for e in deletes])
    outcome.applied += deletes
    read = read_upserts(entries, lambda e: _parked(e, ctx), outcome)
    taken_here = resume_pending(session, [e.entity_id for e, _ in read])
    rows = [row for entry, row in read if entry.entity_id not in taken_here]
    if rows:
        _known_registers(session, ctx, rows)
        staff = existing(session, StaffUser.__table__.c.id, (r["staff_id"] for r in rows))
        for row in rows:
            if row["staff_id"] not in staff:
                row["staff_id"] = None
        upsert(session, parked_carts, rows, keys=["id"])
    outcome.applied += [entry for entry, _ in read]
    return outcome


def sweep_parked(session: Session, *, since: datetime) -> int:
    """After a fresh snapshot: carts it did not name were resumed elsewhere while this till's
    cursor was too old to hear of it. Ones parked here and not pushed yet stay."""
    unsent = select(OutboxEntry.entity_id).where(
        OutboxEntry.kind == MutationKind.CART_PARKED.value)
    gone = list(session.scalars(select(ParkedCart.id).where(ParkedCart.updated_at < since,
                                                            ParkedCart.id.not_in(unsent))))
    delete_where_in(session, parked_carts, "id", gone)
    return len(gone)
