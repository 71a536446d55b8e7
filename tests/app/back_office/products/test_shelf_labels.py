"""Shelf labels drawn as a printer would print them and scanned back: 26 variants make two A4
sheets (24 labels a sheet), every barcode decodes to its variant's code (EAN-13 for in-house
items, Code 128 for other codes), prices read in the store's currency, a long name wraps and
is cut with an ellipsis, never drawn over the next label; drawn through the documents' table
like every other kind."""

from __future__ import annotations

import pytest

from app.domain.barcodes import in_store_ean13
from app.domain.errors import NotFound
from app.printing.documents import DocumentSettings, draw
from tests.support import pdf
from tests.support.catalog import product

DPI = 200
LONG = ("Extra Virgin Cold Pressed Organic Olive Oil From The Hills Of Southern Tuscany "
        "In A Large Family Bottle With A Handle And A Pourer")


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    from app.setup import initialise
    from db.engine import LocalStore
    store = LocalStore.open(tmp_path_factory.mktemp("labels") / "t.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Label Shop", currency="EUR")
        variants = [product(s, LONG if n == 0 else f"Item {n}", 100 * n + 99,
                            barcode=in_store_ean13(7000 + n) if n % 5 else f"INT-{n:04d}")
                    for n in range(26)]
        expected = {v.id: (v.barcodes[0].code, v.price) for v in variants}
        ids = [v.id for v in variants]
        data = draw(s, "shelf_labels", ",".join(ids), DocumentSettings(paper="A4"))
        with pytest.raises(NotFound) as unknown:
            draw(s, "shelf_labels", ids[0] + ",nope", DocumentSettings())
        assert unknown.value.field == "variants"
    store.close()
    return data, expected, ids


def test_every_label_scans_back_to_its_variants_code(sheet):
    data, expected, ids = sheet
    doc = pdf.load(data)
    assert doc.pages == 2
    found = []
    for page in range(doc.pages):
        found += pdf.barcodes(doc.render(page, DPI))
    codes = sorted(code for code, _ in expected.values())
    assert sorted(text for _, text in found) == codes
    formats = {text: fmt for fmt, text in found}
    assert formats[in_store_ean13(7001)] == "EAN13" and formats["INT-0000"] == "Code128"
    text = doc.text(0) + doc.text(1)
    assert "1.99" in text and "25.99" in text and "EUR" in text
    name = " ".join(text.split("0.99")[0].split())  # the long name's lines, as read back
    assert name.startswith("Extra Virgin Cold Pressed Organic Olive Oil")
    assert name.endswith(("…", "...")) and "Pourer" not in name  # three lines, then cut
    assert pdf.ink_beyond_page(data) == []
