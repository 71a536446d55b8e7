"""A real register session over the demo shop (staff PINs from app.domain.demo_recipe), with a
clock the tests move, and a few items whose prices and taxes are known, for figures by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config.settings import Settings
from app.domain.barcodes import make_ean13
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from app.till.register import RegisterSession
from db.engine import LocalStore
from db.models import (AuditEntry, CashMovement, Coupon, Order, OutboxEntry, ParkedCart,
                       Payment, Refund, StaffUser, VoidRecord)
from tests.support import catalog

PINS = {"owner": "1111", "manager": "2222", "cara": "3333", "carl": "4444", "stock": "5555"}
EMAILS = {"owner": "owner@demo.tillpoint", "manager": "manager@demo.tillpoint",
          "cara": "cara@demo.tillpoint", "carl": "carl@demo.tillpoint",
          "stock": "stock@demo.tillpoint"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Items:
    """Known items: prices include VAT (the demo shop's convention)."""

    tea: str  # 4.50, VAT 21 %, barcode tea_code
    tea_code: str
    cake: str  # 12.10, VAT 21 %
    cake_code: str
    bread: str  # 2.12, VAT 6 %
    bread_code: str
    apples: str  # 3.00 a kg, VAT 6 %, sold by weight; scale label prefix 25 + 99001
    apples_code: str  # the catalogue code 25 99001 00000 C


def weight_label(grams: int) -> str:
    return make_ean13(f"2599001{grams:05d}")


def price_label(minor: int) -> str:
    return make_ean13(f"2199002{minor:05d}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "settings.toml")


@pytest.fixture
def staff_ids(shop: LocalStore) -> dict[str, str]:
    with shop.read() as s:
        by_email = dict(s.execute(select(StaffUser.email, StaffUser.id)).all())
    return {key: by_email[email] for key, email in EMAILS.items()}


@pytest.fixture
def items(shop: LocalStore) -> Items:
    with shop.write() as s:
        tea = catalog.product(s, "Tea", 450, barcode=make_ean13("200099000011"))
        cake = catalog.product(s, "Cake", 1210, barcode=make_ean13("200099000022"))
        bread = catalog.product(s, "Bread", 212, rates=(("VAT 6%", 60_000),),
                                barcode=make_ean13("200099000033"))
        apples = catalog.product(s, "Apples", 300, rates=(("VAT 6%", 60_000),),
                                 sold_by_weight=True, barcode=make_ean13("259900100000"))
        # a price-label item (prefix 21): its catalogue code has the price field zeroed
        catalog.product(s, "Cheese", 0, rates=(("VAT 6%", 60_000),),
                        barcode=make_ean13("219900200000"))
        s.add(Coupon(code="TENOFF", kind="amount", value=1000, valid_from=None, valid_to=None,
                     min_spend=2000, usage_limit=None, per_customer_limit=None))
        s.add(Coupon(code="OLD", kind="percent", value=100_000, valid_from=None,
                     valid_to=datetime(2025, 1, 1, tzinfo=timezone.utc), min_spend=0,
                     usage_limit=None, per_customer_limit=None))
        codes = {v.id: v.barcodes[0].code for v in (tea, cake, bread, apples)}
        return Items(tea.id, codes[tea.id], cake.id, codes[cake.id], bread.id, codes[bread.id],
                     apples.id, codes[apples.id])


@pytest.fixture
def make_session(shop: LocalStore, app_settings: Settings, clock: Clock):  # noqa: ANN201
    def make(**kwargs) -> RegisterSession:  # noqa: ANN003
        return RegisterSession(shop, app_settings, clock=clock, **kwargs)
    return make


@pytest.fixture
def till(make_session, staff_ids, items) -> RegisterSession:  # noqa: ANN001
    """Cara signed in, a shift open with a float of 100.00."""
    session = make_session()
    session.sign_in(staff_ids["cara"], PINS["cara"])
    session.open_shift("100.00")
    return session


@pytest.fixture
def card_till(make_session, staff_ids, items, shop) -> RegisterSession:  # noqa: ANN001
    """``till`` with a standalone card terminal to take cards through."""
    session = make_session(payments=CardPayments(shop, StandaloneTerminal()))
    session.sign_in(staff_ids["cara"], PINS["cara"])
    session.open_shift("100.00")
    return session


def pay_by_card(till: RegisterSession) -> None:
    """The rest due by card, approved on the terminal (VISA •••• 4242)."""
    till.start_card(None)
    till.confirm_card(True, "4242", "visa")


def counts(store: LocalStore) -> dict[str, int]:
    """Rows of everything a refused action must not write."""
    with store.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Order, Payment, Refund, OutboxEntry, AuditEntry, VoidRecord,
                          CashMovement, ParkedCart)}
