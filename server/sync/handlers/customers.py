"""``customer.upsert``: a customer created or edited at a till. Last writer wins per field,
by the order edits ARRIVE at the server (never by the tills' clocks, which may be hours
apart). A field whose server value is neither what the till's edit was based on
(``base[field]``) nor the new value was changed meanwhile by someone else: the new value
still wins, the overwritten one is kept in ``sync_conflicts`` for review and reported in
``overridden``. A field the base does not name (or no base, for a customer the till created)
counts as based on nothing, so any different server value is reported.

``sync_conflicts``: ``{_id (derived from the mutation and field), entity: "customer",
entity_id, field, overwritten, incoming, device_id, mutation_id, at}``."""

from __future__ import annotations

from typing import Any

from app.domain.permissions import Permission
from app.domain.sync_protocol import Status
from server import audit
from server.customers import repository as customers_repo
from server.customers import service as customers
from server.errors import ApiError
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, require_staff, section, text
from server.users.service import normalise_email

LIMITS = {"name": 200, "email": 254, "phone": 40, "address": 500, "notes": 2000,
          "tax_number": 64}
_UNKNOWN = object()  # a field the edit's base does not name


def customer_upsert(ctx: Context) -> Outcome:
    payload = ctx.payload
    customer_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    fields = section(payload, "fields")
    unknown = sorted(set(fields) - set(LIMITS))
    if unknown:
        raise Refused(f"payload.fields.{unknown[0]}: not a customer field "
                      f"({', '.join(LIMITS)})")
    base = payload.get("base")
    if base is not None and not isinstance(base, dict):
        raise Refused("payload.base: must be an object or null")
    incoming = {name: _clean(name, value) for name, value in fields.items()}
    principal = require_staff(ctx, Permission.CUSTOMERS_WRITE)
    current = customers_repo.get(ctx.db, customer_id, ctx.session)
    if current is not None and current.get("erased"):
        raise Refused(f"payload.id: customer {customer_id} was erased (GDPR): nothing is left "
                      "to change")
    if current is None and not incoming.get("name"):
        raise Refused("payload.fields.name: a new customer needs a name")
    changes = {k: v for k, v in incoming.items()
               if current is None or v != _stored(current, k)}
    _check_email(ctx, customer_id, changes.get("email"))
    overridden = [] if current is None else _overridden(current, changes, base or {})
    if current is None:
        _create(ctx, customer_id, incoming)
    elif changes:
        _update(ctx, current, changes)
    if changes:
        _keep_conflicts(ctx, customer_id, overridden)
        audit.record(ctx.db, actor=principal.actor,
                     action="customer.created" if current is None else "customer.updated",
                     target=customer_id, request_id=ctx.request_id, session=ctx.session,
                     audit_id=ctx.derived_id("audit"),
                     details={"fields": sorted(changes), "via": "sync",
                              "device_id": ctx.principal.id})
    return Outcome(Status.APPLIED, overridden=overridden or None)


def _clean(name: str, value: Any) -> Any:
    field = f"payload.fields.{name}"
    if name == "email":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return normalise_email(text(value, field, max_length=LIMITS[name]), field=field)
        except ApiError as exc:
            raise Refused(exc.message) from None
    cleaned = text(value, field, max_length=LIMITS[name], required=name == "name").strip()
    return cleaned


def _stored(customer: Doc, name: str) -> Any:
    value = customer.get(name)
    if name == "email":
        return value or None
    return value if isinstance(value, str) else ""


def _based(base: Doc, name: str) -> Any:
    if name not in base:
        return _UNKNOWN
    try:
        return _clean(name, base[name])
    except Refused:
        return base[name]  # a base the till could not have sent cleanly: compared as it is


def _overridden(current: Doc, changes: Doc, base: Doc) -> list[Doc]:
    found = []
    for name, value in changes.items():
        server_value = _stored(current, name)
        if server_value != _based(base, name) and server_value != value:
            found.append({"field": name, "server_value": server_value, "our_value": value})
    return found


def _check_email(ctx: Context, customer_id: str, email: str | None) -> None:
    if not email:
        return
    holder = customers_repo.by_email(ctx.db, email, ctx.session)
    if holder is not None and holder["_id"] != customer_id:
        raise Refused(f"payload.fields.email: another customer has the email {email}")


def _create(ctx: Context, customer_id: str, fields: Doc) -> None:
    doc = customers.new_till_customer(
        customer_id, name=fields["name"], email=fields.get("email"),
        phone=fields.get("phone", ""), address=fields.get("address", ""),
        notes=fields.get("notes", ""), tax_number=fields.get("tax_number", ""))
    if doc["email"]:
        customers_repo.claim_email(ctx.db, doc["email"], customer_id, ctx.session)
    customers_repo.insert(ctx.db, doc, ctx.session)
    customers.publish(ctx.db, doc, session=ctx.session)


def _update(ctx: Context, current: Doc, changes: Doc) -> None:
    customer_id = current["_id"]
    fields = dict(changes)
    if "name" in fields:
        fields["name_key"] = fields["name"].lower()
    if "email" in fields:
        if fields["email"]:
            customers_repo.claim_email(ctx.db, fields["email"], customer_id, ctx.session)
        customers_repo.release_email(ctx.db, current.get("email"), customer_id, ctx.session)
    fields["updated_at"] = ctx.now
    ctx.db.customers.update_one({"_id": customer_id}, {"$set": fields, "$inc": {"version": 1}},
                                session=ctx.session)
    customers.publish(ctx.db, customers_repo.get(ctx.db, customer_id, ctx.session),
                      session=ctx.session)


def _keep_conflicts(ctx: Context, customer_id: str, overridden: list[Doc]) -> None:
    if not overridden:
        return
    ctx.db.sync_conflicts.insert_many([
        {"_id": ctx.derived_id(f"conflict:{o['field']}"), "entity": "customer",
         "entity_id": customer_id, "field": o["field"], "overwritten": o["server_value"],
         "incoming": o["our_value"], "device_id": ctx.principal.id,
         "mutation_id": ctx.mutation.id, "at": ctx.now} for o in overridden],
        session=ctx.session)
