"""Creating products in the back office, offline if need be: the local rows are written at
once with ids born here, and a ``product.create`` waits in the outbox for the server, which
creates the product with the same ids (or refuses it, e.g. a SKU taken meanwhile by another
till, as a sync issue). In-house items get the next free EAN-13 of this till's own block of the range 200.

Money comes in minor units (``int``) or as the text the user typed (``"12.50"``), parsed
exactly in the store's currency; never a float.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.catalog_edit import clean_product_field
from app.domain.barcodes import check_barcode, in_store_ean13
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.money import check_minor, parse_amount
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.sales.identity import REGISTER_KEY, STORE_KEY, get_local
from app.staff import active_staff
from db.base import new_id, utcnow
from db.models import Barcode, Category, Product, Register, Store, TaxClass, Variant

MAX_VARIANTS = 100  # the server's limits
MAX_BARCODES = 20
MAX_ATTRIBUTES = 10
IN_HOUSE_PREFIX = "200"
_IN_HOUSE_LOW, _IN_HOUSE_HIGH = IN_HOUSE_PREFIX + "0" * 10, "201" + "0" * 10


@dataclass(frozen=True, slots=True)
class NewVariant:
    """One variant of a new product. ``price``/``cost``: minor units or typed text;
    ``attributes``: ``(("size", "M"), ("colour", "Blue"))``; ``generate_ean13`` adds the next
    free in-house EAN-13 to ``barcodes``."""

    sku: str
    price: int | str
    cost: int | str = 0
    name: str = ""
    attributes: Sequence[tuple[str, str]] = ()
    barcodes: Sequence[str] = ()
    generate_ean13: bool = False


def currency_of(session: Session) -> str:
    store_id = get_local(session, STORE_KEY)
    store = session.get(Store, store_id) if store_id else None
    return store.currency if store else "EUR"


def money_value(value: object, currency: str, field: str, *, allow_negative: bool = False) -> int:
    if isinstance(value, str):
        return parse_amount(value.strip(), currency, field=field, allow_negative=allow_negative)
    return check_minor(value, field=field, allow_negative=allow_negative)


def till_ean13_block(session: Session) -> int:
    """This till's own 4-digit block of the in-house range: the store code's number (two digits,
    "S07" → 07) then the register code's (two digits, "R03" → 03), so two tills never count in the
    same block (codes without digits fall back to a CRC of the register id; a till not set up
    yet uses block 0000)."""
    store_id, register_id = get_local(session, STORE_KEY), get_local(session, REGISTER_KEY)
    store = session.get(Store, store_id) if store_id else None
    register = session.get(Register, register_id) if register_id else None
    if store is None or register is None:
        return 0
    store_digits = "".join(ch for ch in store.code if ch.isdigit())
    register_digits = "".join(ch for ch in register.code if ch.isdigit())
    if not store_digits or not register_digits:
        return zlib.crc32(register.id.encode()) % 10_000
    return int(store_digits) % 100 * 100 + int(register_digits) % 100


def next_in_house_ean13(session: Session, taken: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The next free in-house EAN-13 of this till's part of the range 200: ``200 BBBB NNNNN C``
    where ``BBBB`` is the till's block (:func:`till_ean13_block`: store number, register
    number) and ``NNNNN`` counts up from the highest code of that block held by any variant,
    skipping ``taken`` (codes handed out in this transaction but not written yet). Two tills
    that create items offline therefore never hand out the same code; each till has 100,000."""
    block = till_ean13_block(session)
    low = f"{IN_HOUSE_PREFIX}{block:04d}" + "0" * 6
    high = f"{IN_HOUSE_PREFIX}{block + 1:04d}" + "0" * 6 if block < 9_999 else _IN_HOUSE_HIGH
    highest = session.scalar(select(func.max(Barcode.code)).where(
        Barcode.code >= low, Barcode.code < high, func.length(Barcode.code) == 13))
    number = int(highest[7:12]) + 1 if highest else 1
    while True:
        if number >= 100_000:
            raise RuleViolation("this till's in-house EAN-13 block is used up", field="barcodes")
        code = in_store_ean13(block * 100_000 + number, prefix=IN_HOUSE_PREFIX)
        if code not in taken:
            return code
        number += 1


def _sku(value: object, field: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 64 \
            or not value.strip().isprintable():
        raise InvalidInput("a SKU is 1 to 64 printable characters", field=field)
    return value.strip()


def _attributes(value: Sequence[tuple[str, str]], field: str) -> list[tuple[str, str]]:
    pairs = list(value.items()) if isinstance(value, dict) else list(value)
    if len(pairs) > MAX_ATTRIBUTES:
        raise InvalidInput(f"holds more than {MAX_ATTRIBUTES} attributes", field=field)
    out: list[tuple[str, str]] = []
    for key, text in pairs:
        if not isinstance(key, str) or not isinstance(text, str):
            raise InvalidInput("an attribute is a name and a value, both text", field=field)
        key, text = key.strip(), text.strip()
        # kept locally as "size=M;colour=Blue": those two characters would split it
        if not 1 <= len(key) <= 40 or len(text) > 100 or any(c in key + text for c in ";=") \
                or "." in key or key.startswith("$") or not (key + text).isprintable():
            raise InvalidInput(f"{key!r}: a name of 1 to 40 characters and a value of up to "
                               "100, without ';', '=' (or '.' in the name)", field=field)
        if key in dict(out):
            raise InvalidInput(f"names {key!r} twice", field=field)
        out.append((key, text))
    return out


def _reference(session: Session, model: type, ident: str | None, field: str) -> None:
    if ident is not None and session.get(model, ident) is None:
        raise NotFound(f"no {field.removesuffix('_id').replace('_', ' ')} {ident}", field=field)


def _check_variants(session: Session, variants: Sequence[NewVariant], currency: str
                    ) -> list[dict[str, Any]]:
    if not isinstance(variants, (list, tuple)) or not 1 <= len(variants) <= MAX_VARIANTS:
        raise InvalidInput(f"a product has 1 to {MAX_VARIANTS} variants", field="variants")
    skus: set[str] = set()
    codes: set[str] = set()
    checked = []
    for n, variant in enumerate(variants):
        where = f"variants[{n}]"
        if not isinstance(variant, NewVariant):
            raise InvalidInput("must be a NewVariant", field=where)
        sku = _sku(variant.sku, f"{where}.sku")
        if sku in skus or session.scalar(select(Variant.id).where(Variant.sku == sku)):
            raise RuleViolation(f"SKU {sku} is already used", field=f"{where}.sku")
        skus.add(sku)
        barcodes = []
        for m, raw in enumerate(variant.barcodes):
            code = check_barcode(raw, field=f"{where}.barcodes[{m}]")
            if code in codes or session.get(Barcode, code) is not None:
                raise RuleViolation(f"barcode {code} is already used",
                                    field=f"{where}.barcodes[{m}]")
            codes.add(code)
            barcodes.append(code)
        if variant.generate_ean13:
            code = next_in_house_ean13(session, codes)
            codes.add(code)
            barcodes.append(code)
        if len(barcodes) > MAX_BARCODES:
            raise InvalidInput(f"holds more than {MAX_BARCODES} barcodes",
                               field=f"{where}.barcodes")
        attributes = _attributes(variant.attributes, f"{where}.attributes")
        name = variant.name.strip() if isinstance(variant.name, str) else None
        if name is None or len(name) > 200 or not name.isprintable():
            raise InvalidInput("must be text of up to 200 characters", field=f"{where}.name")
        checked.append({
            "id": new_id(), "sku": sku, "name": name or " / ".join(v for _, v in attributes),
            "attributes": attributes, "barcodes": barcodes,
            "price": money_value(variant.price, currency, f"{where}.price"),
            "cost": money_value(variant.cost, currency, f"{where}.cost")})
    return checked


def create_product(session: Session, *, staff_id: str, name: str, tax_class_id: str,
                   variants: list[NewVariant], category_id: str | None = None, brand: str = "",
                   description: str = "", low_stock_threshold_milli: int | None = None,
                   sold_by_weight: bool = False, now: datetime | None = None) -> Product:
    """A new product with its variants and barcodes, written locally and queued as
    ``product.create``. Bad input: ``InvalidInput``/``NotFound`` naming the field; a SKU or
    barcode already used here: ``RuleViolation``. Nothing is written unless all is right."""
    staff = active_staff(session, staff_id, Permission.CATALOG_WRITE)
    fields = {"name": clean_product_field("name", name),
              "brand": clean_product_field("brand", brand),
              "description": clean_product_field("description", description),
              "low_stock_threshold_milli": clean_product_field("low_stock_threshold_milli",
                                                               low_stock_threshold_milli)}
    if not isinstance(sold_by_weight, bool):
        raise InvalidInput("must be true or false", field="sold_by_weight")
    if not isinstance(tax_class_id, str) or not tax_class_id:
        raise InvalidInput("is required", field="tax_class_id")
    _reference(session, TaxClass, tax_class_id, "tax_class_id")
    _reference(session, Category, category_id, "category_id")
    currency = currency_of(session)
    checked = _check_variants(session, variants, currency)
    now = now or utcnow()
    product = Product(id=new_id(), name=fields["name"], brand=fields["brand"],
                      description=fields["description"], category_id=category_id,
                      tax_class_id=tax_class_id, sold_by_weight=sold_by_weight,
                      low_stock_threshold=fields["low_stock_threshold_milli"], version=1,
                      updated_at=now)
    session.add(product)
    session.flush()
    for v in checked:
        session.add(Variant(id=v["id"], product_id=product.id, sku=v["sku"], name=v["name"],
                            attributes=";".join(f"{k}={val}" for k, val in v["attributes"]),
                            price=v["price"], cost=v["cost"], version=1, updated_at=now))
        session.flush()
        for code in v["barcodes"]:
            session.add(Barcode(code=code, variant_id=v["id"]))
    session.flush()
    payload = {"id": product.id, **fields, "category_id": category_id,
               "tax_class_id": tax_class_id, "sold_by_weight": sold_by_weight,
               "currency": currency, "staff_id": staff.id,
               "variants": [{"id": v["id"], "sku": v["sku"], "name": v["name"],
                             "attributes": dict(v["attributes"]), "barcodes": v["barcodes"],
                             "price": v["price"], "cost": v["cost"]} for v in checked]}
    outbox.enqueue(session, kind=MutationKind.PRODUCT_CREATE.value, entity_id=product.id,
                   payload=payload)
    audit.append(session, action="product.created", entity="product", entity_id=product.id,
                 actor_id=staff.id, at=now,
                 details={"name": product.name, "skus": [v["sku"] for v in checked]})
    session.refresh(product)
    return product


def save_edit(session: Session, *, staff_id: str, product_id: str, fields: dict[str, Any],
              threshold: str | None = None, variants: dict[str, tuple[str, str]] | None = None
              ) -> Product:
    """The product form's Save: product ``fields`` as ``update_product`` takes them, the
    low-stock threshold as typed ("" for none), and each variant's price and cost as typed
    (``{variant_id: ("29.90", "12.00")}``), parsed exactly in the store's currency."""
    from app.catalog_edit import update_product
    from app.domain.quantity import parse_quantity

    changes = dict(fields)
    if threshold is not None:
        changes["low_stock_threshold_milli"] = (
            parse_quantity(threshold.strip(), field="low_stock_threshold_milli")
            if threshold.strip() else None)
    currency = currency_of(session)
    edits = [{"id": variant_id,
              "price": money_value(price, currency, f"variants[{n}].price"),
              "cost": money_value(cost, currency, f"variants[{n}].cost")}
             for n, (variant_id, (price, cost)) in enumerate((variants or {}).items())]
    return update_product(session, staff_id=staff_id, product_id=product_id, changes=changes,
                          variant_changes=edits)


def variant_from_form(n: int, sku: str, options: str, price: str, cost: str, barcodes: str,
                      generate_ean13: bool) -> NewVariant:
    """A variant as the new-product form types it: options ``"size=M, colour=Blue"``, barcodes
    separated by commas or spaces."""
    pairs = []
    for part in (p.strip() for p in options.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidInput(f"{part!r}: write options as name=value, e.g. size=M",
                               field=f"variants[{n}].attributes")
        pairs.append((key.strip(), value.strip()))
    codes = tuple(c for c in barcodes.replace(",", " ").split() if c)
    return NewVariant(sku=sku, price=price.strip() or "0", cost=cost.strip() or "0",
                      attributes=tuple(pairs), barcodes=codes, generate_ean13=generate_ean13)
