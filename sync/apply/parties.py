"""Coupons (``server.coupons`` view), staff (``{id, name, email, role, pin_hash, active,
version}``) and customers (``server.customers`` view)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.sync_protocol import DELETE, MutationKind
from db.models import Coupon, Customer, OutboxEntry, StaffUser
from sync.apply.entries import (BadEntry, Context, Data, Entry, Outcome, flag,
                               read_upserts, text, when, whole)
from sync.apply.rows import (Row, among, existing, fast_upsert, free_unique, set_where_in,
                             upsert)

coupons = Coupon.__table__
staff_users = StaffUser.__table__
customers = Customer.__table__

COUPON_KINDS = ("percent", "amount")
#: the customer fields a till edits (``customer.upsert`` payload ``fields``)
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "notes", "tax_number")


# --- coupons -------------------------------------------------------------------------------

def _coupon(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    kind = data.get("kind")
    if kind not in COUPON_KINDS:
        raise BadEntry("kind", f"is {kind!r}, not one of {', '.join(COUPON_KINDS)}")
    # A percent travels as decimal text with its exact ppm beside it; the till counts in ppm.
    value = whole(data, "rate_ppm" if kind == "percent" else "value", minimum=0)
    code = text(data, "code", max_len=32)
    if not code:
        raise BadEntry("code", "is empty")
    currency = text(data, "currency", optional=True, max_len=3)
    # An amount in another currency cannot be taken off a sale here (the server refuses it too).
    usable_here = currency is None or currency.upper() == ctx.currency
    return {"id": entry.entity_id, "code": code.upper(), "kind": kind, "value": value,
            "valid_from": when(data, "valid_from"), "valid_to": when(data, "valid_to"),
            "min_spend": whole(data, "min_spend", default=0, minimum=0),
            "usage_limit": whole(data, "usage_limit", optional=True, minimum=0),
            "per_customer_limit": whole(data, "per_customer_limit", optional=True, minimum=0),
            "active": flag(data, "active", default=True) and usable_here,
            "version": whole(data, "version", default=1), "updated_at": ctx.now}


def _write_retirable(session: Session, ctx: Context, entries: list[Entry], table, read,  # noqa: ANN001
                     unique: str, max_len: int, write) -> Outcome:  # noqa: ANN001
    """Coupons and staff: a delete makes the row inactive, never removes it (past sales and
    shifts point at it); an upsert frees its unique ``unique`` value first (a code or an
    email that moved from another row)."""
    outcome = Outcome()
    deletes = [e for e in entries if e.op == DELETE]
    set_where_in(session, table, "id", [e.entity_id for e in deletes],
                 {"active": False, "updated_at": ctx.now})
    outcome.applied += deletes
    read_ok = read_upserts(entries, lambda e: read(e, ctx), outcome)
    rows = [row for _, row in read_ok]
    if rows:
        free_unique(session, table, unique, rows, max_len=max_len)
        write(session, table, rows, keys=["id"])
    outcome.applied += [entry for entry, _ in read_ok]
    return outcome


def write_coupons(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    return _write_retirable(session, ctx, entries, coupons, _coupon, "code", 32, upsert)


# --- staff ---------------------------------------------------------------------------------

def _staff(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    email = text(data, "email", max_len=320)
    if not email:
        raise BadEntry("email", "is empty")
    return {"id": entry.entity_id, "name": text(data, "name", default="", max_len=200),
            "email": email, "role": text(data, "role", max_len=20),
            "pin_hash": text(data, "pin_hash", optional=True, max_len=200),
            "active": flag(data, "active", default=True),
            "version": whole(data, "version", default=1), "updated_at": ctx.stamp}


def write_staff(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    return _write_retirable(session, ctx, entries, staff_users, _staff, "email", 320,
                            fast_upsert)


# --- customers -----------------------------------------------------------------------------

def _address(addresses: Any) -> str:
    """The local record keeps one address line: the first of the server's addresses."""
    if not addresses:
        return ""
    if not isinstance(addresses, list) or not isinstance(addresses[0], dict):
        raise BadEntry("addresses", "is not a list of addresses")
    first = addresses[0]
    city = " ".join(str(first.get(k) or "") for k in ("postcode", "city")).strip()
    parts = [first.get("line1"), first.get("line2"), city, first.get("region"),
             first.get("country")]
    return ", ".join(str(p) for p in parts if p)[:500]


def _erased(customer_id: str, ctx: Context, version: int) -> Row:
    return {"id": customer_id, "name": "", "email": None, "phone": None, "address": "",
            "notes": "", "tax_number": "", "erased": True, "version": version,
            "updated_at": ctx.stamp}


def _customer(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    version = whole(data, "version", default=1)
    if flag(data, "erased"):
        return _erased(entry.entity_id, ctx, version)
    return {"id": entry.entity_id, "name": text(data, "name", default="", max_len=200),
            "email": text(data, "email", optional=True, max_len=320) or None,
            "phone": text(data, "phone", optional=True, max_len=40) or None,
            # The till's own free-text address (what tills edit and push) comes first; a
            # customer who has none shows the first of the online shop's addresses.
            "address": text(data, "address", default="", max_len=500)
            or _address(data.get("addresses")),
            "notes": text(data, "notes", default="", max_len=2000),
            # what invoices are made out with; a server from before tax numbers sends none
            "tax_number": text(data, "tax_number", default="", max_len=64), "erased": False,
            "version": version, "updated_at": ctx.stamp}


def write_customers(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    deletes = [e for e in entries if e.op == DELETE]
    read = read_upserts(entries, lambda e: _customer(e, ctx), outcome)
    # An erase made here and still queued is newer than any view the server sent before it:
    # the pull must not bring the person's data back meanwhile (it is on its way to go).
    erasing = _erase_queued(session, [row["id"] for _, row in read if not row["erased"]])
    rows = [row for _, row in read if row["id"] not in erasing] + \
        [_erased(e.entity_id, ctx, 1) for e in deletes]
    if rows:
        born = {e.entity_id: _born(e) for e, _ in read}
        _upsert_customers(session, ctx, rows, born)
        _reapply_pending(session, [r["id"] for r in rows if not r["erased"]])
    outcome.applied += [entry for entry, _ in read] + deletes
    return outcome


def _erase_queued(session: Session, customer_ids: list[str]) -> set[str]:
    if not customer_ids:
        return set()
    return set(session.scalars(select(OutboxEntry.entity_id).distinct().where(
        OutboxEntry.kind == MutationKind.CUSTOMER_ERASE.value,
        OutboxEntry.entity_id.in_(among(customer_ids)))))


def _born(entry: Entry) -> Any:
    try:
        return when(entry.data, "created_at")
    except BadEntry:
        return None


def _upsert_customers(session: Session, ctx: Context, rows: list[Row], born: dict) -> None:
    """``created_at`` is set when the row is first written (the server's, else now) and then
    left alone: it is not one of the fields a pull overwrites."""
    known = existing(session, customers.c.id, (r["id"] for r in rows))
    fresh = [{**r, "created_at": ctx.stored_time(born.get(r["id"]) or ctx.now)}
             for r in rows if r["id"] not in known]
    fast_upsert(session, customers, fresh, keys=["id"])
    fast_upsert(session, customers, [r for r in rows if r["id"] in known], keys=["id"])


def _reapply_pending(session: Session, customer_ids: list[str]) -> None:
    """The till's own edits still in the outbox go back on top: they are on their way to the
    server and will win there (last writer per field), so the till shows them meanwhile. An
    erased customer stays erased: the erasure is the newer and stronger fact."""
    pending: dict[str, dict[str, Any]] = {}
    found = session.execute(
        select(OutboxEntry.entity_id, OutboxEntry.payload)
        .where(OutboxEntry.kind == MutationKind.CUSTOMER_UPSERT.value,
               OutboxEntry.entity_id.in_(among(customer_ids)))
        .order_by(OutboxEntry.seq))
    for customer_id, payload in found:
        pending.setdefault(customer_id, {}).update(_pending_fields(payload))
    for customer_id, fields in pending.items():
        if fields:
            set_where_in(session, customers, "id", [customer_id], fields)


def _pending_fields(payload: str) -> Data:
    """The fields of one queued edit as the local table keeps them (on the wire "no phone" is
    empty text, here it is NULL, as ``app.customers`` stores it)."""
    try:
        fields = json.loads(payload).get("fields") or {}
    except (ValueError, AttributeError):
        return {}
    if not isinstance(fields, dict):
        return {}
    return {k: (v or None) if k in ("email", "phone") else (v if v is not None else "")
            for k, v in fields.items() if k in CUSTOMER_FIELDS}
