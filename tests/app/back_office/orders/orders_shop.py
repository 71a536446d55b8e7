"""A small shop for the orders tests: staff of each role, two products with barcodes, a till
sale paid by card and cash, and two online orders the server showed the till (applied through
the real store-feed apply, as sync pulls them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from db.models import Store
from sync.apply import apply_entity
from tests.support import catalog

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)
ADDRESS = {"name": "Ada Shopper", "line1": "1 High Street", "line2": "", "city": "Leeds",
           "postcode": "LS1 1AA", "region": "", "country": "GB", "phone": ""}


@dataclass
class OrdersShop:
    store: object  # LocalStore
    store_id: str
    staff: dict[str, str]  # role -> id
    pen: str  # variant ids
    ink: str
    pen_sku: str
    ink_sku: str
    pen_code: str
    ink_code: str
    sale: str  # the till sale's id
    sale_number: str
    online: str  # a confirmed online order (pen ×2, ink ×1)
    online_pending: str  # a pending one (pen ×1), by Bob


def pull_online(store, store_id: str, number: str, *, status: str, lines: list[dict],
                name: str = "Ada Shopper", email: str = "ada@example.com", version: int = 3,
                created_at: datetime = NOW) -> str:
    order_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tillpoint-test:{number}"))  # the server's
    # ids are UUIDs: a document naming several (a pick list) must hold them all
    total = sum(line["total"] for line in lines)
    view = {"id": order_id, "number": number, "store_id": store_id, "channel": "online",
            "status": status, "version": version, "currency": "EUR", "total": total,
            "paid_total": total if status != "pending" else 0, "lines": lines,
            "payments": [{"id": "p1", "method": "card", "amount": total, "status": "succeeded",
                          "card_brand": "mastercard", "card_last4": "4444"}],
            "email": email, "shipping_address": {**ADDRESS, "name": name},
            "history": [{"at": created_at.isoformat(), "from": None, "to": "pending",
                         "actor": "web", "reason": "checkout"}],
            "created_at": created_at.isoformat()}
    with store.write() as s:
        assert apply_entity(s, "order", order_id, "upsert", view, store_id=store_id,
                            currency="EUR")
    return order_id


def line(index: int, variant_id: str, sku: str, name: str, milli: int, unit: int) -> dict:
    return {"index": index, "variant_id": variant_id, "sku": sku, "name": name,
            "quantity_milli": milli, "unit_price": unit, "total": unit * milli // 1000}


def build(store) -> OrdersShop:
    with store.write() as s:
        shop = s.scalar(select(Store))
        shop.name, shop.address = "Corner Shop", "1 High Street\nBristol BS1 1AA"
        store_id = shop.id
        staff = {role: catalog.staff(s, role=role).id
                 for role in ("manager", "support", "stock_clerk", "cashier", "moderator")}
        pen = catalog.product(s, "Blue pen", 250, stock_milli=50_000)
        ink = catalog.product(s, "Ink bottle", 1000, stock_milli=50_000)
        ada = catalog.customer(s, "Ada Lovelace", "ada@lovelace.test")
        cart = Cart(customer_id=ada.id)
        cart.add(pen.id, 2000)
        cart.add(ink.id, 1000)
        sale = checkout(s, cart=cart, tenders=[
            Tender(TenderMethod.CARD, 500, reference="pi_1", card_brand="visa",
                   card_last4="4242"), Tender(TenderMethod.CASH)], staff_id=staff["cashier"])
        ids = (pen.id, ink.id, pen.sku, ink.sku, pen.barcodes[0].code, ink.barcodes[0].code,
               sale.id, sale.number)
    pen_id, ink_id, pen_sku, ink_sku = ids[:4]
    online = pull_online(store, store_id, "S01-WEB-000042", status="confirmed", lines=[
        line(1, pen_id, pen_sku, "Blue pen", 2000, 250),
        line(2, ink_id, ink_sku, "Ink bottle", 1000, 1000)])
    pending = pull_online(store, store_id, "S01-WEB-000043", status="pending",
                          name="Bob Buyer", email="bob@example.com",
                          lines=[line(1, pen_id, pen_sku, "Blue pen", 1000, 250)],
                          created_at=datetime(2026, 11, 20, 10, tzinfo=timezone.utc))
    return OrdersShop(store, store_id, staff, *ids[:6], sale=ids[6], sale_number=ids[7],
                      online=online, online_pending=pending)
