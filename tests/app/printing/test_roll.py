"""The roll layout: what the font cannot print, wrapping, barcode sizing, and rolls too long
for one PDF page."""

from __future__ import annotations

from reportlab.lib.units import mm

from app.printing.barcodes import DOT, code128_for_width
from app.printing.roll import (MAX_PAGE_HEIGHT, ROLLS, RollDocument, printable, text_width,
                               wrap)
from tests.support import pdf


def test_accents_greek_and_cyrillic_print_as_they_are_and_the_rest_plainly():
    # the embedded DejaVu Sans draws these as written
    for text in ("Zoë Łódź café €5 × 2 •", "Καλημέρα Ελλάδα", "Привет, Київ", "Ǹ"):
        assert printable(text) == text
    assert printable("ｆｉｎｅ\tline\nnext") == "fine line next"  # full-width letters
    assert printable("茶 tea\x00\x07") == "? tea"  # no CJK glyphs: a question mark, no box
    assert printable("ሰላም") == "???"


def test_wrapped_lines_always_fit_and_keep_every_letter():
    width = ROLLS["58mm"].width
    text = "short words then " + "x" * 200 + " and more"
    lines = wrap(text, width, size=7.5)
    assert all(text_width(line, False, 7.5) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert len(lines) > 3
    assert wrap("", width, size=7.5) == [""]


def test_barcode_modules_are_whole_printer_dots():
    number = "S01-R01-000123"
    wide = code128_for_width(number, ROLLS["80mm"].width, ROLLS["80mm"].paper, 12 * mm)
    narrow = code128_for_width(number, ROLLS["58mm"].width, ROLLS["58mm"].paper, 10 * mm)
    assert round(wide.barWidth / DOT, 6) == 3 and round(narrow.barWidth / DOT, 6) == 2
    assert code128_for_width("X" * 60, ROLLS["58mm"].width, ROLLS["58mm"].paper, 10 * mm) is None


def test_a_number_too_long_for_a_barcode_is_still_printed():
    doc = RollDocument(ROLLS["58mm"])
    doc.barcode("S01-R01-" + "7" * 70 + "X" * 10)
    printed = pdf.load(doc.pdf(title="t"))
    assert "7" * 70 in "".join(printed.text().split())
    assert pdf.barcodes(printed.render()) == []


def test_a_roll_longer_than_a_pdf_page_continues_on_the_next_page():
    doc = RollDocument(ROLLS["80mm"])
    for n in range(1500):
        doc.pair(f"line {n}", "1.00")
    doc.barcode("S01-R01-000042")
    printed = pdf.load(doc.pdf(title="long"))
    assert printed.pages == 2
    heights = [printed.size_mm(p)[1] / 25.4 * 72 for p in range(printed.pages)]
    assert all(h <= MAX_PAGE_HEIGHT + 1 for h in heights)
    assert "line 0" in printed.text(0) and "line 1499" in printed.text(1)
    assert pdf.barcodes(printed.render(1)) == [("Code128", "S01-R01-000042")]
