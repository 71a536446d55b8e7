"""Categories as a tree: each stores its ``path`` (ancestor ids, root first), so "this category
and everything below it" is one indexed query; moves rewrite the subtree's paths and refuse a
cycle, in one transaction with their feed entries."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server import audit
from server.catalog import repository as repo
from server.catalog.schemas import CategoryCreate, CategoryPatch
from server.catalog.views import category_change, category_view
from server.changes import log as change_log
from server.common.versioning import not_found, now_ms, version_conflict
from server.database import in_transaction
from server.errors import ApiError

Doc = dict[str, Any]
MAX_DEPTH = 12
MAX_LISTED = 5000  # a shop's category tree; the list answers all of it at once


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "category"


def require_category(db: Database, category_id: str, session: ClientSession | None = None) -> Doc:
    category = repo.get(db, "categories", category_id, session)
    if category is None:
        raise not_found("category", category_id)
    return category


def _parent_path(db: Database, parent_id: str | None, moving: str | None,
                 session: ClientSession | None = None) -> list[str]:
    """The ``path`` of a child of ``parent_id``; refuses a missing parent, a cycle (``moving``
    under itself or its own subtree) and a tree deeper than ``MAX_DEPTH``."""
    if parent_id is None:
        return []
    parent = repo.get(db, "categories", parent_id, session)
    if parent is None or parent.get("archived"):
        raise ApiError(422, "validation_error", f"parent_id: no category {parent_id}",
                       {"field": "parent_id"})
    path = [*parent.get("path", []), parent_id]
    if moving is not None and moving in path:
        raise ApiError(422, "category_cycle", "parent_id: a category cannot move under itself "
                       "or one of its own subcategories", {"field": "parent_id"})
    if len(path) >= MAX_DEPTH:
        raise ApiError(422, "validation_error", f"parent_id: at most {MAX_DEPTH} levels",
                       {"field": "parent_id"})
    return path


def _record(db: Database, s: ClientSession, category: Doc, *, actor: str, action: str,
            audit_id: str, ip: str | None, request_id: str | None) -> None:
    change_log.append(db, change_log.CATALOG_FEED, category_change(category), session=s)
    audit.record(db, actor=actor, action=action, target=category["_id"], ip=ip,
                 request_id=request_id, details={"version": category["version"]}, session=s,
                 audit_id=audit_id)


def create_category(db: Database, *, body: CategoryCreate, actor: str, ip: str | None = None,
                    request_id: str | None = None) -> Doc:
    now = now_ms()
    category = {"_id": str(uuid.uuid4()), "name": body.name,
                "slug": slugify(body.slug or body.name), "parent_id": body.parent_id,
                "path": [], "sort": body.sort, "archived": False, "version": 1,
                "created_at": now, "updated_at": now}
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> None:
        category["path"] = _parent_path(db, body.parent_id, None, s)
        db.categories.insert_one(category, session=s)
        if body.parent_id is not None:  # a concurrent move of the parent conflicts with this
            db.categories.update_one({"_id": body.parent_id}, {"$inc": {"children_rev": 1}},
                                     session=s)
        _record(db, s, category, actor=actor, action="category.created", audit_id=audit_id,
                ip=ip, request_id=request_id)

    in_transaction(db, work)
    return category


def update_category(db: Database, *, category_id: str, body: CategoryPatch, actor: str,
                    ip: str | None = None, request_id: str | None = None) -> Doc:
    """Rename, reorder, (un)archive or move, if ``version`` is current."""
    current = require_category(db, category_id)
    if int(current["version"]) != body.version:
        raise version_conflict("category", int(current["version"]))
    sent = body.model_fields_set - {"version"}
    changes: Doc = {k: getattr(body, k) for k in sent
                    if getattr(body, k) is not None or k == "parent_id"}
    if not changes:
        raise ApiError(422, "validation_error", "body: nothing to change", {"field": "body"})
    if "slug" in changes:
        changes["slug"] = slugify(changes["slug"])
    moving = "parent_id" in changes and changes["parent_id"] != current.get("parent_id")
    if moving:
        _parent_path(db, changes["parent_id"], category_id)  # the early, friendly refusal
    audit_id = str(uuid.uuid4())
    written: dict[str, Doc] = {}

    def work(s: ClientSession) -> None:
        after = {**current, **changes, "version": int(current["version"]) + 1,
                 "updated_at": now_ms()}
        if moving:
            # Checked again inside the transaction, and the new parent is written too: two
            # moves that would together make a cycle (A under B, B under A) then conflict,
            # and the one retried sees the other's result.
            after["path"] = _parent_path(db, changes["parent_id"], category_id, s)
            if changes["parent_id"] is not None:
                db.categories.update_one({"_id": changes["parent_id"]},
                                         {"$inc": {"children_rev": 1}}, session=s)
        if not repo.replace_if_version(db, "categories", after, int(current["version"]), s):
            raise version_conflict("category", int(require_category(db, category_id)["version"]))
        _record(db, s, after, actor=actor, action="category.updated", audit_id=audit_id, ip=ip,
                request_id=request_id)
        if moving:
            for child in repo.descendants(db, category_id, s):
                below = child["path"][child["path"].index(category_id):]
                moved = {**child, "path": after["path"] + below,
                         "version": int(child["version"]) + 1, "updated_at": after["updated_at"]}
                if len(moved["path"]) > MAX_DEPTH:
                    raise ApiError(422, "validation_error", f"parent_id: the subtree would be "
                                   f"deeper than {MAX_DEPTH} levels", {"field": "parent_id"})
                repo.replace_if_version(db, "categories", moved, int(child["version"]), s)
                change_log.append(db, change_log.CATALOG_FEED, category_change(moved), session=s)
        written["after"] = after

    in_transaction(db, work)
    return written["after"]


def archive_category(db: Database, *, category_id: str, actor: str, ip: str | None = None,
                     request_id: str | None = None) -> Doc:
    """DELETE: archive (idempotent). Its products keep pointing at it."""
    current = require_category(db, category_id)
    if current.get("archived"):
        return current
    return update_category(db, category_id=category_id,
                           body=CategoryPatch(version=int(current["version"]), archived=True),
                           actor=actor, ip=ip, request_id=request_id)


def subtree_ids(db: Database, category_id: str) -> list[str]:
    """``category_id`` and every category below it."""
    return [category_id] + [c["_id"] for c in repo.descendants(db, category_id)]


def list_categories(db: Database, *, archived: bool | None, tree: bool) -> dict[str, Any]:
    """Every category, ordered by (depth, sort, name), or nested as a tree (``children``)."""
    rows = repo.all_categories(db, archived=archived, limit=MAX_LISTED)
    rows.sort(key=lambda c: (len(c.get("path", [])), c.get("sort", 0), c["name"], c["_id"]))
    views = [category_view(c) for c in rows]
    if not tree:
        return {"items": views}
    by_id = {v["id"]: {**v, "children": []} for v in views}
    roots = []
    for view in by_id.values():
        parent = by_id.get(view["parent_id"] or "")
        (parent["children"] if parent else roots).append(view)
    return {"items": roots}
