"""The stock count sheet on A4 and Letter: grouped by category in the back office's order,
the expected quantity from the stock levels, an empty box per row, the store, date and
"Page n of m" on every page, a category's name and column titles repeated on each page it runs
over, and long Greek and Cyrillic names (and an over-long SKU) wrapping inside their columns —
checked on where every letter actually landed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from reportlab.lib.units import mm
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.printing.page import MARGIN, body_width
from app.printing.stock_sheet import (BARCODE_WIDTH, COUNTED_WIDTH, EXPECTED_WIDTH, SKU_WIDTH,
                                      render_stock_sheet)
from app.setup import initialise
from db.engine import LocalStore
from db.models import Barcode, Category, Store, Variant
from tests.support import catalog, pdf

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=timezone.utc)
PAPERS = {"A4": (210, 297), "Letter": (215.9, 279.4)}
GREEK = ("Παραδοσιακό ελαιόλαδο εξαιρετικά παρθένο από την Κρήτη σε γυάλινη φιάλη των "
         "δύο λίτρων Εξαιρετικάμακρυλέξηπουδενσπάειποτέκαιδενχωράειστηστήλη")
CYRILLIC = ("Натуральный цветочный мёд с пасеки Алтайского края в стеклянной банке "
            "Достопримечательностинеразрывноедлинноесловобезпробеловвообще")
LONG_SKU = "SKU-" + "7" * 40


@pytest.fixture(scope="module")
def shop(tmp_path_factory):  # noqa: ANN001, ANN201
    store = LocalStore.open(tmp_path_factory.mktemp("stock-sheet") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
        row = s.scalar(select(Store))
        row.name, row.timezone, row.address = "Corner Shop", "Europe/Amsterdam", "Keizersgracht 1"
        drinks = Category(name="Drinks", position=1)
        food = Category(name="Food", position=0)
        s.add_all([drinks, food])
        s.flush()
        tea = Category(name="Tea", parent_id=drinks.id, position=0)
        s.add(tea)
        s.flush()

        def item(name, price, category, stock, **options):  # noqa: ANN001, ANN202
            variant = catalog.product(s, name, price, stock_milli=stock, **options)
            variant.product.category_id = category.id if category else None
            return variant

        item("Sparkling water", 100, drinks, 12_000)
        item("Apples", 300, food, 2_375, sold_by_weight=True)
        item(GREEK, 1899, food, 4_000)
        item(CYRILLIC, 1250, food, 3_000)
        earl = item("Earl Grey", 450, tea, 7_000)
        s.add(Barcode(code="8711111111111", variant_id=earl.id))  # a second barcode
        s.add(Variant(product_id=earl.product_id, sku=LONG_SKU, name="Tin 250 g", price=900))
        item("Forgotten", 100, tea, 1_000).archived = True
        item("Loose string", 50, None, 0)
        many = Category(name="Screws", position=2)
        s.add(many)
        s.flush()
        for n in range(70):
            item(f"Screw M{n:02d}", 5, many, 1_000 * n)
        ids = {"drinks": drinks.id, "tea": tea.id, "screws": many.id}
    yield store, ids
    store.close()


def sheet(store, **options) -> bytes:  # noqa: ANN001
    with store.read() as s:
        return render_stock_sheet(s, now=NOW, **options)


def words(doc: pdf.Pdf) -> str:
    return " ".join(" ".join(doc.text(page).split()) for page in range(doc.pages))


@pytest.mark.parametrize("paper", PAPERS)
def test_a_whole_store_sheet(shop, paper, test_output):
    store, _ = shop
    data = sheet(store, paper=paper)
    (test_output / f"stock-sheet-{paper}.pdf").write_bytes(data)
    doc = pdf.load(data)
    width, height = doc.size_mm()
    assert (round(width, 1), round(height, 1)) == PAPERS[paper]
    assert doc.pages >= 3
    for page in range(doc.pages):
        text = " ".join(doc.text(page).split())
        assert f"Page {page + 1} of {doc.pages}" in text
        assert "Corner Shop · Stock count · All categories" in text
        assert "2026-03-02 19:30 CET" in text
        assert "SKU Barcode Name Expected Counted" in text
    text = words(doc)
    # categories in the back office's order (position), each under its parent, then none
    order = [text.index(heading) for heading in
             ("Food ", "Drinks ", "Drinks › Tea", "Screws ", "No category")]
    assert order == sorted(order)
    for expected in ("Apples 2.375 kg", "Sparkling water 12", "Earl Grey 7",
                     "8711111111111", "Earl Grey — Tin 250 g 0", "Loose string 0",
                     "Screw M69 69", "Stock count", "Keizersgracht 1", "Counted by"):
        assert expected in text, expected
    assert "Forgotten" not in text  # archived: nothing to count
    assert "77 items in 5 categories" in text
    assert pdf.ink_beyond_page(data) == []
    for page in range(doc.pages):  # inside margins any office printer reaches (~5 mm)
        image = doc.render(page, dpi=100)
        first, last = pdf.printable_columns(image, PAPERS[paper][0], PAPERS[paper][0] - 20)
        assert pdf.ink_outside_columns(image, first, last) == []


def test_a_long_category_repeats_its_name_and_titles_on_every_page(shop):
    store, ids = shop
    doc = pdf.load(sheet(store, paper="A4", category_id=ids["screws"]))
    assert doc.pages >= 3
    for page in range(doc.pages):
        text = " ".join(doc.text(page).split())
        assert "Screws SKU Barcode Name Expected Counted" in text, page
        assert f"Page {page + 1} of {doc.pages}" in text
    text = words(doc)
    assert all(f"Screw M{n:02d} {n}" in text for n in range(70))
    assert "Food" not in text and "Drinks" not in text


def test_a_category_sheet_holds_it_and_the_categories_under_it(shop):
    store, ids = shop
    text = words(pdf.load(sheet(store, paper="Letter", category_id=ids["drinks"])))
    assert "Sparkling water" in text and "Earl Grey" in text and "Drinks › Tea" in text
    assert "Apples" not in text and "Screw" not in text and "Loose string" not in text
    assert "Stock count · Drinks" in text
    tea_only = words(pdf.load(sheet(store, paper="A4", category_id=ids["tea"])))
    assert "Earl Grey" in tea_only and "Sparkling water" not in tea_only


@pytest.mark.parametrize("paper", PAPERS)
def test_long_names_and_skus_wrap_inside_their_columns(shop, paper):
    store, _ = shop
    data = sheet(store, paper=paper)
    sku_left = MARGIN
    name_left = MARGIN + SKU_WIDTH + BARCODE_WIDTH
    name_right = MARGIN + body_width(paper) - EXPECTED_WIDTH - COUNTED_WIDTH
    doc = pdf.load(data)
    found = {"greek": "", "cyrillic": "", "sku": ""}
    for page in range(doc.pages):
        for char, (left, _, right, _) in pdf.char_boxes(data, page):
            if "\u0370" <= char <= "\u03ff" or "\u0400" <= char <= "\u04ff":
                assert name_left <= left and right <= name_right, (char, left, right)
                found["greek" if char <= "\u03ff" else "cyrillic"] += char
    text = "".join(words(doc).split())
    for name in (GREEK, CYRILLIC, LONG_SKU):  # every letter printed, over several lines
        assert "".join(name.split()) in text, name[:20]
    assert len(found["greek"]) > 100 and len(found["cyrillic"]) > 100
    # the 44-character SKU wraps inside its 30 mm column instead of running into the next
    sku_chars = [box for page in range(doc.pages) for char, box in pdf.char_boxes(data, page)
                 if char == "7"]
    in_sku_column = [b for b in sku_chars if b[0] < sku_left + SKU_WIDTH]
    assert len(in_sku_column) >= 40
    assert all(b[2] <= sku_left + SKU_WIDTH for b in in_sku_column)


def test_a_reprint_is_marked_copy_on_every_page(shop):
    store, ids = shop
    data = sheet(store, paper="A4", category_id=ids["screws"], copy=True)
    doc = pdf.load(data)
    assert doc.pages >= 3
    for page in range(doc.pages):
        assert "Stock count · Screws · COPY" in " ".join(doc.text(page).split())
    assert "COPY" not in words(pdf.load(sheet(store, paper="A4", category_id=ids["screws"])))
    assert pdf.ink_beyond_page(data) == []


def test_bad_requests(shop):
    store, _ = shop
    with store.read() as s:
        with pytest.raises(InvalidInput) as err:
            render_stock_sheet(s, paper="A3")
        assert err.value.field == "paper"
        with pytest.raises(NotFound) as err:
            render_stock_sheet(s, paper="A4", category_id="no-such-category")
        assert err.value.field == "category"


def test_box_and_columns_fit_the_narrower_paper():
    # the fixed columns leave the name a useful width on both papers
    for paper in PAPERS:
        left_for_name = body_width(paper) - SKU_WIDTH - BARCODE_WIDTH - EXPECTED_WIDTH \
            - COUNTED_WIDTH
        assert left_for_name > 60 * mm
