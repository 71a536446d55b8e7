"""The store's own details — name, address, tax number, time zone — changed in the back office
by the owner (``stores:manage``; a manager sees them read-only) and pushed as ``store.update``.

Policy: last writer wins, per field. Only the owner may change these, and the till never learns
a newer version of its store from the server (stores are adopted at pairing, not pulled), so a
version check would refuse every edit made after the first one at the server. The push carries
the values this edit replaced (``base``), and the server's audit entry keeps what it overwrote.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from app import audit, outbox
from app.back_office.settings.errors import FieldErrors
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.sales.identity import this_register
from app.staff import active_staff
from db.engine import LocalStore

#: field → the longest value the server takes
LIMITS = {"name": 200, "address": 500, "tax_number": 64, "timezone": 64}
FIELDS = tuple(LIMITS)


@dataclass(frozen=True, slots=True)
class StoreDetails:
    id: str
    code: str
    name: str
    address: str
    tax_number: str
    timezone: str
    currency: str

    def values(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in FIELDS}


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """The IANA zone names, sorted (what the server accepts)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def store_details(session: Session) -> StoreDetails:
    shop, _ = this_register(session)
    return StoreDetails(shop.id, shop.code, shop.name, shop.address or "", shop.tax_number or "",
                        shop.timezone or "UTC", shop.currency)


def check_store_fields(values: Mapping[str, object]) -> dict[str, str]:
    """The fields cleaned (names and numbers trimmed), or ``FieldErrors`` (an ``InvalidInput``)
    with every wrong field's reason."""
    errors = check_all(values)
    if errors:
        raise FieldErrors(errors)
    return {field: _clean(field, value) for field, value in values.items()}


def check_all(values: Mapping[str, object]) -> dict[str, str]:
    """Every field's reason it is refused (empty when all are fine)."""
    errors: dict[str, str] = {}
    for field, value in values.items():
        if field not in LIMITS:
            errors[field] = f"is not a store detail ({', '.join(FIELDS)})"
            continue
        if not isinstance(value, str):
            errors[field] = "must be text"
            continue
        text = _clean(field, value)
        multi_line = field == "address"
        if len(text) > LIMITS[field]:
            errors[field] = f"is longer than {LIMITS[field]} characters"
        elif any(not c.isprintable() and not (multi_line and c == "\n") for c in text):
            errors[field] = "holds control characters"
        elif field == "name" and not text:
            errors[field] = "is required"
        elif field == "timezone" and text not in time_zones():
            errors[field] = f"{text[:64]!r} is not a time zone name such as Europe/Berlin"
    return errors


def _clean(field: str, value: object) -> str:
    text = str(value)
    if field == "address":  # lines kept, each trimmed; blank lines at either end dropped
        return "\n".join(line.strip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    return text.strip()


def update_store_details(session: Session, *, staff_id: str,
                         values: Mapping[str, object]) -> StoreDetails:
    """Change the store's details (only those that differ), queue ``store.update`` and audit
    it, in the caller's write transaction; an unchanged form writes nothing."""
    active_staff(session, staff_id, Permission.STORES_MANAGE)
    clean = check_store_fields(values)
    shop, _ = this_register(session)
    before = store_details(session).values()
    changed = {field: value for field, value in clean.items() if before[field] != value}
    if not changed:
        return store_details(session)
    replaced = {field: before[field] for field in changed}
    for field, value in changed.items():
        setattr(shop, field, value)
    outbox.enqueue(session, kind=MutationKind.STORE_UPDATE.value, entity_id=shop.id,
                   payload={"id": shop.id, "staff_id": staff_id, "fields": changed,
                            "base": replaced})
    audit.append(session, action="store.updated", entity="store", entity_id=shop.id,
                 actor_id=staff_id, details={"from": replaced, "to": changed})
    session.flush()
    return store_details(session)


def load_store_details(store: LocalStore) -> StoreDetails:
    with store.read() as session:
        return store_details(session)


def save_store_details(store: LocalStore, *, staff_id: str,
                       values: Mapping[str, object]) -> StoreDetails:
    """:func:`update_store_details` in its own write transaction (for the page's worker)."""
    with store.write() as session:
        return update_store_details(session, staff_id=staff_id, values=values)
