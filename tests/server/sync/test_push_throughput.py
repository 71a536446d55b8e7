"""Pushing what real till checkouts wrote: sales rung up through the till's own checkout on a
local demo shop, their outbox entries pushed in 100-mutation batches to the server (whose
catalogue holds the same products, as a pull would have made the till's). Every order lands
once with the till's totals, every level equals its opening stock plus its movements, and the
rate is printed (the issue's target: 10,000 offline orders in under 30 s, > 333 orders/s)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import defaultdict
from typing import Any

from pymongo.database import Database
from sqlalchemy import select

from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from db.engine import LocalStore
from db.models import Barcode, OutboxEntry, Product, StaffUser, StockLevel, Variant
from server.catalog.service import store_product_in
from server.common.versioning import now_ms
from server.database import in_transaction
from server.inventory import service as inventory
from tests.server.sync.test_push_helpers import Till, on_hand, pair, pushed

BATCH = 100


def mirror_catalogue(db: Database, local: LocalStore, store_id: str) -> dict[str, int]:
    """The till's products on the server under the same ids (through the catalogue's own
    write), with the till's opening stock received; returns the opening levels."""
    with local.read() as session:
        products = session.scalars(select(Product)).unique().all()
        variants = session.scalars(select(Variant)).unique().all()
        codes = {b.variant_id: b.code for b in session.scalars(select(Barcode))}
        levels = {lv.variant_id: lv.quantity_milli for lv in session.scalars(select(StockLevel))}
        by_product: dict[str, list[Variant]] = defaultdict(list)
        for variant in variants:
            by_product[variant.product_id].append(variant)
        docs = [_product_doc(p, by_product[p.id], codes) for p in products]
    for start in range(0, len(docs), 50):
        in_transaction(db, lambda s, part=docs[start:start + 50]: [store_product_in(
            db, s, None, doc, actor="test", action="product.created", ip=None, request_id=None,
            audit_id=str(uuid.uuid4())) for doc in part])
    product_of = {v["id"]: d["_id"] for d in docs for v in d["variants"]}
    stocked = {v: q for v, q in levels.items() if q > 0}
    in_transaction(db, lambda s: [inventory.record_movement(
        db, session=s, store_id=store_id, product_id=product_of[v], variant_id=v,
        kind="receipt", quantity_milli=q, actor="test") for v, q in stocked.items()])
    return stocked


def _product_doc(product: Product, variants: list[Variant],
                 codes: dict[str, str]) -> dict[str, Any]:
    now = now_ms()
    return {"_id": product.id, "name": product.name, "description": product.description,
            "brand": product.brand, "category_id": product.category_id,
            "tags": [t for t in product.tags.split(",") if t], "tax_class_id": None,
            "prices": {}, "cost": {}, "sold_by_weight": product.sold_by_weight,
            "low_stock_threshold_milli": product.low_stock_threshold,
            "variants": [{"id": v.id, "sku": v.sku, "name": v.name, "attributes": {},
                          "barcodes": [codes[v.id]] if v.id in codes else [],
                          "prices": {"EUR": v.price}, "cost": {"EUR": v.cost},
                          "archived": v.archived} for v in variants],
            "images": [], "archived": product.archived, "version": 1, "created_at": now,
            "updated_at": now}


def ring_up(local: LocalStore, count: int, *, lines: int = 3, seed: int = 5) -> None:
    """``count`` sales of ``lines`` pieces-priced lines through the till's checkout."""
    rng = random.Random(seed)
    with local.read() as session:
        sellable = session.scalars(select(Variant.id).join(Product).where(
            Product.sold_by_weight.is_(False), Variant.archived.is_(False))
            .order_by(Variant.sku)).all()
        cashier = session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier"))
    for _ in range(count):
        cart = Cart()
        for variant_id in rng.sample(sellable, lines):
            cart.add(variant_id, rng.randint(1, 3) * 1000)
        with local.write() as session:
            checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier)


def outbox_mutations(local: LocalStore, till: Till) -> list[dict[str, Any]]:
    """The outbox as the push client sends it, with the server's store id (which a till
    paired before its first sale has as its own)."""
    with local.read() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        found = []
        for entry in entries:
            payload = json.loads(entry.payload)
            payload["store_id"] = till.store_id
            found.append({"id": entry.mutation_id, "seq": entry.seq, "kind": entry.kind,
                          "entity_id": entry.entity_id, "payload": payload,
                          "created_at": entry.created_at.isoformat(), "staff_id": None})
    return found


def test_real_till_sales_land_once_and_the_push_rate_is_printed(client, mongo, shop):
    db = mongo.db
    till = pair(db)
    opening = mirror_catalogue(db, shop, till.store_id)
    ring_up(shop, 200)
    mutations = outbox_mutations(shop, till)
    assert len(mutations) == 200
    started = time.perf_counter()
    for start in range(0, len(mutations), BATCH):
        results = pushed(client, till, mutations[start:start + BATCH])
        assert {r["status"] for r in results} == {"applied"}, results[0]
    elapsed = time.perf_counter() - started
    print(f"\npush: {len(mutations)} till orders (3 lines) in {elapsed:.2f} s = "
          f"{len(mutations) / elapsed:.0f} orders/s in {BATCH}-order batches")
    orders = {o["_id"]: o for o in db.orders.find({})}
    assert len(orders) == 200
    sold: dict[str, int] = defaultdict(int)
    for mutation in mutations:
        order = orders[mutation["entity_id"]]
        assert order["total"] == mutation["payload"]["total"]
        assert all(f.startswith("oversold ") for f in order["flags"])  # the till oversold too
        assert order["discount_total"] == mutation["payload"]["line_discount_total"] + \
            mutation["payload"]["order_discount_total"] + \
            mutation["payload"]["coupon_discount_total"]
        for movement in mutation["payload"]["stock_movements"]:
            sold[movement["variant_id"]] += movement["quantity_milli"]
    for variant_id, moved in sold.items():
        assert on_hand(db, till.store_id, variant_id) == opening.get(variant_id, 0) + moved
    assert {r["status"] for r in pushed(client, till, mutations[:BATCH])} == {"duplicate"}
