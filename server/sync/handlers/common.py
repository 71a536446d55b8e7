"""Checks every handler shares: payload fields, the device's store, the staff member behind a
mutation and their permission, and the stock movements an order or refund carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from app.domain.permissions import Permission, Role, can
from server.security.deps import Principal
from server.sync.handlers.base import Context, Doc, Refused

MAX_ID = 64


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Refused(f"{field}: must be text")
    if required and not value.strip():
        raise Refused(f"{field}: must not be empty")
    if len(value) > max_length:
        raise Refused(f"{field}: longer than {max_length} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"{field}: contains characters that are not valid Unicode") from None
    return value


def identifier(value: Any, field: str) -> str:
    return text(value, field, max_length=MAX_ID, required=True)


def section(payload: Doc, name: str) -> Doc:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise Refused(f"payload.{name}: must be an object")
    return value


def same_store(ctx: Context, store_id: Any, field: str = "payload.store_id") -> None:
    """A device writes for its own store only; a payload may leave the store out."""
    if store_id is not None and store_id != ctx.store_id:
        raise Refused(f"{field}: {store_id} is not this device's store ({ctx.store_id})")


def parse_time(value: Any) -> datetime | None:
    """An ISO time from the till (naive means UTC), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def staff_id_of(ctx: Context) -> str | None:
    found = ctx.payload.get("staff_id") or ctx.mutation.staff_id
    return str(found) if found else None


def staff_member(ctx: Context, staff_id: str) -> Doc | None:
    cache = ctx.batch.users
    if staff_id not in cache:
        cache[staff_id] = ctx.db.users.find_one(
            {"_id": staff_id}, {"role": 1, "active": 1, "store_ids": 1, "email": 1},
            session=ctx.session)
    return cache[staff_id]


def require_staff(ctx: Context, permission: Permission) -> Principal:
    """The staff member who made the change, who must be active here and hold
    ``permission``; the principal their writes are attributed to."""
    staff_id = staff_id_of(ctx)
    if staff_id is None:
        raise Refused(f"staff_id: a staff member holding {permission.value} must make this change")
    return check_staff(ctx, staff_id, permission)


def check_staff(ctx: Context, staff_id: str, permission: Permission) -> Principal:
    user = staff_member(ctx, staff_id)
    if user is None or not user.get("active", True):
        raise Refused(f"staff_id: no active staff member {staff_id}")
    role = user.get("role")
    if role not in {r.value for r in Role} or role == Role.CUSTOMER.value:
        raise Refused(f"staff_id: {staff_id} is not a staff member")
    stores = user.get("store_ids") or []
    if stores and ctx.store_id not in stores:
        raise Refused(f"staff_id: {staff_id} does not work at this store")
    if not can(role, permission):
        raise Refused(f"staff_id: a {role} may not do this ({permission.value})")
    return Principal("user", staff_id, role, user.get("email"), ctx.store_id,
                     ctx.principal.register_id)


@dataclass(frozen=True, slots=True)
class CarriedMovement:
    """A stock movement an order or refund carries, as the till wrote it."""

    movement_id: str
    variant_id: str
    quantity_milli: int


def carried_movements(ctx: Context, kind: str, flags: list[str]) -> list[CarriedMovement]:
    """The payload's ``stock_movements`` of ``kind`` (a sale's go out, a return's come in);
    one that cannot be posted is flagged and left out, never a reason to refuse the sale."""
    raw = ctx.payload.get("stock_movements") or []
    if not isinstance(raw, list):
        flags.append("stock_movements: not a list, none posted")
        return []
    sign = -1 if kind == "sale" else 1
    found = []
    for n, item in enumerate(raw):
        where = f"stock_movements[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("variant_id"), str):
            flags.append(f"{where}: malformed, not posted")
            continue
        quantity = item.get("quantity_milli")
        if item.get("kind", kind) != kind or not is_int(quantity) or quantity * sign <= 0:
            flags.append(f"{where}: not a {kind} movement ({item.get('kind')}, "
                         f"{quantity!r}), not posted")
            continue
        found.append(CarriedMovement(item["id"][:MAX_ID], item["variant_id"][:MAX_ID], quantity))
    return found


def tracking_number(payload: dict, *, required: bool) -> str | None:
    """A parcel's tracking number as a till sends it: printable ASCII, at most 60 characters."""
    tracking = (text(payload.get("tracking_number"), "payload.tracking_number", max_length=60,
                     required=required) or "").strip()
    if not tracking:
        if required:
            raise Refused("payload.tracking_number: must not be empty")
        return None
    if not tracking.isascii() or not tracking.isprintable():
        raise Refused("payload.tracking_number: must be printable ASCII")
    return tracking


def label_reason(ctx: Context, payload: dict) -> str:
    """An order's history line for a label printed at a till: where, carrier, service, parcels."""
    carrier = text(payload.get("carrier"), "payload.carrier", max_length=30) or "carrier"
    service = text(payload.get("service"), "payload.service", max_length=60)
    parcels = payload.get("parcels")
    count = f", {parcels} parcel{'s' if parcels != 1 else ''}" if is_int(parcels) else ""
    reason = (f"label printed at register {ctx.principal.register_id} "
              f"({carrier} {service}{count})".replace(" )", ")"))
    return reason[:200]
