"""Editing the catalogue in the back office, offline if need be: the local rows change at once
and a ``product.update`` waits in the outbox with the version the edit was based on.

The catalogue is the server's: the edit is applied there only if nobody changed the product
meanwhile, otherwise the server's product comes back and the staff are told (``sync.resolution``).
The local version is left alone: it is the server's number, and the server's answer brings it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound
from app.domain.money import check_minor
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.base import utcnow
from db.models import OutboxEntry, Product, Variant

#: wire name → local column
PRODUCT_FIELDS = {"name": "name", "description": "description", "brand": "brand",
                  "tags": "tags", "archived": "archived",
                  "low_stock_threshold_milli": "low_stock_threshold"}
VARIANT_FIELDS = ("price", "cost", "archived")
# The server's limits, so that an edit it would refuse is refused here, while the user is
# still at the screen, rather than hours later as a sync issue.
MAX_TEXT = {"name": 200, "description": 5000, "brand": 200}
MAX_TAGS, MAX_TAG_LENGTH = 30, 50
MAX_THRESHOLD_MILLI = 10**12


def _printable_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"must be text, not {type(value).__name__}", field=field)
    text = value if field == "description" else value.strip()
    if len(text) > MAX_TEXT[field]:
        raise InvalidInput(f"is longer than {MAX_TEXT[field]} characters", field=field)
    breaks = "\n\t" if field == "description" else ""
    if any(not c.isprintable() and c not in breaks for c in text):
        raise InvalidInput("holds control characters", field=field)
    if field == "name" and not text:
        raise InvalidInput("is required", field="name")
    return text


def _tags(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidInput("must be a list of tags", field="tags")
    if len(value) > MAX_TAGS:
        raise InvalidInput(f"holds more than {MAX_TAGS} tags", field="tags")
    tags = []
    for tag in value:
        if not isinstance(tag, str) or not 1 <= len(tag.strip()) <= MAX_TAG_LENGTH:
            raise InvalidInput(f"{tag!r}: a tag is 1 to {MAX_TAG_LENGTH} characters", field="tags")
        # Tags are kept comma-separated here, so a comma inside one would split it.
        if "," in tag or not tag.isprintable():
            raise InvalidInput(f"{tag!r}: a tag holds no commas or control characters",
                               field="tags")
        tags.append(tag.strip())
    if len(set(tags)) != len(tags):
        raise InvalidInput("lists the same tag twice", field="tags")
    return tags


def _strict_bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", field=field)
    return value


def _threshold(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not \
            0 <= value <= MAX_THRESHOLD_MILLI:
        raise InvalidInput("must be a whole number of milli-units, 0 or more, or null",
                           field="low_stock_threshold_milli")
    return value


def clean_product_field(field: str, value: object) -> Any:
    """A product field's value as it travels, or ``InvalidInput`` naming the field."""
    if field in MAX_TEXT:
        return _printable_text(field, value)
    if field == "tags":
        return _tags(value)
    if field == "archived":
        return _strict_bool(field, value)
    if field == "low_stock_threshold_milli":
        return _threshold(value)
    raise InvalidInput(f"is not a product field ({', '.join(PRODUCT_FIELDS)})", field=field)


def _current(product: Product, field: str) -> Any:
    value = getattr(product, PRODUCT_FIELDS[field])
    if field == "tags":
        return [t for t in (value or "").split(",") if t]
    return value


def _variant_changes(product: Product, variant_changes: Iterable[Mapping[str, Any]]
                     ) -> list[tuple[Variant, dict[str, Any]]]:
    own = {v.id: v for v in product.variants}
    seen: set[str] = set()
    out = []
    for i, change in enumerate(variant_changes):
        where = f"variants[{i}]"
        if not isinstance(change, Mapping):
            raise InvalidInput("must be an object with an id", field=where)
        unknown = sorted(set(change) - {"id", *VARIANT_FIELDS}, key=str)
        if unknown:
            raise InvalidInput(f"{unknown[0]!r} is not a variant field "
                               f"({', '.join(VARIANT_FIELDS)})", field=f"{where}.{unknown[0]}")
        variant_id = change.get("id")
        variant = own.get(variant_id) if isinstance(variant_id, str) else None
        if variant is None:
            raise NotFound(f"{product.name} has no variant {change.get('id')!r}",
                           field=f"{where}.id")
        if variant.id in seen:
            raise InvalidInput("names the same variant twice", field=f"{where}.id")
        seen.add(variant.id)
        values: dict[str, Any] = {}
        for key in ("price", "cost"):
            if key in change:
                values[key] = check_minor(change[key], field=f"{where}.{key}")
        if "archived" in change:
            values["archived"] = _strict_bool(f"{where}.archived", change["archived"])
        changed = {k: v for k, v in values.items() if getattr(variant, k) != v}
        if changed:
            out.append((variant, changed))
    return out


#: queued changes of a product that each bump its version on the server
VERSIONED_KINDS = (MutationKind.PRODUCT_UPDATE.value, MutationKind.PRODUCT_IMAGE.value)


def pending_updates(session: Session, product_id: str) -> int:
    """This till's edits of the product (images added count: each is a new version on the
    server) the server has not acknowledged yet."""
    return session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.kind.in_(VERSIONED_KINDS),
        OutboxEntry.entity_id == product_id)) or 0


def update_product(session: Session, *, staff_id: str, product_id: str,
                   changes: Mapping[str, Any],
                   variant_changes: Iterable[Mapping[str, Any]] = ()) -> Product:
    """Change product fields and variants' price, cost or archived flag (money in the store's
    minor units). Only what really changes is queued; nothing to change leaves no trace."""
    staff = active_staff(session, staff_id, Permission.CATALOG_WRITE)
    if not isinstance(changes, Mapping):
        raise InvalidInput("must be an object of product fields", field="changes")
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}", field="product")
    variant_changes = list(variant_changes)
    if not changes and not variant_changes:
        raise InvalidInput("name at least one field or variant to change", field="changes")
    cleaned = {f: clean_product_field(str(f), v) for f, v in changes.items()}
    fields = {f: v for f, v in cleaned.items() if _current(product, f) != v}
    variants = _variant_changes(product, variant_changes)
    if not fields and not variants:
        return product

    # The server bumps a product's version by one per applied edit, so a second edit made
    # before the first was acknowledged is based on the version the first one will produce.
    base_version = product.version + pending_updates(session, product.id)
    for field, value in fields.items():
        setattr(product, PRODUCT_FIELDS[field], ",".join(value) if field == "tags" else value)
    for variant, changed in variants:
        for key, value in changed.items():
            setattr(variant, key, value)
    now = utcnow()
    product.updated_at = now
    # A variant entry carries all its values: the server applies it whole, and the version
    # check already guarantees the values it was based on are the server's.
    sent_variants = [{"id": v.id, "price": v.price, "cost": v.cost, "archived": v.archived}
                     for v, _ in variants]
    outbox.enqueue(session, kind=MutationKind.PRODUCT_UPDATE.value, entity_id=product.id,
                   payload={"id": product.id, "base_version": base_version, "fields": fields,
                            "variants": sent_variants, "staff_id": staff.id})
    audit.append(session, action="product.updated", entity="product", entity_id=product.id,
                 actor_id=staff.id, at=now,
                 details={"base_version": base_version, "fields": fields,
                          "variants": [{"id": v.id, **c} for v, c in variants]})
    session.flush()
    return product
