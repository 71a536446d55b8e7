"""Gift receipts, reprints marked COPY, everything the issue asks a receipt to show, totals
read back against the order, and Greek and Cyrillic names that wrap inside a 58 mm roll.

Every receipt is rendered as the printer would (QtPdf at 203 dpi), its barcode scanned back
with zxing-cpp, and checked white outside the print head's reach and drawn nowhere off the
page."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from app.domain.money import format_amount
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.printing.receipt import DEFAULT_FOOTER, render_receipt, render_refund_receipt
from app.sales.cart import Cart
from app.sales.checkout import Tender
from app.sales.refunds import ReturnRequest, refund
from db.models import Order, Register, Store
from app.setup import initialise
from db.engine import LocalStore
from tests.app.printing.test_receipt import (FOOTER, barcode_of, check_printed_inside_the_paper,
                                             order_number, sell, set_up_till)
from tests.support import catalog, pdf

CASH, CARD = TenderMethod.CASH, TenderMethod.CARD
ROLLS = ("80mm", "58mm")
GREEK = ("Παραδοσιακό ελαιόλαδο εξαιρετικά παρθένο από την Κρήτη σε γυάλινη φιάλη "
         "Εξαιρετικάμακρυλέξηπουδενσπάειποτέκαιδενχωράειστηγραμμή")
CYRILLIC = ("Натуральный цветочный мёд с пасеки Алтайского края в стеклянной банке "
            "Достопримечательностинеразрывноедлинноесловобезпробелов")


def text_of(doc: pdf.Pdf) -> str:
    return " ".join(" ".join(doc.text(page).split()) for page in range(doc.pages))


def render(store, order_id: str, width: str, **options) -> pdf.Pdf:  # noqa: ANN001
    with store.read() as s:
        return pdf.load(render_receipt(s, order_id, width=width, **options))


@pytest.fixture(scope="module")
def till(tmp_path_factory):  # noqa: ANN001, ANN201
    """One shop for the module (its tests only add sales to it): a store costs ~0.4 s."""
    store = LocalStore.open(tmp_path_factory.mktemp("receipts") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
    yield store, set_up_till(store)
    store.close()


@pytest.fixture(scope="module")
def mixed_sale(till):  # noqa: ANN001, ANN201 - a sale with something of everything
    store, ids = till
    with store.write() as s:
        s.scalar(select(Register)).name = "Front counter"
        ids["cheese"] = catalog.product(s, "Gouda", 1200, sold_by_weight=True,
                                        stock_milli=5000).id
    cart = Cart(customer_id=ids["customer"], coupon_code="SPRING10")
    cart.add(ids["tea"], 2000)
    cart.add(ids["cheese"], 375)
    cart.add(ids["book"], 1000)
    cart.set_line_discount(2, Discount.percent(100_000))
    order_id = sell(store, ids, cart, [
        Tender(CARD, 1000, reference="terminal:x:2:1", card_brand="VISA", card_last4="4242"),
        Tender(CASH, 5000)])
    return store, ids, order_id


@pytest.mark.parametrize("width", ROLLS)
def test_a_gift_receipt_shows_what_and_how_many_but_no_money(mixed_sale, width, test_output):
    store, ids, order_id = mixed_sale
    doc = render(store, order_id, width, footer=FOOTER, gift=True)
    (test_output / f"gift-receipt-{width}.pdf").write_bytes(doc.data.data())
    text = text_of(doc)
    for expected in ("GIFT RECEIPT", "Corner Shop", order_number(store, order_id),
                     "Till: R01 (Front counter)", "Tea × 2", "Gouda 0.375 kg", "Book × 1",
                     "Items 4", "Returns within 30 days with this receipt."):
        assert expected in text, expected
    with store.read() as s:
        order = s.get(Order, order_id)
        amounts = {format_amount(v, "EUR") for v in (
            order.total, order.subtotal, order.tax_total, order.change_given, 450, 1200, 2000,
            order.line_discount_total, order.coupon_discount_total)} - {"0.00"}
    words = set(text.split())
    for secret in ("TOTAL", "Subtotal", "VAT", "Cash", "Card", "VISA", "4242", "Change",
                   "Discount", "Coupon", "Ada", "Lovelace", "EUR", *amounts):
        assert secret not in words, secret
    assert not any(amount in text for amount in amounts)
    # the present can still come back "with the receipt": the same barcode as the sale's
    assert pdf.barcodes(doc.render()) == [("Code128", barcode_of(store, order_id))]
    check_printed_inside_the_paper(doc, width)


@pytest.mark.parametrize("width", ROLLS)
def test_a_reprint_is_marked_copy_and_otherwise_the_same(mixed_sale, width, test_output):
    store, _, order_id = mixed_sale
    original = render(store, order_id, width, footer=FOOTER)
    copy = render(store, order_id, width, footer=FOOTER, copy=True)
    (test_output / f"receipt-copy-{width}.pdf").write_bytes(copy.data.data())
    assert "COPY" not in text_of(original)
    copied = text_of(copy)
    assert copied.count("COPY") == 2  # at the top, and by the barcode that is kept
    assert copied.replace("*** COPY ***", "").replace("COPY", "", 1).split() == \
        text_of(original).split()
    assert pdf.barcodes(copy.render()) == [("Code128", barcode_of(store, order_id))]
    check_printed_inside_the_paper(copy, width)
    gift_copy = text_of(render(store, order_id, width, gift=True, copy=True))
    assert "GIFT RECEIPT" in gift_copy and gift_copy.count("COPY") == 2


def test_a_refund_receipt_reprint_is_marked_copy(mixed_sale):
    store, ids, order_id = mixed_sale
    with store.write() as s:
        record = refund(s, order_ref=order_id, staff_id=ids["cashier"],
                        lines=[ReturnRequest(1, 1000)])
        refund_id, number = record.id, record.number
    with store.read() as s:
        original = pdf.load(render_refund_receipt(s, refund_id, width="58mm"))
        copy = pdf.load(render_refund_receipt(s, refund_id, width="58mm", copy=True))
    assert "COPY" not in text_of(original) and text_of(copy).count("COPY") == 2
    assert "Till: R01 (Front counter)" in text_of(copy)
    assert pdf.barcodes(copy.render()) == [("Code128", number)]
    check_printed_inside_the_paper(copy, "58mm")


def test_a_receipt_has_everything_the_issue_asks_for(mixed_sale):
    """Shop header, lines, discounts, tax per rate, tenders and change, cashier, till, the
    order's Code 128 and the return policy — the shop's default when none is given."""
    store, _, order_id = mixed_sale
    doc = render(store, order_id, "80mm")
    text = text_of(doc)
    with store.read() as s:
        order = s.get(Order, order_id)
        money = {k: format_amount(v, "EUR") for k, v in (
            ("total", order.total), ("coupon", -order.coupon_discount_total),
            ("change", order.change_given))}
    for expected in ("Corner Shop", "Keizersgracht 1", "1015 CJ Amsterdam",
                     "Tax no. NL123456789B01", "Till: R01 (Front counter)",
                     "Cashier: Joanna Kowalska", "2 × 4.50 9.00", "0.375 kg × 12.00/kg 4.50",
                     "1 × 20.00 20.00", "Discount -2.00", "Line discounts -2.00",
                     f"Coupon SPRING10 {money['coupon']}", f"TOTAL EUR {money['total']}",
                     "Prices include:", "VAT 21% of", "VAT 9% of", "Card VISA •••• 4242 10.00",
                     "Cash 50.00", f"Change {money['change']}", DEFAULT_FOOTER):
        assert expected in text, expected
    assert DEFAULT_FOOTER.startswith("Returns within")
    assert pdf.barcodes(doc.render()) == [("Code128", barcode_of(store, order_id))]
    assert "Returns" not in text_of(render(store, order_id, "80mm", footer=""))


@pytest.mark.parametrize("prices_include_tax", [True, False])
def test_the_printed_totals_are_the_orders_own(till, prices_include_tax):
    """Several baskets: every figure the receipt prints about money is read back from the PDF
    and compared with the order as recorded."""
    store, ids = till
    set_prices_include_tax(store, prices_include_tax)
    baskets = [[("tea", 3000)], [("tea", 1000), ("cake", 2000), ("book", 3000)],
               [("cake", 7000), ("book", 1000)]]
    try:
        check_baskets(store, ids, baskets)
    finally:
        set_prices_include_tax(store, True)  # the module's other sales include tax


def set_prices_include_tax(store, include: bool) -> None:  # noqa: ANN001
    with store.write() as s:
        s.scalar(select(Store)).prices_include_tax = include


def check_baskets(store, ids, baskets) -> None:  # noqa: ANN001
    for n, basket in enumerate(baskets):
        cart = Cart(coupon_code="SPRING10" if n == 1 else None)
        for key, quantity in basket:
            cart.add(ids[key], quantity)
        if n == 2:
            cart.order_discount = Discount.amount(333)
        order_id = sell(store, ids, cart, [Tender(CASH, 100_000)])
        text = text_of(render(store, order_id, "58mm"))
        with store.read() as s:
            order = s.get(Order, order_id)
            taxes: dict[str, int] = {}
            for line in order.lines:
                for part in line.taxes:
                    taxes[part.name] = taxes.get(part.name, 0) + part.tax
        eur = lambda minor: format_amount(minor, "EUR")  # noqa: E731
        expected = [f"Subtotal {eur(order.subtotal)}", f"TOTAL EUR {eur(order.total)}",
                    f"Cash {eur(100_000)}", f"Change {eur(order.change_given)}"]
        if order.coupon_discount_total:
            expected.append(f"Coupon SPRING10 {eur(-order.coupon_discount_total)}")
        if order.order_discount_total:
            expected.append(f"Order discount {eur(-order.order_discount_total)}")
        for item in expected:
            assert item in text, item
        # each rate's tax is printed as "VAT 21% of <taxable> <tax>", and they add up
        assert sum(taxes.values()) == order.tax_total and len(taxes) >= 1
        for name, tax in taxes.items():
            assert text.split(f"{name} of ", 1)[1].split()[1] == eur(tax), name


@pytest.mark.parametrize("width", ROLLS)
def test_greek_and_cyrillic_names_wrap_inside_the_roll(till, width, test_output):
    store, ids = till
    with store.write() as s:
        greek = catalog.product(s, GREEK, 1899, stock_milli=10_000).id
        cyrillic = catalog.product(s, CYRILLIC, 1250, stock_milli=10_000).id
    cart = Cart()
    cart.add(greek, 1000)
    cart.add(cyrillic, 2000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    for options in ({}, {"gift": True}, {"copy": True}):
        doc = render(store, order_id, width, **options)
        printed = "".join(text_of(doc).split())
        for name in (GREEK, CYRILLIC):  # every letter printed as written, over several lines
            assert "".join(name.split()) in printed
        check_printed_inside_the_paper(doc, width)
        assert pdf.barcodes(doc.render()) == [("Code128", barcode_of(store, order_id))]
    doc.render().save(str(test_output / f"receipt-greek-cyrillic-{width}.png"))


def test_the_margin_checks_catch_ink_where_it_cannot_print():
    """The helpers the tests above rely on do see a stray mark: one in the roll's margin, and
    text running off the page's edge."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(58 * mm, 40 * mm))
    canvas.rect(2 * mm, 20 * mm, 1, 1, stroke=0, fill=1)  # 2 mm from the edge: in the margin
    canvas.drawString(50 * mm, 5 * mm, "runs off the page")
    canvas.showPage()
    canvas.save()
    doc = pdf.load(buffer.getvalue())
    with pytest.raises(AssertionError, match="outside the 48 mm"):
        pdf.assert_inside_print_width(doc, 58, 48)
    beyond = pdf.ink_beyond_page(buffer.getvalue())
    assert len(beyond) == 1 and beyond[0][0] == 0
