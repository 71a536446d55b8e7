"""The category tree in the back office: create, rename and move a category (never under
itself or one of its own subcategories, at most ``MAX_DEPTH`` levels), offline if need be. The
local row changes at once and a ``category.upsert`` waits in the outbox with the version it was
based on (none for a new one): the catalogue is the server's, so a category changed there
meanwhile comes back as a conflict and the server's tree stands."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.base import new_id, utcnow
from db.models import Category, OutboxEntry

MAX_DEPTH = 12  # the server's
MAX_NAME = 200
MAX_POSITION = 1_000_000
KEEP: object = object()  # save_category's parent_id left out: where it is (a new one: the top)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("is required", field="name")
    text = value.strip()
    if len(text) > MAX_NAME or not text.isprintable():
        raise InvalidInput(f"is 1 to {MAX_NAME} printable characters", field="name")
    return text


def _check_parent(session: Session, parent_id: str | None, moving: str | None) -> None:
    """A parent that exists, is not ``moving`` nor below it, and leaves room for a level."""
    if parent_id is None:
        return
    depth, current, seen = 1, parent_id, set()
    while current is not None:
        if current == moving:
            raise RuleViolation("a category cannot move under itself or one of its own "
                                "subcategories", field="parent_id")
        category = session.get(Category, current)
        if category is None:
            raise NotFound(f"no category {current}", field="parent_id")
        if current in seen:  # a loop already in synced data: refuse rather than hang
            raise RuleViolation("the category tree holds a loop here", field="parent_id")
        seen.add(current)
        depth += 1
        current = category.parent_id
    # the moved category's whole subtree moves with it: its deepest level counts (the
    # server refuses a tree deeper than MAX_DEPTH)
    if depth + _height_below(session, moving, MAX_DEPTH) > MAX_DEPTH:
        raise RuleViolation(f"at most {MAX_DEPTH} levels", field="parent_id")


def _height_below(session: Session, category_id: str | None, limit: int) -> int:
    """How many levels of subcategories lie below ``category_id`` (0 for none), counted up
    to ``limit`` (past it the move is refused anyway, and a loop cannot make it hang)."""
    height, frontier = 0, [category_id] if category_id is not None else []
    while frontier and height <= limit:
        frontier = list(session.scalars(select(Category.id)
                                        .where(Category.parent_id.in_(frontier))))
        height += bool(frontier)
    return height


def _pending(session: Session, category_id: str) -> int:
    """This till's changes of the category the server has not answered yet; its creation
    (still queued) makes version 1 and counts for none."""
    payloads = session.scalars(select(OutboxEntry.payload).where(
        OutboxEntry.kind == MutationKind.CATEGORY_UPSERT.value,
        OutboxEntry.entity_id == category_id))
    return sum(json.loads(p).get("base_version") is not None for p in payloads)


def save_category(session: Session, *, staff_id: str, name: str,
                  parent_id: str | None | object = KEEP, category_id: str | None = None,
                  position: int | None = None) -> Category:
    """Create (no ``category_id``) or rename/move/reorder a category; ``parent_id=None``
    moves it to the top, leaving it out keeps it where it is."""
    staff = active_staff(session, staff_id, Permission.CATALOG_WRITE)
    text = _name(name)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or not -MAX_POSITION <= position <= MAX_POSITION):
        raise InvalidInput("must be a whole number", field="position")
    if parent_id is not KEEP and parent_id is not None and not isinstance(parent_id, str):
        raise InvalidInput("must be a category's id or None", field="parent_id")
    if category_id is None:
        parent_id = None if parent_id is KEEP else parent_id
        _check_parent(session, parent_id, None)
        category = Category(id=new_id(), name=text, parent_id=parent_id, position=position or 0,
                            version=1, updated_at=utcnow())
        session.add(category)
        base_version, before = None, None
    else:
        category = session.get(Category, category_id)
        if category is None:
            raise NotFound(f"no category {category_id}", field="category")
        parent_id = category.parent_id if parent_id is KEEP else parent_id
        _check_parent(session, parent_id, category.id)
        if (category.name, category.parent_id, category.position) == \
                (text, parent_id, category.position if position is None else position):
            return category  # nothing changes: nothing to tell the server
        # the server bumps the version per applied change (as products' edits count)
        base_version = category.version + _pending(session, category.id)
        # what the change replaces, so a refusal can put it back (sync.back_office_undo)
        before = {"name": category.name, "parent_id": category.parent_id,
                  "position": category.position}
        category.name, category.parent_id = text, parent_id
        if position is not None:
            category.position = position
        category.updated_at = utcnow()
    session.flush()
    outbox.enqueue(session, kind=MutationKind.CATEGORY_UPSERT.value, entity_id=category.id,
                   payload={"id": category.id, "name": category.name,
                            "parent_id": category.parent_id, "position": category.position,
                            "base_version": base_version, "staff_id": staff.id,
                            **({"before": before} if before is not None else {})})
    audit.append(session, action="category.created" if base_version is None
                 else "category.updated", entity="category", entity_id=category.id,
                 actor_id=staff.id, details={"name": category.name,
                                             "parent_id": category.parent_id})
    return category
