"""The back office's ``store.update`` and ``tax_class.upsert`` (see ``base`` for the rules
every handler keeps).

``store.update`` — the store's name, address, tax number or time zone, changed by the owner
(``stores:manage``). Last writer wins per field, in the order edits arrive: tills never pull
their store (they adopt it at pairing), so the version a till holds is not the server's and a
version check would refuse every edit after the first one made here. A field whose server
value is neither the edit's base nor the new value was changed meanwhile elsewhere: the edit
still wins, and the audit entry keeps what it overwrote (``overwrote``) for review.

``tax_class.upsert`` — a tax class made or edited in a back office (``settings:manage``).
Server wins, as for the whole catalogue: applied only on the version it was based on
(``base_version``, 0 for a class born at the till), else ``conflict`` with the class as the
server has it. An applied change goes on the ``catalog`` feed like an edit made here, so every
till pulls it.

``HANDLERS`` maps each kind to its handler; ``server.sync.handlers`` merges it into the table
the push applies."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind, Status
from server import audit
from server.catalog.schemas import TaxClassCreate
from server.catalog.views import tax_class_change, tax_class_view
from server.changes import log as change_log
from server.common.versioning import now_ms
from server.devices.schemas import StoreUpdate
from server.devices.stores import store_view
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, require_staff, section, same_store

STORE_FIELDS = ("name", "address", "tax_number", "timezone")


def _first_error(exc: ValidationError, prefix: str) -> Refused:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return Refused(f"{prefix}.{where}: {error.get('msg', 'is not valid')}")


def store_update(ctx: Context) -> Outcome:
    payload = ctx.payload
    store_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    same_store(ctx, store_id, "payload.id")
    fields = section(payload, "fields")
    unknown = sorted(set(fields) - set(STORE_FIELDS))
    if unknown:
        raise Refused(f"payload.fields.{unknown[0]}: not a store detail a till changes "
                      f"({', '.join(STORE_FIELDS)})")
    if not fields:
        raise Refused("payload.fields: nothing to change")
    try:
        checked = StoreUpdate(version=1, **fields)
    except ValidationError as exc:
        raise _first_error(exc, "payload.fields") from None
    base = payload.get("base") or {}
    if not isinstance(base, dict):
        raise Refused("payload.base: must be an object")
    principal = require_staff(ctx, Permission.STORES_MANAGE)
    current = ctx.db.stores.find_one({"_id": store_id}, session=ctx.session)
    if current is None:
        raise Refused(f"payload.id: no store {store_id} on the server")
    incoming = {name: getattr(checked, name) for name in fields}
    changes = {k: v for k, v in incoming.items() if current.get(k, "") != v}
    if not changes:  # a replay, or the same change made at the server too
        return Outcome(Status.APPLIED, current=store_view(current))
    overwrote = {k: current.get(k, "") for k in changes
                 if k in base and current.get(k, "") != base[k]}
    now = now_ms()
    ctx.db.stores.update_one({"_id": store_id},
                             {"$set": {**changes, "updated_at": now}, "$inc": {"version": 1}},
                             session=ctx.session)
    audit.record(ctx.db, actor=principal.actor, action="store.updated", target=store_id,
                 request_id=ctx.request_id, session=ctx.session,
                 audit_id=ctx.derived_id("audit"),
                 details={"from": {k: current.get(k, "") for k in changes}, "to": changes,
                          "overwrote": overwrote, "device_id": ctx.principal.id,
                          "mutation_id": ctx.mutation.id})
    after = {**current, **changes, "updated_at": now,
             "version": int(current.get("version", 1)) + 1}
    return Outcome(Status.APPLIED, current=store_view(after))


def tax_class_upsert(ctx: Context) -> Outcome:
    payload = ctx.payload
    tax_class_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    base_version = payload.get("base_version")
    if not is_int(base_version) or base_version < 0:
        raise Refused("payload.base_version: must be the version the edit was based on "
                      "(0 for a new tax class)")
    try:
        body = TaxClassCreate(name=payload.get("name"), rates=payload.get("rates") or [])
    except ValidationError as exc:
        raise _first_error(exc, "payload") from None
    principal = require_staff(ctx, Permission.SETTINGS_MANAGE)
    current = ctx.db.tax_classes.find_one({"_id": tax_class_id}, session=ctx.session)
    if current is None and base_version > 0:
        raise Refused(f"payload.id: no tax class {tax_class_id} on the server (deleted there?)")
    if current is not None and int(current["version"]) != base_version:
        return Outcome(Status.CONFLICT, current=tax_class_view(current), reason=(
            f"the tax class was changed on the server meanwhile (version "
            f"{current['version']}; this edit was based on version {base_version})"))
    _name_free(ctx, tax_class_id, body.name)
    rates = [r.model_dump() for r in body.rates]
    now = now_ms()
    if current is None:
        after: Doc = {"_id": tax_class_id, "name": body.name, "rates": rates, "version": 1,
                      "created_at": now, "updated_at": now}
        ctx.db.tax_classes.insert_one(after, session=ctx.session)
    else:
        after = {**current, "name": body.name, "rates": rates,
                 "version": int(current["version"]) + 1, "updated_at": now}
        ctx.db.tax_classes.update_one(
            {"_id": tax_class_id, "version": current["version"]},
            {"$set": {k: v for k, v in after.items() if k not in ("_id", "created_at")}},
            session=ctx.session)
    change_log.append(ctx.db, change_log.CATALOG_FEED, tax_class_change(after),
                      session=ctx.session)
    audit.record(ctx.db, actor=principal.actor,
                 action="tax_class.created" if current is None else "tax_class.updated",
                 target=tax_class_id, request_id=ctx.request_id, session=ctx.session,
                 audit_id=ctx.derived_id("audit"),
                 details={"version": after["version"], "device_id": ctx.principal.id})
    return Outcome(Status.APPLIED, current=tax_class_view(after))


def _name_free(ctx: Context, tax_class_id: str, name: str) -> None:
    other = ctx.db.tax_classes.find_one({"name": name, "_id": {"$ne": tax_class_id}},
                                        {"_id": 1}, session=ctx.session)
    if other is not None:
        raise Refused(f"payload.name: another tax class on the server is called {name!r}")


HANDLERS: dict[str, Any] = {
    MutationKind.STORE_UPDATE.value: store_update,
    MutationKind.TAX_CLASS_UPSERT.value: tax_class_upsert,
}
