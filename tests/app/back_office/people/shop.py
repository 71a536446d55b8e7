"""The shop the customers tests start from (no tests of its own): staff of each role that
matters, two customers, Ada's sale shipped to her (a label booked, its PDF kept in the print
queue), an online order of hers the server showed this till, and store credit. Built once per
module with the real services, copied into each test's store with SQLite's backup API."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from app import customers
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.setup import initialise
from app.shipping import HouseCarrier, create_shipment
from db.engine import LocalStore
from db.models import CreditMovement, OutboxEntry, PrintJob, RemoteOrder
from tests.support import catalog

ADDRESS = "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"
SOLD_AT = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
ROLES = ("owner", "manager", "moderator", "support", "cashier")


def people_shop(path: Path) -> tuple[Path, dict[str, str]]:
    store = LocalStore.open(path)
    ids: dict[str, str] = {}
    try:
        with store.write() as s:
            initialise(s, store_name="Test Shop", currency="EUR")
            for role in ROLES:
                ids[role] = catalog.staff(s, role=role).id
            variant = catalog.product(s, "Desk Lamp", 2500, stock_milli=10_000)
            ada = customers.create_customer(s, staff_id=ids["cashier"], name="Ada Lovelace",
                                            email="ada@example.com", phone="+32 470 12 34 56",
                                            address="12 St James's Square")
            customers.create_customer(s, staff_id=ids["cashier"], name="Charles Babbage",
                                      email="charles@example.com")
            ids["ada"] = ada.id
            cart = Cart(customer_id=ada.id)
            cart.add(variant.id, 2000)
            order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                             staff_id=ids["cashier"], ship_to=ADDRESS, now=SOLD_AT)
            ids["order"] = order.id
            shipment = create_shipment(s, order.id, weight_grams=900, parcels=1,
                                       service="standard", carrier=HouseCarrier())
            s.add(PrintJob(printer="file:/tmp", kind="label", document_ref=shipment.id,
                           pdf=b"%PDF-1.4 label for Ada", status="done"))
            s.add(RemoteOrder(id="web-1", number="W-000042", channel="online",
                              status="confirmed", version=3, currency="EUR", total=1999,
                              created_at=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc),
                              data=json.dumps({"id": "web-1", "customer_id": ada.id,
                                               "email": "ada@example.com", "total": 1999,
                                               "shipping_address": {"name": "Ada Lovelace"},
                                               "refunded_total": 500})))
            s.add(CreditMovement(customer_id=ada.id, amount=1500, kind="issue"))
            s.query(OutboxEntry).delete()  # what the till pushed long ago
    finally:
        store.close()
    return path, ids


def copy_shop(path: Path, store: LocalStore) -> LocalStore:
    source = sqlite3.connect(path)
    target = store.writer.raw_connection()
    try:
        source.backup(target.driver_connection)
    finally:
        target.close()
        source.close()
    store.reader.dispose()
    return store
