"""The catalogue is the server's: a product the owner edits through the API (PATCH or PUT,
based on its version) while a back office till edits the same product offline keeps the
owner's edit; the back office is told (a ``conflict`` sync issue) and shows the server's
product; an offline edit of a product nobody else touched is applied on the server; an edit
queued behind a losing one loses too (its base version counted the loser); and every till ends
with the server's values and version of every product."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from app.catalog_edit import update_product
from db.models import Product, StaffUser, Variant
from tests.support.sync_harness import Shop, Till

OWNER = ("owner@demo.tillpoint", "demo-password-123")  # seed-demo's owner (tests.support.tills)


def owner_api(shop: Shop) -> requests.Session:
    """The owner logged in to the server itself (not through the door: no faults here)."""
    http = requests.Session()
    login = http.post(shop.process.url("/api/v1/auth/login"),
                      json={"email": OWNER[0], "password": OWNER[1]}, timeout=30)
    assert login.status_code == 200, login.text
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return http


def api(shop: Shop, path: str) -> str:
    return shop.process.url(f"/api/v1{path}")


def replacement(view: dict, **changes) -> dict:  # noqa: ANN003
    """A PUT body from a product's staff view: every field it may carry, then ``changes``."""
    keep = ("name", "description", "brand", "category_id", "tags", "tax_class_id", "prices",
            "cost", "sold_by_weight", "low_stock_threshold_milli", "version")
    variant_keys = ("id", "sku", "name", "attributes", "barcodes", "prices", "cost", "archived")
    body = {k: view[k] for k in keep}
    body["variants"] = [{k: v[k] for k in variant_keys} for v in view["variants"]]
    return {**body, **changes}


def manager_of(till: Till) -> str:
    with till.store.read() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.role == "manager",
                                                         StaffUser.active.is_(True)))


def two_products(till: Till) -> list[tuple[str, str]]:
    """(product id, its first variant id) of two products, by name."""
    with till.store.read() as session:
        rows = session.execute(select(Product.id, Variant.id).join(Variant)
                               .where(Variant.price > 0).order_by(Product.name, Variant.sku))
        found: dict[str, str] = {}
        for product_id, variant_id in rows:
            found.setdefault(product_id, variant_id)
        return list(found.items())[:2]


def server_price(product: dict, variant_id: str, currency: str) -> int:
    variant = next(v for v in product["variants"] if v["id"] == variant_id)
    return (variant.get("prices") or product.get("prices") or {})[currency]


def local_product(till: Till, product_id: str, variant_id: str) -> dict:
    with till.store.read() as session:
        product, variant = session.get(Product, product_id), session.get(Variant, variant_id)
        return {"name": product.name, "description": product.description,
                "brand": product.brand, "version": product.version, "price": variant.price}


def server_view(shop: Shop, product_id: str) -> dict:
    return shop.db.products.find_one({"_id": product_id})


def assert_tills_show_the_servers_catalogue(shop: Shop, tills: list[Till]) -> None:
    versions = {p["_id"]: p["version"] for p in shop.db.products.find({}, {"version": 1})}
    for till in tills:
        with till.store.read() as session:
            here = dict(session.execute(select(Product.id, Product.version)).all())
        assert here == versions, till.name


@pytest.mark.parametrize("verb", ["PATCH", "PUT"])
def test_the_owners_edit_wins_and_the_back_office_is_told(shop, two_tills, verb):
    back_office, counter = two_tills
    currency = shop.db.stores.find_one({"_id": shop.store_id})["currency"]
    (contested, contested_variant), (quiet, quiet_variant) = two_products(back_office)
    manager = manager_of(back_office)
    with back_office.store.write() as session:  # offline: no round until the end
        update_product(session, staff_id=manager, product_id=contested,
                       changes={"name": "Edited in the back office", "brand": "Offline"},
                       variant_changes=[{"id": contested_variant, "price": 1111}])
        update_product(session, staff_id=manager, product_id=quiet,
                       changes={"description": "Written offline"},
                       variant_changes=[{"id": quiet_variant, "price": 2222}])

    owner = owner_api(shop)
    view = owner.get(api(shop, f"/products/{contested}"), timeout=30).json()
    if verb == "PATCH":
        body = {"version": view["version"], "name": "Edited by the owner"}
    else:
        own = next(v for v in view["variants"] if v["id"] == contested_variant)
        prices = {**(own["prices"] or view["prices"]), currency: 4321}
        variants = [{**v, "prices": prices} if v["id"] == contested_variant else v
                    for v in replacement(view)["variants"]]
        body = replacement(view, name="Edited by the owner", variants=variants)
    edited = owner.request(verb, api(shop, f"/products/{contested}"), json=body, timeout=30)
    assert edited.status_code == 200, edited.text
    stale = owner.patch(api(shop, f"/products/{contested}"),
                        json={"version": view["version"], "name": "Late"}, timeout=30)
    assert stale.status_code == 409  # the API itself refuses an edit of an old version
    owners = server_view(shop, contested)
    assert owners["version"] == view["version"] + 1

    result = back_office.round()
    assert result.ok, result.problem()
    assert (result.push.applied, result.push.conflict) == (1, 1)
    kept = server_view(shop, contested)
    assert (kept["name"], kept["version"], kept.get("brand", "")) == \
        ("Edited by the owner", owners["version"], owners.get("brand", ""))
    assert server_price(kept, contested_variant, currency) == \
        server_price(owners, contested_variant, currency) != 1111
    taken = server_view(shop, quiet)
    assert taken["description"] == "Written offline"
    assert server_price(taken, quiet_variant, currency) == 2222

    shown = local_product(back_office, contested, contested_variant)
    assert shown == {"name": "Edited by the owner", "description": kept.get("description", ""),
                     "brand": kept.get("brand", ""), "version": kept["version"],
                     "price": server_price(kept, contested_variant, currency)}
    [issue] = back_office.issues()
    assert (issue.kind, issue.entity, issue.entity_id) == ("conflict", "product", contested)
    assert issue.message == ("Your change to Edited by the owner was not kept: it was changed "
                             "on the server meanwhile; the server's version is now shown")
    details = json.loads(issue.details)
    assert details["sent"]["fields"] == {"name": "Edited in the back office", "brand": "Offline"}
    assert details["kept"]["version"] == kept["version"]

    assert counter.round().ok
    for till in (back_office, counter):
        assert local_product(till, quiet, quiet_variant)["price"] == 2222
        assert local_product(till, contested, contested_variant)["name"] == "Edited by the owner"
    assert counter.issues() == []
    assert_tills_show_the_servers_catalogue(shop, [back_office, counter])


def test_an_edit_queued_behind_a_conflicting_one_does_not_win_either(shop, two_tills):
    """Two offline edits of one product: the second is based on the version the first would
    have made. When the owner's edit took that version number first, the second edit must not
    pass the version check in its place: it is not kept either, and the back office is told."""
    back_office, counter = two_tills
    product_id, variant_id = two_products(back_office)[0]
    manager = manager_of(back_office)
    with back_office.store.write() as session:
        update_product(session, staff_id=manager, product_id=product_id,
                       changes={"name": "First offline edit"})
        update_product(session, staff_id=manager, product_id=product_id,
                       changes={"name": "Second offline edit"})
    owner = owner_api(shop)
    view = owner.get(api(shop, f"/products/{product_id}"), timeout=30).json()
    assert owner.patch(api(shop, f"/products/{product_id}"), timeout=30, json={
        "version": view["version"], "name": "Edited by the owner"}).status_code == 200

    result = back_office.round()
    assert result.ok, result.problem()
    assert server_view(shop, product_id)["name"] == "Edited by the owner"
    assert (result.push.sent, result.push.batches, result.push.conflict) == (1, 1, 1)
    assert back_office.pending() == 0
    first, second = back_office.issues()
    assert (first.kind, second.kind) == ("conflict", "conflict")
    assert second.message == ("Your change to Edited by the owner was not kept: it was made on "
                              "top of an earlier change here that the server did not keep")
    assert json.loads(second.details)["sent"]["fields"] == {"name": "Second offline edit"}
    assert local_product(back_office, product_id, variant_id)["name"] == "Edited by the owner"
    # an edit made now is based on the server's version and applies
    with back_office.store.write() as session:
        update_product(session, staff_id=manager, product_id=product_id,
                       changes={"brand": "After the conflict"})
    assert back_office.round().push.applied == 1
    assert server_view(shop, product_id)["brand"] == "After the conflict"
    assert counter.round().ok
    assert_tills_show_the_servers_catalogue(shop, [back_office, counter])


def test_two_queued_edits_of_a_product_nobody_else_touched_both_apply(shop, two_tills):
    back_office, counter = two_tills
    product_id, variant_id = two_products(back_office)[0]
    before = server_view(shop, product_id)["version"]
    manager = manager_of(back_office)
    with back_office.store.write() as session:
        update_product(session, staff_id=manager, product_id=product_id,
                       changes={"name": "First offline edit"})
        update_product(session, staff_id=manager, product_id=product_id, changes={},
                       variant_changes=[{"id": variant_id, "price": 3333}])
    result = back_office.round()
    assert result.ok, result.problem()
    # one batch each: the second is sent once the first is known to be kept
    assert (result.push.applied, result.push.batches) == (2, 2)
    kept = server_view(shop, product_id)
    currency = shop.db.stores.find_one({"_id": shop.store_id})["currency"]
    assert (kept["name"], kept["version"]) == ("First offline edit", before + 2)
    assert server_price(kept, variant_id, currency) == 3333
    assert back_office.issues() == [] and counter.round().ok
    assert_tills_show_the_servers_catalogue(shop, [back_office, counter])
