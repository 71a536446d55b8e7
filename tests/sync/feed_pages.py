"""Server-shaped pages for the pull tests, built with the server's own views on documents of
the shapes the server stores (``server.seed.documents`` makes the demo shop's)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone
from itertools import count
from typing import Any, Iterable

from app.domain.sync_protocol import CATALOG_FEED, CUSTOMERS_FEED, STAFF_FEED, store_feed
from server.catalog.views import category_change, product_change, tax_class_change
from server.changes.log import Change
from server.coupons.manage import coupon_view
from server.customers.service import customer_view
from server.inventory.ledger import level_view
from server.orders.views import order_view
from server.seed import documents
from server.users.staff_feed import change_for as staff_change

Doc = dict[str, Any]
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
_seq = count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def entry(feed: str, change: Change, seq: int | None = None) -> Doc:
    return {"feed": feed, "seq": seq if seq is not None else next(_seq), "entity": change.entity,
            "entity_id": change.entity_id, "op": change.op, "version": change.version,
            "data": change.data}


def page(entries: Iterable[Doc], *, has_more: bool = False, cursor: str = "c") -> Doc:
    return {"changes": list(entries), "cursor": cursor, "has_more": has_more,
            "server_time": NOW.isoformat()}


def delete(feed: str, entity: str, entity_id: str) -> Doc:
    return entry(feed, Change(entity, entity_id, op="delete"))


# --- documents as the server stores them ---------------------------------------------------

def tax_class_doc(name: str = "Standard", *rates: tuple[str, int], version: int = 1) -> Doc:
    rates = rates or (("VAT 21%", 210_000),)
    return {"_id": new_id(), "name": name, "rates": [{"name": n, "rate_ppm": r} for n, r in rates],
            "version": version, "created_at": NOW, "updated_at": NOW}


def category_doc(name: str, parent: Doc | None = None, sort: int = 0) -> Doc:
    return {"_id": new_id(), "name": name, "slug": name.lower(),
            "parent_id": parent["_id"] if parent else None,
            "path": [parent["_id"]] if parent else [], "sort": sort, "archived": False,
            "version": 1, "created_at": NOW, "updated_at": NOW}


def variant_doc(sku: str, *barcodes: str, prices: dict | None = None,
                cost: dict | None = None, name: str = "", archived: bool = False) -> Doc:
    return {"id": new_id(), "sku": sku, "name": name, "attributes": {"size": name} if name else {},
            "barcodes": list(barcodes), "prices": prices, "cost": cost, "archived": archived}


def product_doc(name: str, tax: Doc | None, category: Doc | None, variants: list[Doc], *,
                prices: dict | None = None, cost: dict | None = None, version: int = 1,
                tags: tuple[str, ...] = ("demo",)) -> Doc:
    return {"_id": new_id(), "name": name, "description": f"{name}, described", "brand": "Acme",
            "category_id": category["_id"] if category else None, "tags": list(tags),
            "tax_class_id": tax["_id"] if tax else None,
            "prices": prices if prices is not None else {"EUR": 1299},
            "cost": cost if cost is not None else {"EUR": 600}, "sold_by_weight": False,
            "low_stock_threshold_milli": 5000, "variants": variants, "images": [],
            "archived": False, "version": version, "created_at": NOW, "updated_at": NOW}


def coupon_doc(code: str, *, kind: str = "percent", value: int = 100_000,
               currency: str | None = None, active: bool = True, version: int = 1) -> Doc:
    return {"_id": new_id(), "code": code, "kind": kind, "value": value, "currency": currency,
            "valid_from": None, "valid_to": datetime(2027, 1, 1), "min_spend": 0,
            "usage_limit": 100, "per_customer_limit": None, "active": active, "used": 0,
            "description": "", "version": version, "created_at": NOW, "updated_at": NOW}


def staff_doc(email: str, role: str = "cashier", *, active: bool = True,
              pin_hash: str | None = "pbkdf2_sha256$1000$00$00", version: int = 1) -> Doc:
    return {"_id": new_id(), "email": email, "name": email.split("@")[0], "role": role,
            "pin_hash": pin_hash, "active": active, "version": version}


def customer_doc(name: str, email: str | None = None, **fields: Any) -> Doc:
    doc = {"_id": new_id(), "user_id": None, "email": email, "name": name, "phone": "+32 470",
           "addresses": [], "marketing_opt_in": False, "notes": "", "erased": False,
           "version": 1, "created_at": NOW, "updated_at": NOW}
    doc.update(fields)
    return doc


def level_doc(store_id: str, product: Doc, variant: Doc, on_hand: int, *, version: int = 1) -> Doc:
    return {"_id": f"{store_id}:{variant['id']}", "store_id": store_id,
            "product_id": product["_id"], "variant_id": variant["id"], "on_hand_milli": on_hand,
            "reserved_milli": 0, "low_stock_threshold_milli": None, "version": version,
            "updated_at": NOW}


def order_doc(store_id: str, number: str, total: int = 2598, order_id: str | None = None,
              channel: str = "online") -> Doc:
    return {"_id": order_id or new_id(), "number": number, "store_id": store_id,
            "channel": channel, "status": "pending", "currency": "EUR", "total": total,
            "subtotal": total, "tax_total": 0, "lines": [], "payments": [], "flags": [],
            "version": 1, "created_at": NOW, "updated_at": NOW}


# --- entries of those documents, through the server's views --------------------------------

def tax_entry(doc: Doc) -> Doc:
    return entry(CATALOG_FEED, tax_class_change(doc))


def category_entry(doc: Doc) -> Doc:
    return entry(CATALOG_FEED, category_change(doc))


def product_entry(doc: Doc) -> Doc:
    return entry(CATALOG_FEED, product_change(doc))


def coupon_entry(doc: Doc) -> Doc:
    return entry(CATALOG_FEED, Change("coupon", doc["_id"], version=doc["version"],
                                      data=coupon_view(doc)))


def staff_entry(doc: Doc) -> Doc:
    return entry(STAFF_FEED, staff_change(doc))


def customer_entry(doc: Doc) -> Doc:
    return entry(CUSTOMERS_FEED, Change("customer", doc["_id"], version=doc["version"],
                                        data=customer_view(doc)))


def level_entry(doc: Doc) -> Doc:
    return entry(store_feed(doc["store_id"]), Change("stock_level", doc["_id"],
                                                     version=doc["version"], data=level_view(doc)))


def order_entry(doc: Doc) -> Doc:
    return entry(store_feed(doc["store_id"]), Change("order", doc["_id"], version=doc["version"],
                                                     data=order_view(doc)))


# --- the demo shop in bulk (the benchmark's pages) -----------------------------------------

def demo_catalogue(store_id: str, products: int, *, currency: str = "EUR",
                   page_size: int = 5000, seed: int = 7, levels: bool = True) -> list[Doc]:
    """Pages of a demo catalogue as the server's seed makes it: tax classes and categories,
    then ``products`` products (with variants and barcodes), then (``levels``) their stock
    levels."""
    rng, ids = random.Random(seed), documents.SequentialIds(NOW)
    ref = documents.reference(ids, NOW)
    catalog = [entry(CATALOG_FEED, c) for c in ref.changes()]
    stock: list[Doc] = []
    barcode_no = 0
    for first in range(0, products, 1000):
        batch, barcode_no = documents.product_batch(
            rng, ids, ref, first=first, count=min(1000, products - first), barcode_no=barcode_no,
            currency=currency, store_id=store_id, now=NOW, level_view=level_view)
        catalog += [entry(CATALOG_FEED, c) for c in batch.catalog_changes]
        stock += [entry(store_feed(store_id), c) for c in batch.store_changes]
    everything = catalog + (stock if levels else [])
    chunks = [everything[i:i + page_size] for i in range(0, len(everything), page_size)]
    return [page(chunk, has_more=n < len(chunks) - 1, cursor=f"c{n}")
            for n, chunk in enumerate(chunks)]
