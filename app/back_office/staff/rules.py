"""The rules above the permission table for managing staff, in one place for the till's
service: only an owner creates, promotes to or changes an owner (a manager manages every role
below); nobody changes their own role or deactivates themselves; the last active owner is
never deactivated or demoted; customers are not staff. The server's handler
(``server.sync.handlers.people_admin``) keeps the same rules against its own records."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import RuleViolation
from app.domain.permissions import STAFF_ROLES, Role, parse_role
from db.models import StaffUser


def staff_role(text: object) -> str:
    """A role a member of staff may have (``InvalidInput`` for an unknown one, field ``role``)."""
    role = parse_role(text)
    if role is Role.CUSTOMER:
        raise RuleViolation("customers are not staff: they sign up in the online shop",
                            field="role")
    return role.value


def check_owner_only(actor: StaffUser, *roles: str | None) -> None:
    """Refuse a non-owner touching an owner (as the target's role or the new one)."""
    if actor.role != Role.OWNER.value and Role.OWNER.value in roles:
        raise RuleViolation("only an owner may create, promote to or change an owner",
                            field="role")


def check_not_self(actor: StaffUser, target: StaffUser, what: str) -> None:
    if actor.id == target.id:
        raise RuleViolation(f"you cannot {what} yourself", field="staff")


def check_owner_remains(session: Session, target: StaffUser) -> None:
    """Refuse when ``target`` is the last active owner (it is about to stop being one)."""
    if target.role != Role.OWNER.value or not target.active:
        return
    others = session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == Role.OWNER.value, StaffUser.active.is_(True),
        StaffUser.id != target.id)) or 0
    if not others:
        raise RuleViolation(f"{target.name or target.email} is the last active owner: make "
                            "someone else an owner first", field="staff")


def assignable_roles(actor_role: str) -> tuple[str, ...]:
    """The roles ``actor_role`` may give (what the Staff page offers)."""
    return tuple(r.value for r in STAFF_ROLES
                 if r is not Role.OWNER or actor_role == Role.OWNER.value)
