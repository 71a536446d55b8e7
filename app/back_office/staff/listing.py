"""The staff list of the back office (a ``RowSource``): name, email, role, active, whether a
PIN is set; customers never appear (they are not in this table)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.back_office.paging import Column, Row
from app.domain.errors import InvalidInput, NotFound
from db.models import StaffUser

COLUMNS = (Column("name", "Name"), Column("email", "Email"), Column("role", "Role"),
           Column("active", "Active"), Column("pin", "PIN set"))
_ORDER = {"name": StaffUser.name, "email": StaffUser.email, "role": StaffUser.role,
          "active": StaffUser.active, "pin": StaffUser.pin_hash.is_not(None)}


@dataclass(frozen=True, slots=True)
class StaffSource:
    order: str = "name"
    descending: bool = False
    columns: tuple[Column, ...] = COLUMNS

    def count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(StaffUser)) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        key = _ORDER[self.order]
        ordered = key.desc() if self.descending else key.asc()
        found = session.scalars(select(StaffUser).order_by(ordered, StaffUser.name, StaffUser.id)
                                .offset(offset).limit(limit))
        return [Row(s.id, (s.name, s.email, s.role.replace("_", " "),
                           "yes" if s.active else "no", "yes" if s.pin_hash else "no"),
                    "" if s.active else "inactive") for s in found]

    def with_order(self, key: str, descending: bool) -> "StaffSource":
        if key not in _ORDER:
            raise InvalidInput(f"cannot sort staff by {key!r}", field="order")
        return replace(self, order=key, descending=descending)


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    name: str
    email: str
    role: str
    active: bool
    has_pin: bool


def staff_member(session: Session, staff_id: str) -> StaffMember:
    found = session.get(StaffUser, staff_id)
    if found is None:
        raise NotFound(f"no member of staff {staff_id}", field="staff")
    return StaffMember(found.id, found.name, found.email, found.role, found.active,
                       bool(found.pin_hash))
