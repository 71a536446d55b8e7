"""Who is using the back office, and what they may open and do there.

The back office runs on a till or a laptop in the office, offline if need be: staff sign in
with their PIN against the synced hashes, like at the till (the same lock-out), but only
staff whose role opens the back office (``backoffice:open``: owner, manager, moderator,
support, stock clerk — never a cashier). Each page names the permission it needs to be shown;
every action the page offers is checked again by its service with ``app.staff.active_staff``
inside the transaction that writes, so a screen that shows a button is never what allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import RuleViolation
from app.domain.permissions import ROLE_PERMISSIONS, Permission, Role, can
from app.till import signin
from app.till.format import staff_card
from app.till.views import StaffCard
from db.base import utcnow
from db.engine import LocalStore
from db.models import StaffUser


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the back office: its key, its title, and the permission that shows it."""

    key: str
    title: str
    permission: Permission


#: The back office's pages, in the order the navigation lists them.
PAGES: tuple[Page, ...] = (
    Page("products", "Products", Permission.CATALOG_READ),
    Page("stock", "Stock", Permission.STOCK_READ),
    Page("orders", "Orders", Permission.ORDERS_READ),
    Page("customers", "Customers", Permission.CUSTOMERS_READ),
    Page("staff", "Staff", Permission.USERS_MANAGE),
    Page("data", "Import, export, backups", Permission.SETTINGS_MANAGE),
    Page("settings", "Settings", Permission.SETTINGS_MANAGE),
)


@dataclass(frozen=True, slots=True)
class BackOfficeUser:
    """The member of staff signed in to the back office."""

    id: str
    name: str
    role: str

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[Role(self.role)]

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def pages(self) -> tuple[Page, ...]:
        """The pages this person may open, in navigation order."""
        return tuple(page for page in PAGES if self.may(page.permission))

    def require(self, permission: Permission) -> None:
        """Raise ``RuleViolation`` (field ``staff``) unless this person holds ``permission``:
        for a page's own early refusal; services check again when they write."""
        if not self.may(permission):
            raise RuleViolation(f"a {self.role} may not do this ({permission.value})",
                                field="staff")


def _may_open(staff: StaffUser) -> bool:
    return staff.active and bool(staff.pin_hash) and can(staff.role, Permission.BACK_OFFICE)


def staff_for_back_office(session: Session) -> list[StaffCard]:
    """Active staff with a PIN whose role opens the back office, by name."""
    rows = session.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                   StaffUser.pin_hash.is_not(None))
                           .order_by(StaffUser.name, StaffUser.id))
    return [staff_card(s) for s in rows if _may_open(s)]


class BackOfficeAccess:
    """Sign-in for the back office over one store: the PIN checked outside any transaction (the
    hash is slow), wrong PINs counted per person (five lock them out for a minute, audited),
    the sign-in audited. Thread-safe enough for the window's single database worker."""

    def __init__(self, store: LocalStore, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        self._guard = signin.PinGuard(clock)

    def staff(self) -> list[StaffCard]:
        with self.store.read() as session:
            return staff_for_back_office(session)

    def sign_in(self, staff_id: str, pin: str) -> BackOfficeUser:
        """Wrong PIN: ``InvalidInput(field="pin")``; a role that does not open the back office:
        ``RuleViolation(field="staff")``, before the PIN is even checked."""
        with self.store.read() as session:
            holder = signin.pin_holder(session, staff_id)
        if not can(holder.role, Permission.BACK_OFFICE):
            raise RuleViolation(f"a {holder.role} does not use the back office", field="staff")
        try:
            signin.check_pin(self._guard, holder, pin)
        except signin.LockedOut:
            with self.store.write() as session:
                audit.append(session, action="back_office.pin_locked", entity="staff",
                             entity_id=holder.id, actor_id=None,
                             details={"seconds": int(signin.LOCKOUT.total_seconds())},
                             at=self.clock())
            raise
        with self.store.write() as session:
            audit.append(session, action="back_office.signed_in", entity="staff",
                         entity_id=holder.id, actor_id=holder.id, details={}, at=self.clock())
        return BackOfficeUser(holder.id, holder.name, holder.role)
