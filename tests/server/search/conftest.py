"""Search test fixtures: the app with its search follower running in-process, and ``catalog``,
which writes catalogue state the way the catalogue service does (product documents plus their
``catalog`` change-log entries in one transaction; stock levels on ``store:<id>`` feeds).

Why not ``POST /api/v1/products`` everywhere: the catalogue routes were built in parallel and
landed late (test_search_catalog_routes.py now goes through them end to end); this helper
writes the documented stored shapes (``server.catalog`` docstring) and appends
``Change(entity="product", data=<product view>)`` with ``change_log.append_many`` inside
``in_transaction`` — exactly what the read model follows — and writes many products in one
transaction, categories with chosen ids, and stock levels (whose inventory routes are another
engineer's), which keeps these tests fast and independent of those domains' rules."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

import pytest

from server.changes import log as change_log
from server.changes.log import CATALOG_FEED, DELETE, Change
from server.database import Mongo, in_transaction
from server.search import readmodel
from server.search.follower import followed

DEADLINE = 10.0  # generous: the 1 s freshness promise is checked in its own test


def wait_for(check: Callable[[], Any], *, timeout: float = DEADLINE,
             what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout} s (last: {last!r})")


def product_view(name: str, *, description: str = "", brand: str = "",
                 category_id: str | None = None, tags: tuple[str, ...] = (),
                 prices: dict[str, int] | None = None,
                 sku: str | None = None, barcodes: tuple[str, ...] = (), archived: bool = False,
                 image_url: str | None = None, product_id: str | None = None,
                 version: int = 1) -> dict[str, Any]:
    """A product view as the catalogue appends it (staff view: it includes cost)."""
    pid = product_id or str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat()
    return {"id": pid, "name": name, "description": description, "brand": brand,
            "category_id": category_id, "tags": list(tags), "tax_class_id": None,
            "prices": dict(prices if prices is not None else {"EUR": 1000}),
            "cost": {"EUR": 123456}, "sold_by_weight": False, "low_stock_threshold_milli": None,
            "variants": [{"id": f"{pid}-v", "sku": sku or f"SKU-{pid[:8]}", "name": "",
                          "attributes": {}, "barcodes": list(barcodes), "prices": None,
                          "cost": {"EUR": 123456}, "archived": False}],
            "images": [{"id": "img", "url": image_url, "content_type": "image/png", "width": 1,
                        "height": 1}] if image_url else [],
            "archived": archived, "version": version, "created_at": now, "updated_at": now}


@dataclass
class Catalog:
    mongo: Mongo

    def _write(self, feed: str, collection: str, docs: list[dict[str, Any]],
               changes: list[Change]) -> None:
        db = self.mongo.db

        def work(session) -> None:
            for doc in docs:
                db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
            change_log.append_many(db, feed, changes, session=session)

        in_transaction(db, work)

    def products(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store and log several products at once."""
        docs = [{"_id": v["id"], **{k: v[k] for k in v if k != "id"}} for v in views]
        self._write(CATALOG_FEED, "products", docs,
                    [Change("product", v["id"], version=v["version"], data=v) for v in views])
        return views

    def product(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.products([product_view(name, **fields)])[0]

    def update(self, view: dict[str, Any], **fields: Any) -> dict[str, Any]:
        changed = {**view, **fields, "version": view["version"] + 1}
        return self.products([changed])[0]

    def delete(self, product_id: str) -> None:
        db = self.mongo.db

        def work(session) -> None:
            db.products.delete_one({"_id": product_id}, session=session)
            change_log.append(db, CATALOG_FEED, Change("product", product_id, op=DELETE),
                              session=session)

        in_transaction(db, work)

    def category(self, name: str, parent: dict[str, Any] | None = None,
                 category_id: str | None = None, version: int = 1) -> dict[str, Any]:
        cid = category_id or str(uuid.uuid4())
        path = [*parent["path"], parent["id"]] if parent else []
        view = {"id": cid, "name": name, "slug": name.lower(), "parent_id":
                parent["id"] if parent else None, "path": path, "sort": 0, "archived": False,
                "version": version}
        self._write(CATALOG_FEED, "categories", [{"_id": cid, **view}],
                    [Change("category", cid, version=version, data=view)])
        return view

    def stock(self, store_id: str, product: dict[str, Any], on_hand_milli: int,
              reserved_milli: int = 0) -> None:
        variant_id = product["variants"][0]["id"]
        level_id = f"{store_id}:{variant_id}"
        view = {"id": level_id, "store_id": store_id, "product_id": product["id"],
                "variant_id": variant_id, "on_hand_milli": on_hand_milli,
                "reserved_milli": reserved_milli, "low_stock_threshold_milli": None,
                "version": 1, "updated_at": datetime.now(timezone.utc).isoformat()}
        self._write(change_log.store_feed(store_id), "stock_levels", [{"_id": level_id, **view}],
                    [Change("stock_level", level_id, version=1, data=view)])


@pytest.fixture
def settings(settings, tmp_path):
    """The shared settings with the search follower on, its files in this test's directory."""
    return replace(settings, search_worker=True, search_dir=tmp_path / "search")


@pytest.fixture
def catalog(mongo: Mongo) -> Catalog:
    return Catalog(mongo)


@pytest.fixture
def search(client, mongo, settings):
    """``search(**params)`` → the JSON of ``GET /api/v1/search/products`` (asserting 200);
    ``search.mongo`` and ``search.directory`` are what ``caught_up`` compares."""

    def run(**params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/search/products", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    run.mongo, run.directory = mongo, readmodel.search_dir(settings)
    return run


def ids(result: dict[str, Any]) -> list[str]:
    return [item["id"] for item in result["items"]]


def applied(directory) -> dict[str, int]:
    """The read model's cursors (``{feed: last applied seq}``), read from its file."""
    path = readmodel.current_path(directory)
    if path is None or not path.exists():
        return {}
    conn = readmodel.open_reader(path)
    try:
        return {feed: seq for feed, (seq, _epoch) in readmodel.cursors(conn).items()}
    finally:
        conn.close()


def caught_up(search) -> Callable[[], bool]:
    """A check for ``wait_for``: the read model has applied every entry written so far (the
    heads read from MongoDB now: ``stale`` alone reflects the follower's last look, which may
    predate the write just made) and the API says it is not stale."""

    def check() -> bool:
        heads = {f.feed: f.seq for f in change_log.feeds(search.mongo.db) if followed(f.feed)}
        done = applied(search.directory)
        return all(done.get(feed, 0) >= seq for feed, seq in heads.items()) \
            and not search(q="")["stale"]

    return check
