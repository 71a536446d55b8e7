"""Tax classes (``/tax-classes``): named sets of rates in ppm. A class still used by a product
cannot be deleted (409); the others are deleted with a tombstone on the ``catalog`` feed."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server import audit
from server.catalog import repository as repo
from server.catalog.schemas import TaxClassCreate, TaxClassPatch
from server.catalog.views import tax_class_change
from server.changes import log as change_log
from server.common.versioning import not_found, now_ms, version_conflict
from server.database import in_transaction
from server.errors import ApiError

Doc = dict[str, Any]
MAX_LISTED = 1000


def require_tax_class(db: Database, tax_class_id: str) -> Doc:
    found = repo.get(db, "tax_classes", tax_class_id)
    if found is None:
        raise not_found("tax class", tax_class_id)
    return found


def _store(db: Database, before: Doc | None, after: Doc, *, actor: str, action: str,
           ip: str | None, request_id: str | None) -> Doc:
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> None:
        if before is None:
            db.tax_classes.insert_one(after, session=s)
        elif not repo.replace_if_version(db, "tax_classes", after, int(before["version"]), s):
            raise version_conflict("tax class", int(require_tax_class(db, after["_id"])["version"]))
        change_log.append(db, change_log.CATALOG_FEED, tax_class_change(after), session=s)
        audit.record(db, actor=actor, action=action, target=after["_id"], ip=ip,
                     request_id=request_id, details={"version": after["version"]}, session=s,
                     audit_id=audit_id)

    in_transaction(db, work)
    return after


def create_tax_class(db: Database, *, body: TaxClassCreate, actor: str, ip: str | None = None,
                     request_id: str | None = None) -> Doc:
    now = now_ms()
    doc = {"_id": str(uuid.uuid4()), "name": body.name,
           "rates": [r.model_dump() for r in body.rates], "version": 1, "created_at": now,
           "updated_at": now}
    return _store(db, None, doc, actor=actor, action="tax_class.created", ip=ip,
                  request_id=request_id)


def update_tax_class(db: Database, *, tax_class_id: str, body: TaxClassPatch, actor: str,
                     ip: str | None = None, request_id: str | None = None) -> Doc:
    current = require_tax_class(db, tax_class_id)
    if int(current["version"]) != body.version:
        raise version_conflict("tax class", int(current["version"]))
    changes: Doc = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.rates is not None:
        changes["rates"] = [r.model_dump() for r in body.rates]
    if not changes:
        raise ApiError(422, "validation_error", "body: nothing to change", {"field": "body"})
    after = {**current, **changes, "version": int(current["version"]) + 1, "updated_at": now_ms()}
    return _store(db, current, after, actor=actor, action="tax_class.updated", ip=ip,
                  request_id=request_id)


def delete_tax_class(db: Database, *, tax_class_id: str, version: int | None, actor: str,
                     ip: str | None = None, request_id: str | None = None) -> None:
    """Delete a class no product uses (409 ``tax_class_in_use`` otherwise)."""
    current = require_tax_class(db, tax_class_id)
    if version is not None and int(current["version"]) != version:
        raise version_conflict("tax class", int(current["version"]))
    user = repo.product_using_tax_class(db, tax_class_id)
    if user is not None:
        raise ApiError(409, "tax_class_in_use", f"product {user['_id']} uses this tax class: "
                       "move its products to another class first",
                       {"field": "tax_class_id", "product_id": user["_id"]})
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> None:
        result = db.tax_classes.delete_one({"_id": tax_class_id, "version": current["version"]},
                                           session=s)
        if result.deleted_count != 1:
            raise version_conflict("tax class", int(current["version"]))
        change_log.append(db, change_log.CATALOG_FEED, change_log.Change(
            "tax_class", tax_class_id, op=change_log.DELETE,
            version=int(current["version"]) + 1), session=s)
        audit.record(db, actor=actor, action="tax_class.deleted", target=tax_class_id, ip=ip,
                     request_id=request_id, session=s, audit_id=audit_id)

    in_transaction(db, work)


def list_tax_classes(db: Database) -> list[Doc]:
    return repo.tax_classes(db, MAX_LISTED)
