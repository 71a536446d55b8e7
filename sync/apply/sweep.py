"""After a fresh snapshot: what the server no longer has is retired here, never deleted (past
sales refer to products, variants, coupons and staff).

Every row a pull writes gets ``updated_at`` = the page's time, and a snapshot's pages are
stamped no earlier than the moment it began, so "not written since the snapshot began" is
exactly "not named by the snapshot" — and that survives a crash halfway, where ids kept in
memory would not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import Coupon, Product, StaffUser, Variant
from sync.apply.parked import sweep_parked


def sweep_unseen(session: Session, *, since: datetime, now: datetime) -> dict[str, int]:
    """Archive products and variants, deactivate coupons and staff not written since
    ``since`` (and drop parked carts resumed elsewhere); returns how many of each."""
    retired = {}
    for name, model, values, still in (
            ("products", Product, {"archived": True}, Product.archived.is_(False)),
            ("variants", Variant, {"archived": True}, Variant.archived.is_(False)),
            ("coupons", Coupon, {"active": False}, Coupon.active.is_(True)),
            ("staff_users", StaffUser, {"active": False}, StaffUser.active.is_(True))):
        table = model.__table__
        result = session.execute(update(table).where(table.c.updated_at < since, still)
                                 .values(**values, updated_at=now))
        retired[name] = result.rowcount
    retired["parked_carts"] = sweep_parked(session, since=since)  # deleted: nothing refers to them
    return retired
