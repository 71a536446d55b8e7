"""A deterministic demo shop: categories, taxes, products with valid EAN-13 barcodes and
variants, stock, customers, staff, coupons, and optionally months of order history.

The same seed and size always give the same shop (names, prices, barcodes, ids), so demos,
tests and benchmarks are repeatable. Large catalogues (up to 1,000,000 products) are written in
bulk inserts of a few thousand rows, with progress reported through a callback.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.domain import demo_recipe as recipe
from app.local_auth import hash_pin
from app.setup import initialise
from db.models import (Barcode, Category, Coupon, CreditMovement, Customer, Product, StaffUser,
                       StockLevel, StockMovement, Store, TaxClass, TaxRate, TillFavourite, Variant)

Progress = Callable[[str, int, int], None]

#: The recipe (names, prices, codes) lives in app.domain.demo_recipe, shared with the server.
DEMO_STAFF = recipe.DEMO_STAFF
_CATEGORIES, _FIRST, _LAST = recipe.CATEGORIES, recipe.FIRST_NAMES, recipe.LAST_NAMES

BATCH = 5000
#: The till's favourite buttons: loose fruit and veg (weighed first), then bread and pastry.
FAVOURITE_CATEGORIES = (("Fruit & Veg", 6), ("Bread", 3), ("Pastry", 3))


@dataclass(frozen=True, slots=True)
class DemoSummary:
    products: int
    variants: int
    customers: int
    staff: int
    orders: int


class _Ids:
    """Deterministic, increasing UUIDv7-shaped ids: the same seed gives the same ids, and new
    rows append to the end of every primary-key index (random keys made a million-product load
    spend its time seeking through the B-trees)."""

    def __init__(self, seed: int, at: datetime) -> None:
        self._millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
        self._seed = seed & 0xFFF
        self._counter = 0

    def __call__(self) -> str:
        self._counter += 1
        value = (self._millis << 80) | (0x7 << 76) | (self._seed << 64) | (0b10 << 62) | self._counter
        return str(uuid.UUID(int=value))


def _batches(rows: Iterator[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(session: Session, *, products: int = 500, customers: int = 200, seed: int = 7,
             initial_stock: bool = True, progress: Progress | None = None,
             now: datetime | None = None) -> DemoSummary:
    """Fill an empty store with the demo shop. Runs inside the caller's transaction."""
    if products < 1:
        raise ValueError("the demo shop needs at least one product")
    rng = random.Random(seed)
    now = now or datetime(2026, 1, 1, tzinfo=timezone.utc)
    ids = _Ids(seed, now)
    store, _register = initialise(session, store_code="S01", store_name="Tillpoint Demo Shop",
                                  currency="EUR", prices_include_tax=True,
                                  register_code="R01", register_name="Till 1")
    store.address = "12 Market Street, 1000 Brussels"
    store.tax_number = "BE0123456789"

    tax_ids: dict[str, str] = {}
    for name, rate in recipe.TAX_CLASSES:
        tax_ids[name] = ids()
        session.add(TaxClass(id=tax_ids[name], name=name, updated_at=now))
        session.add(TaxRate(id=ids(), tax_class_id=tax_ids[name], name=f"VAT {rate // 10000}%",
                            rate_ppm=rate))

    leaves: list[tuple[str, str, str]] = []  # (category id, leaf name, top name)
    for position, (top, subs) in enumerate(_CATEGORIES.items()):
        top_id = ids()
        session.add(Category(id=top_id, name=top, position=position, updated_at=now))
        for sub_pos, sub in enumerate(subs):
            sub_id = ids()
            session.add(Category(id=sub_id, parent_id=top_id, name=sub, position=sub_pos,
                                 updated_at=now))
            leaves.append((sub_id, sub, top))
    session.flush()

    for name, email, role, pin in DEMO_STAFF:
        session.add(StaffUser(id=ids(), name=name, email=email, role=role,
                              pin_hash=hash_pin(pin, iterations=20_000), updated_at=now))

    variant_count = _catalogue(session, rng, ids, store, leaves, tax_ids, products,
                               initial_stock, progress, now)
    seed_favourites(session)

    credits = []
    for n in range(customers):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        customer_id = ids()
        session.add(Customer(id=customer_id, name=f"{first} {last}",
                             email=f"{first.lower()}.{last.lower()}{n}@example.com".replace("é", "e")
                             .replace("í", "i").replace("ü", "u").replace("ó", "o"),
                             phone=f"+32 470 {n:06d}", created_at=now, updated_at=now))
        if n % 25 == 0:
            credits.append(CreditMovement(id=ids(), customer_id=customer_id, amount=2500,
                                          kind="issue", at=now))
    session.flush()  # customers before the credit that refers to them
    session.add_all(credits)
    session.add(Coupon(id=ids(), code="WELCOME10", kind="percent", value=100_000,
                       valid_from=None, valid_to=None, min_spend=0, usage_limit=None,
                       per_customer_limit=None, updated_at=now))
    session.add(Coupon(id=ids(), code="SAVE5", kind="amount", value=500, valid_from=None,
                       valid_to=None, min_spend=3000, usage_limit=1000, per_customer_limit=None,
                       updated_at=now))
    session.flush()
    return DemoSummary(products, variant_count, customers, len(DEMO_STAFF), 0)


def _catalogue(session: Session, rng: random.Random, ids: _Ids, store: Store,
               leaves: list[tuple[str, str, str]], tax_ids: dict[str, str], count: int,
               initial_stock: bool, progress: Progress | None, now: datetime) -> int:
    variants_written = 0
    barcode_no = 0
    for start in range(0, count, BATCH):
        product_rows, variant_rows, barcode_rows, level_rows, movement_rows = [], [], [], [], []
        for n in range(start, min(count, start + BATCH)):
            cat_id, leaf, top = leaves[n % len(leaves)]
            made = recipe.product_recipe(rng, n, leaf, top, barcode_no=barcode_no,
                                         initial_stock=initial_stock)
            barcode_no += len(made.variants)
            product_id = ids()
            product_rows.append(dict(
                id=product_id, name=made.name, description=made.description, brand=made.brand,
                tags=",".join(made.tags), category_id=cat_id,
                tax_class_id=tax_ids[made.tax_class], sold_by_weight=made.sold_by_weight,
                low_stock_threshold=5000, archived=False, version=1, updated_at=now))
            for variant in made.variants:
                variant_id = ids()
                variant_rows.append(dict(
                    id=variant_id, product_id=product_id, sku=variant.sku, name=variant.name,
                    attributes=";".join(f"{k}={v}" for k, v in variant.attributes.items()),
                    price=variant.price, cost=variant.cost, archived=False, version=1,
                    updated_at=now))
                barcode_rows.append(dict(code=variant.barcode, variant_id=variant_id))
                if initial_stock:
                    level_rows.append(dict(store_id=store.id, variant_id=variant_id,
                                           quantity_milli=variant.quantity_milli))
                    movement_rows.append(dict(id=ids(), store_id=store.id, variant_id=variant_id,
                                              quantity_milli=variant.quantity_milli,
                                              kind="receipt", reason="opening stock", at=now))
        # Core inserts (executemany): the ORM's bulk path costs more than SQLite itself here.
        conn = session.connection()
        conn.execute(insert(Product.__table__), product_rows)
        conn.execute(insert(Variant.__table__), variant_rows)
        conn.execute(insert(Barcode.__table__), barcode_rows)
        if initial_stock:
            conn.execute(insert(StockMovement.__table__), movement_rows)
            conn.execute(insert(StockLevel.__table__), level_rows)
        variants_written += len(variant_rows)
        if progress:
            progress("products", min(count, start + BATCH), count)
    return variants_written


def seed_favourites(session: Session) -> int:
    """A dozen buttons for items a cashier rings up without scanning: one product per noun
    (the first by SKU), weighed ones first. Only on a till that has none yet (a paired demo
    till calls it after its first pull); returns how many were added."""
    if session.scalar(select(TillFavourite.position).limit(1)) is not None:
        return 0
    chosen: list[tuple[str, str]] = []
    for category, wanted in FAVOURITE_CATEGORIES:
        rows = session.execute(
            select(Variant.id, Product.name).join(Product).join(Category)
            .where(Category.name == category, Product.archived.is_(False))
            .order_by(Product.sold_by_weight.desc(), Variant.sku).limit(200)).all()
        nouns: set[str] = set()
        for variant_id, name in rows:
            noun = name.split(" #")[0].split(" ", 1)[-1]  # "Organic Apples #3" -> "Apples"
            if noun not in nouns and len(nouns) < wanted:
                nouns.add(noun)
                chosen.append((variant_id, name[:40]))
    session.add_all(TillFavourite(position=n, variant_id=variant_id, label=label)
                    for n, (variant_id, label) in enumerate(chosen))
    session.flush()
    return len(chosen)


def generate_history(session: Session, *, days: int, orders_per_day: int = 40, seed: int = 11,
                     end: datetime | None = None, progress: Progress | None = None) -> int:
    """Ring up ``days`` of past sales through the real checkout service (one transaction per
    call: the caller's). Returns the number of orders written."""
    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout

    rng = random.Random(seed)
    end = end or datetime.now(timezone.utc)
    variant_ids = session.scalars(select(Variant.id).order_by(Variant.sku).limit(2000)).all()
    weighed = set(session.scalars(select(Variant.id).join(Product)
                                  .where(Product.sold_by_weight.is_(True))).all())
    staff_ids = session.scalars(select(StaffUser.id).where(
        StaffUser.role.in_(("cashier", "manager", "owner"))).order_by(StaffUser.email)).all()
    customer_ids = session.scalars(select(Customer.id).order_by(Customer.email).limit(200)).all()
    written = 0
    for day in range(days, 0, -1):
        opening = (end - timedelta(days=day)).replace(hour=8, minute=0, second=0, microsecond=0)
        for _ in range(orders_per_day):
            cart = Cart()
            for _ in range(rng.randint(1, 5)):
                vid = rng.choice(variant_ids)
                qty = rng.randrange(200, 1500) if vid in weighed else rng.randint(1, 3) * 1000
                cart.add(vid, qty)
            if customer_ids and rng.random() < 0.3:
                cart.customer_id = rng.choice(customer_ids)
            method = TenderMethod.CASH if rng.random() < 0.45 else TenderMethod.CARD
            tender = Tender(method, reference=None if method is TenderMethod.CASH
                            else f"pi_demo_{rng.getrandbits(48):012x}",
                            card_brand=None if method is TenderMethod.CASH else "visa",
                            card_last4=None if method is TenderMethod.CASH else "4242")
            at = opening + timedelta(seconds=rng.randrange(0, 11 * 3600))
            checkout(session, cart=cart, tenders=[tender], staff_id=rng.choice(staff_ids), now=at)
            written += 1
        if progress:
            progress("history", days - day + 1, days)
    return written
