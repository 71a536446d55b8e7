"""The Products page in the window, with the real runner and store: a manager searches the
catalogue, opens a product and changes its price, adds a picture (a file that is not one is
refused), creates a product with two variants (an
in-house EAN-13 each), changes the shown products' prices in bulk after a preview, and saves
shelf labels as a PDF whose barcodes scan; a stock clerk reads the same page with nothing to
change, and a cashier cannot open it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.back_office.access import BackOfficeUser
from app.config.settings import Settings
from app.domain.errors import RuleViolation
from db.models import OutboxEntry, Product, Variant
from tests.support import catalog, pdf
from ui.back_office.context import PageContext
from ui.back_office.products.page import ProductsPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # offscreen, showing dialogs


@pytest.fixture
def shop_for_office(blank_shop):
    with blank_shop.write() as s:
        people = {role: catalog.staff(s, role=role) for role in ("manager", "stock_clerk")}
        for name, price in (("Green Tea", 450), ("Black Tea", 500), ("Coffee Beans", 1200)):
            catalog.product(s, name, price)
        users = {role: BackOfficeUser(p.id, p.name, p.role) for role, p in people.items()}
    return blank_shop, users


def _page(qtbot, store, runner, tmp_path, user) -> ProductsPage:
    context = PageContext(store, runner, Settings(tmp_path / "settings.toml"), user)
    page = ProductsPage(context)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    return page


def _choose(qtbot, page, row: int = 0) -> None:
    qtbot.waitUntil(lambda: page.model.row(row) is not None)
    with qtbot.waitSignal(page.detail_shown):
        page.table.selectRow(row)


def test_a_manager_searches_edits_creates_changes_prices_and_prints_labels(
        qtbot, shop_for_office, runner, tmp_path):
    store, users = shop_for_office
    page = _page(qtbot, store, runner, tmp_path, users["manager"])
    qtbot.waitUntil(lambda: page.count_label.text() == "3 products")
    with qtbot.waitSignal(page.model.counted, check_params_cb=lambda n: n == 2):
        page.search_field.setText("tea")
    assert page.model.data(page.model.index(0, 0)) in ("…", "Black Tea")
    _choose(qtbot, page)
    assert page.form.name_field.text() == "Black Tea" and not page.form.name_field.isReadOnly()
    page.form.variants.item(0, 2).setText("5.25")
    with qtbot.waitSignal(page.acted, check_params_cb=lambda t: "saved" in t):
        page.form.save_button.click()
    qtbot.waitUntil(lambda: page.form.detail.variants[0].price == 525)
    picture = tmp_path / "tea.png"
    from PIL import Image
    Image.new("RGB", (1600, 1600), (20, 120, 40)).save(picture)
    with qtbot.waitSignal(page.acted, check_params_cb=lambda t: "1200×1200" in t):
        page.add_image_file(picture)
    qtbot.waitUntil(lambda: "1 image(s)" in page.form.facts.text())
    (tmp_path / "notes.png").write_text("not a picture")
    with qtbot.waitSignal(page.refused, check_params_cb=lambda t: t.startswith("image:")):
        page.add_image_file(tmp_path / "notes.png")

    # a new product with two variants, each given the next in-house EAN-13
    qtbot.waitUntil(lambda: page.choices.tax_classes != ())
    page.open_new_product()
    dialog = page.dialog
    dialog.name_field.setText("Tea Towel")
    dialog.set_variant(0, "TT-RED", "colour=Red", "abc")
    dialog.set_variant(1, "TT-BLU", "colour=Blue", "4.50")
    with qtbot.waitSignal(page.refused):
        dialog.create_button.click()
    assert "variants[0].price" in dialog.message.text() and dialog.isVisible()
    dialog.set_variant(0, "TT-RED", "colour=Red", "4.50", cost="2.00")
    with qtbot.waitSignal(page.acted, check_params_cb=lambda t: "created" in t):
        dialog.create_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: page.model.known_count == 3)  # "tea" finds the towel too
    with store.read() as s:
        towel = s.scalars(select(Product).where(Product.name == "Tea Towel")).one()
        assert sorted((v.sku, v.name, v.price, v.cost) for v in towel.variants) == [
            ("TT-BLU", "Blue", 450, 0), ("TT-RED", "Red", 450, 200)]
        assert all(b.code.startswith("200") for v in towel.variants for b in v.barcodes)

    # +10 % on what the list shows, rounded to 0.10
    page.open_bulk_price()
    bulk = page.dialog
    bulk.value_field.setText("10")
    bulk.step_box.setCurrentIndex(bulk.step_box.findData(10))
    assert not bulk.apply_button.isEnabled()
    bulk.preview_button.click()
    qtbot.waitUntil(lambda: bulk.apply_button.isEnabled())
    assert "4 price(s) of 3 product(s)" in bulk.summary.text()
    assert any("5.25 → 5.80" in bulk.preview_list.item(i).text()
               for i in range(bulk.preview_list.count()))
    with qtbot.waitSignal(page.acted, check_params_cb=lambda t: "3 product(s)" in t):
        bulk.apply_button.click()
    with store.read() as s:
        prices = dict(s.execute(select(Variant.sku, Variant.price)).all())
        assert prices["TT-RED"] == 500 and prices["TT-BLU"] == 500
        kinds = [e.kind for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]
        assert kinds == ["product.update", "product.image", "product.create"] + \
            ["product.update"] * 3
        assert json.loads(s.scalars(select(OutboxEntry.payload)).first())["fields"] == {}

    # a category, then one under it, through the tree's dialog; the filter lists both
    page.open_categories()
    tree = page.dialog
    tree.name_field.setText("Drinks")
    with qtbot.waitSignal(page.choices_loaded):
        tree.save_button.click()
    tree.start_new()
    tree.name_field.setText("Tea")
    tree.parent_box.setCurrentIndex(tree.parent_box.findText("Drinks"))
    with qtbot.waitSignal(page.choices_loaded):
        tree.save_button.click()
    assert [page.category_filter.itemText(i) for i in range(page.category_filter.count())] == [
        "Every category", "Drinks", "Drinks › Tea"]
    tree.tree.setCurrentRow(0)
    tree.parent_box.setCurrentIndex(tree.parent_box.findText("Drinks › Tea"))
    with qtbot.waitSignal(page.refused):
        tree.save_button.click()
    assert "parent_id" in tree.message.text()
    tree.accept()

    # the labels of every product shown, as a PDF
    qtbot.waitUntil(lambda: page.model.row(2) is not None)
    page.table.selectAll()
    target = tmp_path / "labels.pdf"
    with qtbot.waitSignal(page.acted, check_params_cb=lambda t: "4 shelf label(s)" in t):
        page.save_labels(target)
    scanned = pdf.barcodes(pdf.load(target.read_bytes()).render(0, 200))
    assert len(scanned) == 4


def test_a_stock_clerk_reads_and_prints_but_changes_nothing(qtbot, shop_for_office, runner,
                                                            tmp_path):
    store, users = shop_for_office
    page = _page(qtbot, store, runner, tmp_path, users["stock_clerk"])
    qtbot.waitUntil(lambda: page.count_label.text() == "3 products")
    assert not page.new_button.isVisible() and not page.bulk_button.isVisible()
    assert not page.categories_button.isVisible()
    assert page.labels_button.isVisible()
    _choose(qtbot, page)
    assert page.form.name_field.isReadOnly() and not page.form.save_button.isVisible()
    assert not page.form.archive_button.isVisible() and not page.form.image_button.isVisible()
    flags = page.form.variants.item(0, 2).flags()
    assert not flags & Qt.ItemFlag.ItemIsEditable
    page.open_new_product()
    page.open_bulk_price()
    page.open_categories()
    assert page.dialog is None
    page.save({"name": "Renamed"}, "", {})  # even if asked, the page does not write
    with store.read() as s:
        assert s.scalar(select(OutboxEntry)) is None
    cashier = BackOfficeUser("c1", "Cashier", "cashier")
    with pytest.raises(RuleViolation):
        ProductsPage(PageContext(store, runner, None, cashier))
