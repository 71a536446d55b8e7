"""The demo shop as the documents the server stores (the catalogue's, inventory's and
customers' documented shapes), built from ``app.domain.demo_recipe`` without touching the
database: ``server.seed.runner`` inserts them in bulk."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain import demo_recipe as recipe
from server.catalog.categories import slugify
from server.catalog.views import category_change, product_change, tax_class_change
from server.changes.log import Change

Doc = dict[str, Any]
LOW_STOCK_THRESHOLD_MILLI = 5000


class SequentialIds:
    """UUIDv7-shaped ids that increase: bulk inserts append to the end of every ``_id`` index
    instead of seeking through it (random uuid4 keys slowed the desktop's million-product load)."""

    def __init__(self, at: datetime) -> None:
        self._millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
        self._random = random.getrandbits(12)
        self._counter = random.getrandbits(20) << 30

    def __call__(self) -> str:
        self._counter += 1
        value = (self._millis << 80) | (0x7 << 76) | (self._random << 64) | (0b10 << 62) \
            | (self._counter & ((1 << 62) - 1))
        return str(uuid.UUID(int=value))


@dataclass
class Reference:
    """The categories and tax classes products point at."""

    tax_ids: dict[str, str] = field(default_factory=dict)
    leaves: list[tuple[str, str, str]] = field(default_factory=list)  # (id, leaf, top)
    categories: list[Doc] = field(default_factory=list)
    tax_classes: list[Doc] = field(default_factory=list)

    def changes(self) -> list[Change]:
        return [tax_class_change(t) for t in self.tax_classes] + \
            [category_change(c) for c in self.categories]


def reference(ids: SequentialIds, now: datetime) -> Reference:
    ref = Reference()
    for name, rate in recipe.TAX_CLASSES:
        doc = {"_id": ids(), "name": name,
               "rates": [{"name": f"VAT {rate // 10000}%", "rate_ppm": rate}], "version": 1,
               "created_at": now, "updated_at": now}
        ref.tax_classes.append(doc)
        ref.tax_ids[name] = doc["_id"]
    for position, (top, subs) in enumerate(recipe.CATEGORIES.items()):
        top_doc = _category(ids(), top, None, [], position, now)
        ref.categories.append(top_doc)
        for sub_position, sub in enumerate(subs):
            sub_doc = _category(ids(), sub, top_doc["_id"], [top_doc["_id"]], sub_position, now)
            ref.categories.append(sub_doc)
            ref.leaves.append((sub_doc["_id"], sub, top))
    return ref


def _category(category_id: str, name: str, parent_id: str | None, path: list[str], sort: int,
              now: datetime) -> Doc:
    return {"_id": category_id, "name": name, "slug": slugify(name), "parent_id": parent_id,
            "path": path, "sort": sort, "archived": False, "version": 1, "created_at": now,
            "updated_at": now}


@dataclass
class Batch:
    products: list[Doc] = field(default_factory=list)
    codes: list[Doc] = field(default_factory=list)
    movements: list[Doc] = field(default_factory=list)
    levels: list[Doc] = field(default_factory=list)
    catalog_changes: list[Change] = field(default_factory=list)
    store_changes: list[Change] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return (len(self.products) + len(self.codes) + len(self.movements) + len(self.levels)
                + len(self.catalog_changes) + len(self.store_changes))


def product_batch(rng: random.Random, ids: SequentialIds, ref: Reference, *, first: int,
                  count: int, barcode_no: int, currency: str, store_id: str,
                  now: datetime, level_view: Any) -> tuple[Batch, int]:
    """Products ``first .. first + count - 1`` with their codes and opening stock; returns the
    batch and the next free in-store barcode number."""
    batch = Batch()
    for n in range(first, first + count):
        cat_id, leaf, top = ref.leaves[n % len(ref.leaves)]
        made = recipe.product_recipe(rng, n, leaf, top, barcode_no=barcode_no, initial_stock=True)
        barcode_no += len(made.variants)
        product_id = ids()
        variants = []
        for v in made.variants:
            variant_id = ids()
            variants.append({"id": variant_id, "sku": v.sku, "name": v.name,
                             "attributes": v.attributes, "barcodes": [v.barcode],
                             "prices": None, "cost": {currency: v.cost}, "archived": False})
            batch.codes.append({"_id": v.sku, "kind": "sku", "product_id": product_id,
                                "variant_id": variant_id})
            batch.codes.append({"_id": v.barcode, "kind": "barcode", "product_id": product_id,
                                "variant_id": variant_id})
            batch.movements.append({
                "_id": ids(), "store_id": store_id, "product_id": product_id,
                "variant_id": variant_id, "kind": "receipt", "quantity_milli": v.quantity_milli,
                "reason": "opening stock", "reference": None, "actor": "seed-demo", "at": now})
            level = {"_id": f"{store_id}:{variant_id}", "store_id": store_id,
                     "product_id": product_id, "variant_id": variant_id,
                     "on_hand_milli": v.quantity_milli, "reserved_milli": 0,
                     "low_stock_threshold_milli": None,
                     "low_stock": v.quantity_milli <= LOW_STOCK_THRESHOLD_MILLI,
                     "low_stock_alerted": False, "version": 1, "created_at": now,
                     "updated_at": now}
            batch.levels.append(level)
            batch.store_changes.append(Change("stock_level", level["_id"], version=1,
                                              data=level_view(level)))
        # The variants share the product's price; each keeps its own cost.
        product = {"_id": product_id, "name": made.name, "description": made.description,
                   "brand": made.brand, "category_id": cat_id, "tags": list(made.tags),
                   "tax_class_id": ref.tax_ids[made.tax_class],
                   "prices": {currency: made.variants[0].price}, "cost": {},
                   "sold_by_weight": made.sold_by_weight,
                   "low_stock_threshold_milli": LOW_STOCK_THRESHOLD_MILLI, "variants": variants,
                   "images": [], "archived": False, "version": 1, "created_at": now,
                   "updated_at": now}
        batch.products.append(product)
        batch.catalog_changes.append(product_change(product))
    return batch, barcode_no


def customer_view(customer: Doc) -> Doc:
    """The ``customer`` entry of the customers feed (the stored shape, ISO dates)."""
    view = {("id" if k == "_id" else k): v for k, v in customer.items()}
    view["created_at"] = customer["created_at"].isoformat()
    view["updated_at"] = customer["updated_at"].isoformat()
    return view


def customers(rng: random.Random, ids: SequentialIds, count: int, now: datetime) -> list[Doc]:
    found = []
    for n in range(count):
        first, last = rng.choice(recipe.FIRST_NAMES), rng.choice(recipe.LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{n}@example.com"
        email = email.replace("é", "e").replace("í", "i").replace("ü", "u").replace("ó", "o")
        found.append({"_id": ids(), "user_id": None, "email": email, "name": f"{first} {last}",
                      "phone": f"+32 470 {n:06d}", "addresses": [], "marketing_opt_in": False,
                      "notes": "", "erased": False, "version": 1, "created_at": now,
                      "updated_at": now})
    return found
