"""Who may do what at this till: every service that acts for a member of staff checks here, so
the window, the command line and scripts get the same rules."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import RuleViolation
from app.domain.permissions import Permission, can
from db.models import StaffUser


def active_staff(session: Session, staff_id: str, permission: Permission) -> StaffUser:
    """The active member of staff ``staff_id``, who must hold ``permission``."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise RuleViolation("the member of staff is unknown or deactivated", field="staff")
    if not can(staff.role, permission):
        raise RuleViolation(f"a {staff.role} may not do this ({permission.value})", field="staff")
    return staff
