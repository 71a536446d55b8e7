"""Building exactly the catalogue a test needs, through the real models."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import inventory
from app.domain.barcodes import in_store_ean13
from app.local_auth import hash_pin
from app.sales.identity import this_register
from db.models import Barcode, Customer, Product, StaffUser, TaxClass, TaxRate, Variant

_counter = iter(range(1, 10**9))


def tax_class(session: Session, name: str, *rates: tuple[str, int]) -> TaxClass:
    existing = session.scalar(select(TaxClass).where(TaxClass.name == name))
    if existing:
        return existing
    tc = TaxClass(name=name)
    session.add(tc)
    session.flush()
    for position, (rate_name, ppm) in enumerate(rates):
        session.add(TaxRate(tax_class_id=tc.id, name=rate_name, rate_ppm=ppm, position=position))
    session.flush()
    session.refresh(tc)
    return tc


def product(session: Session, name: str, price: int, *, rates: tuple[tuple[str, int], ...] = (("VAT 21%", 210_000),),
            barcode: str | None = None, sold_by_weight: bool = False, stock_milli: int = 0,
            cost: int = 0) -> Variant:
    tc = tax_class(session, "+".join(r[0] for r in rates) or "none", *rates)
    n = next(_counter)
    prod = Product(name=name, tax_class_id=tc.id, sold_by_weight=sold_by_weight)
    session.add(prod)
    session.flush()
    variant = Variant(product_id=prod.id, sku=f"T{n:06d}", price=price, cost=cost)
    session.add(variant)
    session.flush()
    session.add(Barcode(code=barcode or in_store_ean13(500_000 + n), variant_id=variant.id))
    if stock_milli:
        store, _ = this_register(session)
        inventory.record_movement(session, store_id=store.id, variant_id=variant.id,
                                  quantity_milli=stock_milli, kind="receipt")
    session.flush()
    session.refresh(variant)
    return variant


def staff(session: Session, role: str = "cashier", pin: str = "1234", email: str | None = None) -> StaffUser:
    n = next(_counter)
    user = StaffUser(name=f"{role} {n}", email=email or f"{role}{n}@test.tillpoint", role=role,
                     pin_hash=hash_pin(pin, iterations=1000))
    session.add(user)
    session.flush()
    return user


def customer(session: Session, name: str = "Ada Lovelace", email: str | None = None) -> Customer:
    n = next(_counter)
    c = Customer(name=name, email=email or f"c{n}@example.com")
    session.add(c)
    session.flush()
    return c
