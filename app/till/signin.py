"""Who is at the till: the sign-in list, PIN checks with a lock-out, and manager approval.

PINs are checked against the synced PBKDF2 hashes, offline. The hash is slow on purpose, so
it is computed outside any transaction (the caller reads the member of staff, then checks):
a PIN check must never hold the store's write lock. Five wrong PINs in a row lock that person
out for a minute — in memory, per register session, which is where the guessing happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission, can
from app.local_auth import check_pin_format, verify_pin
from app.till.format import staff_card
from app.till.views import StaffCard
from db.models import StaffUser

MAX_WRONG_PINS = 5
LOCKOUT = timedelta(seconds=60)
#: what makes someone a manager at the till: they may approve what cashiers may not do alone
APPROVER_PERMISSION = Permission.VOID


class LockedOut(RuleViolation):
    """This wrong PIN was the last one allowed: the person is locked out now (audited)."""


@dataclass(frozen=True, slots=True)
class PinHolder:
    """What a PIN check needs of a member of staff, read before the (slow) hash is computed."""

    id: str
    name: str
    role: str
    pin_hash: str


@dataclass(slots=True)
class PinGuard:
    """Counts wrong PINs per member of staff; five in a row lock them out for LOCKOUT."""

    clock: Callable[[], datetime]
    _wrong: dict[str, int] = field(default_factory=dict)
    _locked_until: dict[str, datetime] = field(default_factory=dict)

    def check_not_locked(self, staff_id: str) -> None:
        until = self._locked_until.get(staff_id)
        if until is None:
            return
        left = until - self.clock()
        if left.total_seconds() <= 0:
            del self._locked_until[staff_id]
            return
        raise RuleViolation(f"too many wrong PINs: try again in {_seconds(left)} s", field="pin")

    def wrong(self, staff_id: str) -> bool:
        """Count a wrong PIN; True when this one locked the person out."""
        count = self._wrong.get(staff_id, 0) + 1
        if count >= MAX_WRONG_PINS:
            self._wrong.pop(staff_id, None)
            self._locked_until[staff_id] = self.clock() + LOCKOUT
            return True
        self._wrong[staff_id] = count
        return False

    def right(self, staff_id: str) -> None:
        self._wrong.pop(staff_id, None)


def _seconds(delta: timedelta) -> int:
    return max(1, -int(-delta.total_seconds() // 1))


def _may_sign_in(staff: StaffUser) -> bool:
    return staff.active and bool(staff.pin_hash) and can(staff.role, Permission.SELL)


def staff_for_signin(session: Session) -> list[StaffCard]:
    """Active staff with a PIN who may sell, by name."""
    rows = session.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                   StaffUser.pin_hash.is_not(None))
                           .order_by(StaffUser.name, StaffUser.id))
    return [staff_card(s) for s in rows if _may_sign_in(s)]


def managers(session: Session) -> list[StaffCard]:
    """Active staff with a PIN who may approve what a cashier may not do alone."""
    rows = session.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                   StaffUser.pin_hash.is_not(None))
                           .order_by(StaffUser.name, StaffUser.id))
    return [staff_card(s) for s in rows if can(s.role, APPROVER_PERMISSION)]


def pin_holder(session: Session, staff_id: object) -> PinHolder:
    """The member of staff whose PIN is about to be checked: active, with a PIN."""
    staff = session.get(StaffUser, staff_id) if isinstance(staff_id, str) else None
    if staff is None:
        raise NotFound("choose yourself in the list first", field="staff")
    if not staff.active or not staff.pin_hash:
        raise RuleViolation(f"{staff.name} cannot sign in at the till (deactivated or no PIN)",
                            field="staff")
    return PinHolder(staff.id, staff.name, staff.role, staff.pin_hash)


def check_pin(guard: PinGuard, holder: PinHolder, pin: object) -> None:
    """Raise unless ``pin`` is ``holder``'s PIN; counts towards the lock-out. Run it outside
    any transaction: the hash takes a while by design."""
    guard.check_not_locked(holder.id)
    try:
        check_pin_format(pin)
    except InvalidInput:
        raise InvalidInput("a PIN is 4 to 8 digits", field="pin") from None
    if verify_pin(pin, holder.pin_hash):  # type: ignore[arg-type] - checked just above
        guard.right(holder.id)
        return
    if guard.wrong(holder.id):
        raise LockedOut(f"wrong PIN, {MAX_WRONG_PINS} times in a row: {holder.name} is "
                            f"locked out for {int(LOCKOUT.total_seconds())} s", field="pin")
    raise InvalidInput("wrong PIN", field="pin")


def record_lockout(session: Session, holder: PinHolder, *, register_id: str, now: datetime) -> None:
    audit.append(session, action="till.pin_locked", entity="staff", entity_id=holder.id,
                 actor_id=None, details={"register": register_id, "seconds":
                                         int(LOCKOUT.total_seconds())}, at=now)


def record_signin(session: Session, holder: PinHolder, *, register_id: str, now: datetime) -> None:
    audit.append(session, action="till.signed_in", entity="staff", entity_id=holder.id,
                 actor_id=holder.id, details={"register": register_id}, at=now)


def check_approver(holder: PinHolder, permission: Permission) -> None:
    if not can(holder.role, permission):
        raise RuleViolation(f"{holder.name} ({holder.role}) may not approve this "
                            f"({permission.value})", field="staff")


def record_approval(session: Session, holder: PinHolder, permission: Permission, *,
                    for_staff: str | None, register_id: str, now: datetime) -> None:
    audit.append(session, action="approval.granted", entity="staff", entity_id=for_staff,
                 actor_id=for_staff, approved_by=holder.id,
                 details={"permission": permission.value, "for": for_staff,
                          "register": register_id}, at=now)
