"""Back-office product edits: local rows change at once, a ``product.update`` waits with the
version the edit was based on, and nothing is half-written when the input is bad."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.catalog_edit import update_product
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import AuditEntry, OutboxEntry, Product, Variant
from tests.support import catalog


@pytest.fixture
def backoffice(blank_shop):
    with blank_shop.write() as s:
        variant = catalog.product(s, "Desk Lamp", 2500, cost=1100)
        second = Variant(product_id=variant.product_id, sku="LAMP-XL", name="XL", price=3500)
        s.add(second)
        s.flush()
        return (blank_shop, catalog.staff(s, role="manager").id,
                catalog.staff(s, role="cashier").id, variant.product_id, variant.id, second.id)


def _updates(session) -> list[dict]:
    return [json.loads(p) for p in session.scalars(
        select(OutboxEntry.payload).where(OutboxEntry.kind == "product.update")
        .order_by(OutboxEntry.seq))]


def _audits(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "product.updated"))


def test_an_edit_changes_the_rows_and_queues_what_changed_at_the_base_version(backoffice):
    store, manager, _, pid, vid, _ = backoffice
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=pid,
                       changes={"name": " Desk Lamp Pro ", "tags": ["lighting", " office "],
                                "brand": "", "low_stock_threshold_milli": 5000},
                       variant_changes=[{"id": vid, "price": 2990}])
    with store.read() as s:
        product, variant = s.get(Product, pid), s.get(Variant, vid)
        assert (product.name, product.tags, product.low_stock_threshold) == (
            "Desk Lamp Pro", "lighting,office", 5000)
        assert (variant.price, variant.cost) == (2990, 1100)
        assert product.version == 1  # the server's number comes back by pull
        [payload] = _updates(s)
        assert payload == {"id": pid, "base_version": 1, "staff_id": manager,
                           "fields": {"name": "Desk Lamp Pro", "tags": ["lighting", "office"],
                                      "low_stock_threshold_milli": 5000},
                           "variants": [{"id": vid, "price": 2990, "cost": 1100,
                                         "archived": False}]}
        assert _audits(s) == 1


def test_a_second_edit_before_the_first_is_acknowledged_is_based_on_the_version_it_makes(backoffice):
    store, manager, _, pid, _, xl = backoffice
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=pid, changes={"description": "Bright"})
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=pid, changes={},
                       variant_changes=[{"id": xl, "archived": True}])
    with store.read() as s:
        first, second = _updates(s)
        assert (first["base_version"], second["base_version"]) == (1, 2)
        assert second["fields"] == {} and second["variants"][0]["archived"] is True
        assert s.get(Variant, xl).archived is True


def test_an_edit_that_changes_nothing_queues_nothing(backoffice):
    store, manager, _, pid, vid, _ = backoffice
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=pid,
                       changes={"name": "Desk Lamp", "archived": False},
                       variant_changes=[{"id": vid, "price": 2500}])
    with store.read() as s:
        assert _updates(s) == [] and _audits(s) == 0


@pytest.mark.parametrize("changes, variants, field", [
    ({"name": ""}, (), "name"),
    ({"name": "n" * 201}, (), "name"),
    ({"description": "d" * 5001}, (), "description"),
    ({"tags": "a,b"}, (), "tags"),
    ({"tags": ["a,b"]}, (), "tags"),
    ({"tags": ["same", "same "]}, (), "tags"),
    ({"tags": [""]}, (), "tags"),
    ({"archived": "yes"}, (), "archived"),
    ({"low_stock_threshold_milli": -1}, (), "low_stock_threshold_milli"),
    ({"low_stock_threshold_milli": 1.5}, (), "low_stock_threshold_milli"),
    ({"sku": "NEW"}, (), "sku"),
    ({}, [{"id": "V", "price": 1}], "variants[0].id"),
    ({}, [{"price": 1}], "variants[0].id"),
    ({}, ["price"], "variants[0]"),
    ({}, [{"id": "VID", "price": -1}], "variants[0].price"),
    ({}, [{"id": "VID", "price": 19.99}], "variants[0].price"),
    ({}, [{"id": "VID", "price": True}], "variants[0].price"),
    ({}, [{"id": "VID", "cost": "10"}], "variants[0].cost"),
    ({}, [{"id": "VID", "sku": "X"}], "variants[0].sku"),
    ({}, [{"id": "VID", "price": 1}, {"id": "VID", "price": 2}], "variants[1].id"),
    ({}, (), "changes"),
])
def test_bad_edits_name_the_field_and_change_nothing(backoffice, changes, variants, field):
    store, manager, _, pid, vid, _ = backoffice
    variants = [{**v, "id": vid} if isinstance(v, dict) and v.get("id") == "VID" else v
                for v in variants]
    with pytest.raises((InvalidInput, NotFound)) as err:
        with store.write() as s:
            update_product(s, staff_id=manager, product_id=pid,
                           changes={"description": "changed", **changes}
                           if changes or variants else {}, variant_changes=variants)
    assert err.value.field == field
    with store.read() as s:
        assert s.get(Product, pid).description == "" and s.get(Variant, vid).price == 2500
        assert _updates(s) == [] and _audits(s) == 0


def test_another_products_variant_is_unknown_here(backoffice):
    store, manager, _, pid, _, _ = backoffice
    with store.write() as s:
        other = catalog.product(s, "Chair", 9900).id
    with pytest.raises(NotFound, match="Desk Lamp has no variant") as err:
        with store.write() as s:
            update_product(s, staff_id=manager, product_id=pid, changes={},
                           variant_changes=[{"id": other, "price": 1}])
    assert err.value.field == "variants[0].id"


def test_permission_and_unknown_product_are_refused(backoffice):
    store, _, cashier, pid, _, _ = backoffice
    with pytest.raises(RuleViolation, match="catalog:write"):
        with store.write() as s:
            update_product(s, staff_id=cashier, product_id=pid, changes={"name": "Cheap"})
    with store.read() as s:
        assert s.get(Product, pid).name == "Desk Lamp" and _updates(s) == [] and _audits(s) == 0
    with pytest.raises(NotFound) as err:
        with store.write() as s:
            update_product(s, staff_id=backoffice[1], product_id="nope", changes={"name": "X"})
    assert err.value.field == "product"


def test_the_edit_and_its_outbox_entry_share_the_callers_transaction(backoffice):
    store, manager, _, pid, _, _ = backoffice
    with pytest.raises(RuntimeError):
        with store.write() as s:
            update_product(s, staff_id=manager, product_id=pid, changes={"name": "Lost"})
            raise RuntimeError("crash before commit")
    with store.read() as s:
        assert s.get(Product, pid).name == "Desk Lamp" and _updates(s) == []
