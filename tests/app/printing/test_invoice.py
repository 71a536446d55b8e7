"""Invoices and credit notes drawn with reportlab on A4 and Letter, rendered back with QtPdf and
read: the totals and the tax per rate printed are the order's own, a card shows only its brand
and last four digits, 200 lines run over pages with the header repeated and "Page n of m", and
nothing is drawn past the margins or off the page."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.domain.money import format_amount
from app.domain.pricing import Discount
from app.domain.rates import format_percent
from app.domain.tenders import TenderMethod
from app.invoices import Buyer, issue_credit_note, issue_invoice
from app.printing.invoice import render_invoice
from app.printing.page import MARGIN
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from db.models import Coupon, Order, Refund, Store
from tests.support import catalog, pdf

CASH, CARD = TenderMethod.CASH, TenderMethod.CARD
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: what an office printer cannot reach is about 5 mm; the documents keep 16 mm
CLEAR_MM = 12
LONG_NAME = ("Organic fair-trade Darjeeling first flush loose-leaf black tea in a resealable "
             "tin with an extraordinarily long description "
             "Supercalifragilisticexpialidociousunbreakablewordthatnevereverendsatall")


@pytest.fixture
def shop(blank_shop):
    with blank_shop.write() as s:
        store = s.scalar(select(Store))
        store.name, store.tax_number, store.timezone = ("Corner Shop", "NL123456789B01",
                                                        "Europe/Amsterdam")
        store.address = "Keizersgracht 1\n1015 CJ Amsterdam"
        cashier = catalog.staff(s)
        ada = catalog.customer(s, "Ada Lovelace")
        ada.address, ada.tax_number = "12 St James's Square\nLondon SW1Y 4JH", "GB123456789"
        ids = {"cashier": cashier.id, "ada": ada.id,
               "tea": catalog.product(s, "Tea", 450, stock_milli=100_000).id,
               "cake": catalog.product(s, "Cake", 1210, stock_milli=100_000).id,
               "book": catalog.product(s, "Βιβλίο · Книга", 2000,
                                       rates=(("VAT 9%", 90_000),)).id}
        s.add(Coupon(code="SPRING10", kind="percent", value=100_000))
    return blank_shop, ids


def sell(store, ids, cart: Cart, tenders: list[Tender]) -> str:
    with store.write() as s:
        return checkout(s, cart=cart, tenders=tenders, staff_id=ids["cashier"]).id


def invoice_for(store, ids, order_id: str, **kwargs) -> str:
    with store.write() as s:
        return issue_invoice(s, order_id, staff_id=ids["cashier"], **kwargs).id


def draw(store, invoice_id: str, paper: str = "A4", copy: bool = False) -> tuple[bytes, pdf.Pdf]:
    with store.read() as s:
        data = render_invoice(s, invoice_id, paper=paper, copy=copy)
    return data, pdf.load(data)


def flat(text: str) -> str:
    return " ".join(text.split())


def expected_taxes(store, order_id: str) -> list[str]:
    """The tax-by-rate rows as the order's lines recorded them: name, rate, taxable, tax."""
    with store.read() as s:
        order = s.get(Order, order_id)
        taxable, tax = defaultdict(int), defaultdict(int)
        for line in order.lines:
            for part in line.taxes:
                taxable[(part.name, part.rate_ppm)] += part.taxable
                tax[(part.name, part.rate_ppm)] += part.tax
        money = lambda v: format_amount(v, order.currency)  # noqa: E731
        return [f"{name} {format_percent(rate)}% {money(taxable[(name, rate)])} "
                f"{money(tax[(name, rate)])}" for name, rate in tax]


def check_inside_the_margins(data: bytes, doc: pdf.Pdf, paper: str) -> None:
    """Nothing beyond any page, no ink within CLEAR_MM of an edge, every letter inside."""
    assert pdf.ink_beyond_page(data) == []
    width_mm, height_mm = PAPER_MM[paper]
    for page in range(doc.pages):
        assert doc.size_mm(page) == pytest.approx(PAPER_MM[paper], abs=0.1)
        image = doc.render(page, dpi=60)
        box = pdf.grey(image).point(lambda v: 255 if v < 250 else 0).getbbox()
        per_mm = image.width() / width_mm
        clear = CLEAR_MM * per_mm
        assert box is not None
        assert (box[0] >= clear and box[1] >= clear and box[2] <= image.width() - clear
                and box[3] <= image.height() - clear), (page, box, image.width(), image.height())
        page_width = PAPER_MM[paper][0] / 25.4 * 72
        for char, (left, _bottom, right, _top) in pdf.char_boxes(data, page):
            assert MARGIN - 1 <= left and right <= page_width - MARGIN + 1, (page, char, left, right)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_an_invoice_shows_the_orders_own_totals_and_tax_per_rate(shop, paper, test_output):
    store, ids = shop
    cart = Cart(customer_id=ids["ada"], coupon_code="SPRING10")
    cart.add(ids["tea"], 2000)
    cart.add(ids["cake"], 1000)
    cart.set_line_discount(1, Discount.percent(100_000))  # 10 % off the cake
    cart.add(ids["book"], 1000)
    cart.order_discount = Discount.amount(100)
    order_id = sell(store, ids, cart, [
        Tender(CARD, 1500, reference="pi_secret_ref", card_brand="VISA", card_last4="4242"),
        Tender(CASH, 5000)])
    invoice_id = invoice_for(store, ids, order_id)
    data, doc = draw(store, invoice_id, paper)
    (test_output / f"invoice-{paper}.pdf").write_bytes(data)

    assert doc.pages == 1
    text = flat(doc.text())
    with store.read() as s:
        order = s.get(Order, order_id)
        money = lambda v: format_amount(v, "EUR")  # noqa: E731
        totals = [f"Subtotal {money(order.subtotal)}",
                  f"Line discounts {money(-order.line_discount_total)}",
                  f"Order discount {money(-order.order_discount_total)}",
                  f"Coupon SPRING10 {money(-order.coupon_discount_total)}",
                  f"Total excl. tax {money(order.total - order.tax_total)}",
                  f"Tax {money(order.tax_total)}", f"Total (EUR) {money(order.total)}",
                  f"Total tax {money(order.tax_total)}"]
        number = order.number
    for expected in ["INVOICE INV-S01-R01-000001", "Seller Corner Shop Keizersgracht 1",
                     "1015 CJ Amsterdam Tax no. NL123456789B01",
                     "Buyer Ada Lovelace 12 St James's Square London SW1Y 4JH Tax no. GB123456789",
                     f"Sale {number}", "Amount incl. tax", "Prices include tax.",
                     # 2 × 4.50 less its shares of the order discount and the coupon
                     "Tea T", "2 4.50 -1.11 21% 7.89", "Βιβλίο · Книга", "1 20.00 -2.45 9% 17.55",
                     "Card VISA •••• 4242 15.00", "Cash 20.00", "Paid 35.00",
                     "Page 1 of 1", *totals, *expected_taxes(store, order_id)]:
        assert expected in text, expected
    assert text.index("VAT 21% 21%") < text.index("VAT 9% 9%")  # highest rate first
    assert "pi_secret_ref" not in text  # of a card, only its brand and last four digits
    check_inside_the_margins(data, doc, paper)


def test_prices_without_tax_and_weighed_items(shop):
    store, ids = shop
    with store.write() as s:
        s.scalar(select(Store)).prices_include_tax = False
        cheese = catalog.product(s, "Gouda", 1200, sold_by_weight=True, stock_milli=5000).id
    cart = Cart()
    cart.add(cheese, 375)
    cart.add(ids["tea"], 1000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    invoice_id = invoice_for(store, ids, order_id, buyer=Buyer("Hopper & <Sons>"))
    text = flat(draw(store, invoice_id)[1].text())
    # 0.375 kg × 12.00 = 4.50 and 4.50, 21 % added per line (0.945 → 0.95 twice)
    for expected in ("Amount excl. tax", "0.375 kg 12.00/kg 21% 4.50", "Buyer Hopper & <Sons>",
                     "Subtotal 9.00", "Total excl. tax 9.00", "Tax 1.90", "Total (EUR) 10.90",
                     "VAT 21% 21% 9.00 1.90", "Prices exclude tax"):
        assert expected in text, expected
    assert "Line discounts" not in text and "Coupon" not in text


def test_a_credit_note_shows_the_refund_and_the_invoice_it_corrects(shop, test_output):
    store, ids = shop
    cart = Cart(customer_id=ids["ada"])
    cart.add(ids["tea"], 3000)
    cart.add(ids["book"], 1000)
    cart.add(ids["cake"], 1000)
    cart.set_line_discount(2, Discount.percent(100_000))  # 10 % off the cake: 1.21
    order_id = sell(store, ids, cart, [
        Tender(CARD, 2000, reference="pi_x", card_brand="MASTERCARD", card_last4="0005"),
        Tender(CASH)])
    with store.write() as s:
        record = refund(s, order_ref=order_id, staff_id=ids["cashier"], reason="damaged tin",
                        lines=[ReturnRequest(1, 1000), ReturnRequest(2), ReturnRequest(3)])
        # the sale had no invoice: the credit note's comes first
        note = issue_credit_note(s, record.id, staff_id=ids["cashier"])
        note_id, refund_number = note.id, record.number
    data, doc = draw(store, note_id, "Letter")
    (test_output / "credit-note-Letter.pdf").write_bytes(data)
    text = flat(doc.text())
    with store.read() as s:
        record = s.scalar(select(Refund).where(Refund.number == refund_number))
        amount, tax = record.amount, record.tax
    for expected in ("CREDIT NOTE CN-S01-R01-000001", "Corrects invoice INV-S01-R01-000001",
                     f"Refund {refund_number}", "Buyer Ada Lovelace", "Tax no. GB123456789",
                     "Tea T", "1 4.50 21% -4.50", "Βιβλίο · Книга", "1 20.00 9% -20.00",
                     # the cake's discount was not paid, so it is not credited either;
                     # a discount reads negative, as on the invoice
                     "Cake T", "1 12.10 -1.21 21% -10.89",
                     f"Total excl. tax {format_amount(-(amount - tax), 'EUR')}",
                     f"Tax {format_amount(-tax, 'EUR')}",
                     f"Total credited (EUR) {format_amount(-amount, 'EUR')}",
                     # 4.50 and 10.89 at 21 % hold 0.78 and 1.89 of tax, 20.00 at 9 % 1.65
                     "VAT 21% 21% -12.72 -2.67", "VAT 9% 9% -18.35 -1.65", "Total tax -4.32",
                     "Card MASTERCARD •••• 0005 20.00", "Cash 15.39", "Reason: damaged tin"):
        assert expected in text, expected
    assert (amount, tax) == (3539, 432) and "pi_x" not in text
    check_inside_the_margins(data, doc, "Letter")


def test_two_hundred_lines_run_over_pages(shop, test_output):
    store, ids = shop
    with store.write() as s:
        variants = [catalog.product(s, f"Item {n:03d} " + (LONG_NAME if n % 25 == 0 else "box"),
                                    100 + n).id for n in range(200)]
    cart = Cart(customer_id=ids["ada"])
    for variant in variants:
        cart.add(variant, 1000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    invoice_id = invoice_for(store, ids, order_id)
    data, doc = draw(store, invoice_id)
    (test_output / "invoice-200-lines-A4.pdf").write_bytes(data)

    pages = [flat(doc.text(page)) for page in range(doc.pages)]
    assert doc.pages >= 4
    for number, text in enumerate(pages, start=1):
        assert "# Description Qty Unit price Discount Tax Amount incl. tax" in text, number
        assert f"Page {number} of {doc.pages}" in text
        assert "Invoice INV-S01-R01-000001" in text  # the running header
    everything = " ".join(pages)
    assert all(everything.count(f"Item {n:03d} ") == 1 for n in range(200))
    # a long name wraps: every letter printed, on several lines of its row
    assert "".join(LONG_NAME.split()) in "".join(everything.split())
    total = sum(100 + n for n in range(200))  # 200 × 1.00 + (0 + … + 199) cents
    assert f"Total (EUR) {format_amount(total, 'EUR')}" in pages[-1]
    assert all("Total (EUR)" not in text for text in pages[:-1])
    assert all(expected in pages[-1] for expected in expected_taxes(store, order_id))
    assert "COPY" not in everything
    check_inside_the_margins(data, doc, "A4")

    # a reprint says so on every page
    copy = draw(store, invoice_id, copy=True)[1]
    reprinted = [flat(copy.text(page)) for page in range(copy.pages)]
    assert "COPY — a reprint of the invoice issued on" in reprinted[0]
    assert all("Invoice INV-S01-R01-000001 · COPY" in text for text in reprinted)
    assert f"Total (EUR) {format_amount(total, 'EUR')}" in reprinted[-1]


def test_bad_requests(shop):
    store, ids = shop
    with store.read() as s:
        with pytest.raises(NotFound) as err:
            render_invoice(s, "no-such-invoice", paper="A4")
        assert err.value.field == "invoice"
        with pytest.raises(InvalidInput) as err:
            render_invoice(s, "no-such-invoice", paper="A5")
        assert err.value.field == "paper"


def test_a_discount_reads_negative_on_the_invoice_and_on_its_credit_note(shop):
    store, ids = shop
    cart = Cart(customer_id=ids["ada"])
    cart.add(ids["cake"], 1000)
    cart.set_line_discount(0, Discount.percent(100_000))  # 10 % off the cake: 1.21
    order_id = sell(store, ids, cart, [Tender(CASH)])
    invoice_id = invoice_for(store, ids, order_id)
    with store.write() as s:
        record = refund(s, order_ref=order_id, staff_id=ids["cashier"])
        note_id = issue_credit_note(s, record.id, staff_id=ids["cashier"]).id
    invoice, note = (flat(draw(store, ref)[1].text()) for ref in (invoice_id, note_id))
    assert "1 12.10 -1.21 21% 10.89" in invoice
    assert "1 12.10 -1.21 21% -10.89" in note  # the credit carries the sign, not the discount
