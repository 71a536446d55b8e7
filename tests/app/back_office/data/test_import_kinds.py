"""A good import of each kind writes what the same edits by hand would (ledger and level,
customer rows, product rows) and queues the same mutations; an exported file imported back
changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import select

from app import exports
from app.back_office.data import service
from app.sales.identity import this_register
from db.models import AuditEntry, Customer, OutboxEntry, Product, StockLevel, StockMovement, Variant
from tests.app.back_office.data.conftest import snapshot


def _queued(store, kind: str) -> list[dict]:
    with store.read() as s:
        return [json.loads(p) for p in s.scalars(select(OutboxEntry.payload).where(
            OutboxEntry.kind == kind).order_by(OutboxEntry.seq))]


def test_an_export_imported_back_changes_nothing(shop, people, tmp_path):
    with shop.write() as s:  # cells a spreadsheet would run as formulas (CSV injection)
        ana = s.scalars(select(Customer).order_by(Customer.name)).first()
        ana.notes, ana.address = '=HYPERLINK("http://x.test","click")', "@SUM(A1)"
        product = s.scalars(select(Product).order_by(Product.name)).first()
        product.name = "+Minus Tea"
    with shop.read() as s:
        exports.export_products(s, tmp_path / "p.csv", currency="EUR")
        exports.export_stock(s, tmp_path / "s.csv")
        exports.export_customers(s, tmp_path / "c.csv")
    customers_file = (tmp_path / "c.csv").read_text()
    assert "'=HYPERLINK(" in customers_file and ",'@SUM(A1)," in customers_file
    assert ",'+Minus Tea," in (tmp_path / "p.csv").read_text()
    before = snapshot(shop)
    for kind, name in (("products", "p.csv"), ("stock", "s.csv"), ("customers", "c.csv")):
        result = service.run_import(shop, kind, tmp_path / name, staff_id=people["manager"])
        assert result.preview.ok and result.written == 0
        assert result.preview.unchanged == result.preview.rows > 30
    assert snapshot(shop) == before  # not even an audit entry: nothing happened


def test_counted_stock_posts_the_differences(shop, people, write_csv):
    with shop.read() as s:
        store, _ = this_register(s)
        levels = dict(s.execute(select(Variant.sku, StockLevel.quantity_milli)
                                .join(StockLevel, StockLevel.variant_id == Variant.id)
                                .where(Variant.sku.in_(["D0000001", "D0000002"]))).all())
    path = write_csv("count.csv", "sku,quantity\nD0000001,0\nD0000002,107\n")
    result = service.run_import(shop, "stock", path, staff_id=people["manager"])
    assert (result.preview.update, result.written) == (2, 2)
    with shop.read() as s:
        now = dict(s.execute(select(Variant.sku, StockLevel.quantity_milli)
                             .join(StockLevel, StockLevel.variant_id == Variant.id)
                             .where(Variant.sku.in_(["D0000001", "D0000002"]))).all())
        assert now == {"D0000001": 0, "D0000002": 107_000}
        movements = s.scalars(select(StockMovement)
                              .where(StockMovement.reason == "import count.csv")
                              .order_by(StockMovement.quantity_milli)).all()
        assert [m.kind for m in movements] == ["count", "count"]
    sent = _queued(shop, "stock.movement")
    assert sorted(p["quantity_milli"] for p in sent) == sorted(
        [-levels["D0000001"], 107_000 - levels["D0000002"]])
    assert {p["id"] for p in sent} == {m.id for m in movements}
    assert all(p["store_id"] == store.id and p["kind"] == "count" and
               p["staff_id"] == people["manager"] for p in sent)


def test_customers_are_created_and_updated_field_by_field(shop, people, write_csv):
    with shop.read() as s:
        ana = s.scalars(select(Customer).order_by(Customer.name)).first()
    path = write_csv("c.csv", (
        "id,name,email,phone,notes\n"
        f"{ana.id},{ana.name},{ana.email},{ana.phone},\"likes receipts,\nby mail\"\n"
        ",Grace Hopper,GRACE@example.com,,\n"))
    result = service.run_import(shop, "customers", path, staff_id=people["manager"])
    assert (result.preview.create, result.preview.update) == (1, 1)
    with shop.read() as s:
        assert s.get(Customer, ana.id).notes == "likes receipts,\nby mail"
        grace = s.scalar(select(Customer).where(Customer.name == "Grace Hopper"))
        assert grace.email == "grace@example.com" and grace.phone is None
    update, create = _queued(shop, "customer.upsert")
    assert update == {"id": ana.id, "fields": {"notes": "likes receipts,\nby mail"},
                      "base": {"notes": ""}, "staff_id": people["manager"]}
    assert create["id"] == grace.id and create["base"] is None
    assert create["fields"] == {"name": "Grace Hopper", "email": "grace@example.com",
                                "phone": "", "address": "", "notes": ""}
    # the same file again: the new customer is found by email, nothing changes
    again = service.preview(shop, "customers", path, staff_id=people["manager"])
    assert (again.create, again.update, again.unchanged) == (0, 0, 2)


def test_prices_and_names_change_as_one_product_update_each(shop, people, write_csv):
    with shop.read() as s:
        variants = s.scalars(select(Variant).where(Variant.sku.like("D0000009-%"))
                             .order_by(Variant.sku)).all()
        product = variants[0].product
        base = product.version
    first, second = variants[0], variants[1]
    path = write_csv("p.csv", (
        "sku,name,price,archived\n"
        f"{first.sku},Trail Tee,19.99,no\n"
        f"{second.sku},Trail Tee,21.00,yes\n"
        "D0000001,Coastal Yoghurt,18.07,no\n"))
    result = service.run_import(shop, "products", path, staff_id=people["manager"])
    assert (result.preview.update, result.preview.unchanged, result.written) == (2, 1, 1)
    [sent] = _queued(shop, "product.update")
    assert sent["id"] == product.id and sent["base_version"] == base
    assert sent["fields"] == {"name": "Trail Tee"}
    assert sorted(sent["variants"], key=lambda v: v["id"]) == sorted([
        {"id": first.id, "price": 1999, "cost": first.cost, "archived": False},
        {"id": second.id, "price": 2100, "cost": second.cost, "archived": True}],
        key=lambda v: v["id"])
    with shop.read() as s:
        assert s.get(Product, product.id).name == "Trail Tee"
        assert (s.get(Variant, second.id).price, s.get(Variant, second.id).archived) == (2100, True)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "import.products"))
        assert json.loads(entry.details)["updated"] == 2
    # a second import before the first edit was acknowledged is based on the version it makes
    path.write_text(f"sku,price\n{first.sku},18.00\n")
    service.run_import(shop, "products", path, staff_id=people["manager"])
    assert _queued(shop, "product.update")[1]["base_version"] == base + 1


def test_new_skus_become_new_products_through_the_products_service(shop, people, write_csv):
    path = write_csv("new.csv", (
        "sku,barcodes,name,variant,attributes,category,brand,tax_class,price,cost\n"
        "JAM-1,4006381333931,Fig Jam,,,Groceries > Pantry,Maison Lune,Reduced,4.20,1.90\n"
        "TEE-XL,,Trail Tee XL,XL / Red,size=XL;colour=Red,,,Standard,25.00,9.00\n"))
    result = service.run_import(shop, "products", path, staff_id=people["manager"])
    assert (result.preview.create, result.written) == (2, 2)
    created = {p["variants"][0]["sku"]: p for p in _queued(shop, "product.create")}
    assert created["JAM-1"]["variants"][0]["barcodes"] == ["4006381333931"]
    assert created["JAM-1"]["variants"][0]["price"] == 420
    assert created["TEE-XL"]["variants"][0]["attributes"] == {"size": "XL", "colour": "Red"}
    # exported again, the new products import back unchanged
    with shop.read() as s:
        exports.export_products(s, path, currency="EUR")
    again = service.preview(shop, "products", path, staff_id=people["manager"])
    assert again.ok and again.unchanged == again.rows


def test_formula_like_cells_are_guarded_and_read_back():
    for cell in ("=1+1", "+31 20 123", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert exports.guarded(cell) == "'" + cell and exports.unguarded("'" + cell) == cell
    for cell in ("Tea", "'quoted'", "1-2", ""):
        assert exports.guarded(cell) == cell and exports.unguarded(cell) == cell


def test_an_import_counts_a_queued_image_in_its_base_version(blank_shop, tmp_path):
    """A queued image is a new version on the server: an import's edit made after it is
    based on that version, and a hand edit after the import on the next."""
    from app.back_office.products.images import add_image
    from app.catalog_edit import update_product
    from tests.app.back_office.products.test_images import photo
    from tests.support.catalog import product as make_product
    from tests.support.catalog import staff as make_staff
    with blank_shop.write() as s:
        manager = make_staff(s, "manager").id
        variant = make_product(s, "Lamp", 1500)
        pid, sku = variant.product_id, variant.sku
    with blank_shop.write() as s:
        add_image(s, staff_id=manager, product_id=pid, data=photo(300, 200))
    (tmp_path / "p.csv").write_text(f"sku,price\n{sku},20.00\n")
    service.run_import(blank_shop, "products", tmp_path / "p.csv", staff_id=manager)
    with blank_shop.write() as s:
        update_product(s, staff_id=manager, product_id=pid, changes={"name": "Lamp 2"})
        version = s.get(Product, pid).version
    assert [p["base_version"] for p in _queued(blank_shop, "product.update")] \
        == [version + 1, version + 2]
