"""Creating and changing staff at a till, offline if need be: each change is written here and
queued for the server in one transaction (``staff.create`` with every field, ``staff.update``
with the fields changed and, for role and active, the values they replaced as ``base``), so
the server can tell an edit made meanwhile elsewhere. A PIN reset also carries the hash it
replaced (``replaced_pin_hash``, which the server has anyway): a change the server refuses is
put back here with it (``sync.resolution``), and a refused ``staff.create`` leaves the account
deactivated with no PIN. A PIN is hashed here (``hash_pin``): only its hash is stored and
travels, never the PIN. The journal names what changed (roles, the fact of a PIN reset),
never a PIN or its hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.back_office.staff import rules
from app.customers import clean_field
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.local_auth import hash_pin
from app.staff import active_staff
from db.base import new_id, utcnow
from db.models import StaffUser

MAX_NAME = 200


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("is required", field="name")
    text = name.strip()
    if len(text) > MAX_NAME or not text.isprintable():
        raise InvalidInput(f"must be printable text of at most {MAX_NAME} characters",
                           field="name")
    return text


def _email(session: Session, email: object) -> str:
    address = clean_field("email", email if email is not None else "")
    if address is None:
        raise InvalidInput("is required", field="email")
    taken = session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == address))
    if taken is not None:
        raise RuleViolation(f"another member of staff has the email {address}", field="email")
    return address


def _target(session: Session, staff_id: str) -> StaffUser:
    target = session.get(StaffUser, staff_id) if isinstance(staff_id, str) else None
    if target is None:
        raise NotFound(f"no member of staff {staff_id}", field="staff")
    return target


def create_staff(session: Session, *, staff_id: str, name: str, email: str, role: str,
                 pin: str) -> StaffUser:
    """A new member of staff who signs in at tills with ``pin`` (no password: the server's
    account has none until they set one)."""
    actor = active_staff(session, staff_id, Permission.USERS_MANAGE)
    values = {"name": _name(name), "role": rules.staff_role(role)}
    rules.check_owner_only(actor, values["role"])
    values["email"] = _email(session, email)
    pin_hash = hash_pin(pin)
    now = utcnow()
    member = StaffUser(id=new_id(), pin_hash=pin_hash, active=True, updated_at=now, **values)
    session.add(member)
    session.flush()
    outbox.enqueue(session, kind=MutationKind.STAFF_CREATE.value, entity_id=member.id,
                   payload={"id": member.id, **values, "pin_hash": pin_hash,
                            "staff_id": actor.id})
    audit.append(session, action="staff.created", entity="staff", entity_id=member.id,
                 actor_id=actor.id, details={"role": values["role"]}, at=now)
    return member


def _update(session: Session, actor: StaffUser, target: StaffUser, changes: dict[str, Any],
            action: str, details: dict[str, Any]) -> StaffUser:
    base = {k: getattr(target, k) for k in changes if k in ("role", "active")}
    payload = {"id": target.id, "changes": changes, "base": base, "staff_id": actor.id}
    if "pin_hash" in changes:  # only to put it back here if the server refuses the reset
        payload["replaced_pin_hash"] = target.pin_hash
    for field, value in changes.items():
        setattr(target, field, value)
    target.updated_at = utcnow()
    session.flush()
    outbox.enqueue(session, kind=MutationKind.STAFF_UPDATE.value, entity_id=target.id,
                   payload=payload)
    audit.append(session, action=action, entity="staff", entity_id=target.id,
                 actor_id=actor.id, details=details, at=target.updated_at)
    return target


def change_role(session: Session, *, staff_id: str, target_id: str, role: str) -> StaffUser:
    actor = active_staff(session, staff_id, Permission.USERS_MANAGE)
    target = _target(session, target_id)
    new_role = rules.staff_role(role)
    if new_role == target.role:
        return target
    rules.check_owner_only(actor, target.role, new_role)
    rules.check_owner_remains(session, target)
    rules.check_not_self(actor, target, "change the role of")
    return _update(session, actor, target, {"role": new_role}, "staff.role_changed",
                   {"from": target.role, "to": new_role})


def reset_pin(session: Session, *, staff_id: str, target_id: str, pin: str) -> StaffUser:
    """A new PIN for ``target_id`` (yourself included); the old one stops working here at
    once and at the other tills once they sync."""
    actor = active_staff(session, staff_id, Permission.USERS_MANAGE)
    target = _target(session, target_id)
    rules.check_owner_only(actor, target.role)
    pin_hash = hash_pin(pin)
    return _update(session, actor, target, {"pin_hash": pin_hash}, "staff.pin_reset", {})


def set_active(session: Session, *, staff_id: str, target_id: str, active: bool) -> StaffUser:
    """Deactivate (never delete: sales and shifts point at the account) or reactivate."""
    if not isinstance(active, bool):
        raise InvalidInput("must be true or false", field="active")
    actor = active_staff(session, staff_id, Permission.USERS_MANAGE)
    target = _target(session, target_id)
    if target.active == active:
        return target
    rules.check_owner_only(actor, target.role)
    if not active:
        rules.check_owner_remains(session, target)
        rules.check_not_self(actor, target, "deactivate")
    return _update(session, actor, target, {"active": active},
                   "staff.reactivated" if active else "staff.deactivated",
                   {"role": target.role})
