"""Receipts drawn with reportlab, rendered back with QtPdf at a receipt printer's 203 dpi, read
and scanned: the barcode decodes to the exact order number (with its check) on both roll widths."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.printing.receipt import render_receipt, render_refund_receipt
from app.sales.cart import Cart
from app.sales.receipt_code import receipt_check
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from db.models import Coupon, Order, Store
from tests.support import catalog, pdf

CASH, CARD = TenderMethod.CASH, TenderMethod.CARD
WIDTHS = {"80mm": 80, "58mm": 58}
FOOTER = "Returns within 30 days with this receipt.\nThank you!"


@pytest.fixture
def till(blank_shop):
    return blank_shop, set_up_till(blank_shop)


def set_up_till(blank_shop) -> dict[str, str]:
    """A Dutch corner shop with a named cashier, three items, a customer and a coupon."""
    with blank_shop.write() as s:
        store = s.scalar(select(Store))
        store.name, store.tax_number, store.timezone = "Corner Shop", "NL123456789B01", "Europe/Amsterdam"
        store.address = "Keizersgracht 1\n1015 CJ Amsterdam"
        cashier = catalog.staff(s)
        cashier.name = "Joanna Kowalska"
        ids = {"cashier": cashier.id,
               "tea": catalog.product(s, "Tea", 450, stock_milli=100_000).id,
               "cake": catalog.product(s, "Cake", 1210, stock_milli=100_000).id,
               "book": catalog.product(s, "Book", 2000, rates=(("VAT 9%", 90_000),)).id,
               "customer": catalog.customer(s, "Ada Lovelace", "ada@example.com").id}
        s.add(Coupon(code="SPRING10", kind="percent", value=100_000))
    return ids


def sell(store, ids, cart: Cart, tenders: list[Tender]) -> str:
    with store.write() as s:
        return checkout(s, cart=cart, tenders=tenders, staff_id=ids["cashier"]).id


def receipt(store, order_id: str, width: str) -> pdf.Pdf:
    with store.read() as s:
        return pdf.load(render_receipt(s, order_id, width=width, footer=FOOTER))


def order_number(store, order_id: str) -> str:
    with store.read() as s:
        return s.get(Order, order_id).number


def barcode_of(store, order_id: str) -> str:
    """What the receipt's barcode must read: the number, and the check made from the id."""
    number = order_number(store, order_id)
    return f"{number}{receipt_check(order_id)}"


PRINT_WIDTHS = {"80mm": 72, "58mm": 48}  # what the print head of each roll reaches


def check_printed_inside_the_paper(doc: pdf.Pdf, width: str) -> None:
    """White outside the print head's reach on every page, and nothing drawn off the page
    (which a viewer would silently cut)."""
    pdf.assert_inside_print_width(doc, WIDTHS[width], PRINT_WIDTHS[width])
    assert pdf.ink_beyond_page(doc.data.data()) == []


@pytest.mark.parametrize("width", ["80mm", "58mm"])
def test_a_split_cash_and_card_sale_with_discounts(till, width, test_output):
    store, ids = till
    cart = Cart(customer_id=ids["customer"], coupon_code="SPRING10")
    cart.add(ids["tea"], 2000)
    cart.add(ids["cake"], 1000)
    cart.set_line_discount(1, Discount.percent(100_000))  # 10 % off the cake: 1.21
    cart.add(ids["book"], 1000)
    cart.order_discount = Discount.amount(100)
    order_id = sell(store, ids, cart, [
        Tender(CARD, 1500, reference="terminal:x:1:1", card_brand="VISA", card_last4="4242"),
        Tender(CASH, 5000)])
    number = order_number(store, order_id)
    doc = receipt(store, order_id, width)
    (test_output / f"receipt-split-{width}.pdf").write_bytes(doc.data.data())

    width_mm, height_mm = doc.size_mm()
    assert doc.pages == 1 and round(width_mm) == WIDTHS[width] and 100 < height_mm < 300
    text = " ".join(doc.text().split())
    # subtotal 900+1210+2000 = 4110; line -121; order -100; coupon 10 % of 3889 = -389
    for expected in ("Corner Shop", "Keizersgracht 1", "Tax no. NL123456789B01", number,
                     "Cashier: Joanna Kowalska", "Customer: Ada Lovelace",
                     "Tea", "2 × 4.50 9.00", "Cake", "1 × 12.10 12.10", "Discount -1.21",
                     "Subtotal 41.10", "Line discounts -1.21", "Order discount -1.00",
                     "Coupon SPRING10 -3.89", "TOTAL EUR 35.00",
                     "Card VISA •••• 4242 15.00", "Cash 50.00", "Change 30.00",
                     "Returns within 30 days with this receipt.", "Thank you!"):
        assert expected in text, expected
    assert "ada@example.com" not in text  # the customer's name only
    assert f"{number}{receipt_check(order_id)}" not in text  # only the barcode has the check
    assert "VAT 21% of" in text and "VAT 9% of" in text
    assert text.index("VAT 21%") < text.index("VAT 9%")

    image = doc.render()
    image.save(str(test_output / f"receipt-split-{width}.png"))
    assert pdf.barcodes(image) == [("Code128", barcode_of(store, order_id))]
    check_printed_inside_the_paper(doc, width)


def test_the_time_is_the_stores_local_time(till):
    store, ids = till
    cart = Cart()
    cart.add(ids["tea"], 1000)
    with store.write() as s:
        order_id = checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=ids["cashier"],
                            now=datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc)).id
    assert "2026-07-02 00:30 CEST" in receipt(store, order_id, "80mm").text()


@pytest.mark.parametrize("width", ["80mm", "58mm"])
def test_a_long_name_wraps_inside_the_paper(till, width):
    store, ids = till
    name = ("Organic fair-trade Darjeeling first flush loose-leaf black tea in a "
            "resealable tin with an extraordinarily long description "
            "Supercalifragilisticexpialidociousunbreakablewordthatnevereverends")
    with store.write() as s:
        long_one = catalog.product(s, name, 1999, stock_milli=10_000).id
    cart = Cart()
    cart.add(long_one, 1000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    doc = receipt(store, order_id, width)
    printed = "".join(doc.text().split())
    assert "".join(name.split()) in printed  # every letter printed, across several lines
    check_printed_inside_the_paper(doc, width)
    assert pdf.barcodes(doc.render()) == [("Code128", barcode_of(store, order_id))]


@pytest.mark.parametrize("width", ["80mm", "58mm"])
def test_a_sixty_line_order_fits_one_roll_and_still_scans(till, width):
    store, ids = till
    with store.write() as s:
        variants = [catalog.product(s, f"Item number {n:02d}", 100 + n, stock_milli=5000).id
                    for n in range(60)]
    cart = Cart()
    for variant in variants:
        cart.add(variant, 1000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    doc = receipt(store, order_id, width)
    assert doc.pages == 1
    text = doc.text()
    assert all(f"Item number {n:02d}" in text for n in range(60))
    assert "TOTAL EUR 77.70" in " ".join(text.split())  # 60 × 1.00 + (0 + … + 59) cents
    assert doc.size_mm()[1] > 60 * 2 * 3  # two lines per item: the page grew to fit
    assert pdf.barcodes(doc.render()) == [("Code128", barcode_of(store, order_id))]


def test_a_refund_receipt(till, test_output):
    store, ids = till
    cart = Cart(customer_id=ids["customer"])
    cart.add(ids["tea"], 3000)
    cart.add(ids["book"], 1000)
    order_id = sell(store, ids, cart, [
        Tender(CARD, 2000, reference="terminal:y", card_brand="MASTERCARD", card_last4="0005"),
        Tender(CASH)])
    with store.write() as s:
        record = refund(s, order_ref=order_id, staff_id=ids["cashier"], reason="damaged tin",
                        lines=[ReturnRequest(1, 1000), ReturnRequest(2)])
        refund_id, refund_number = record.id, record.number
    with store.read() as s:
        doc = pdf.load(render_refund_receipt(s, refund_id, width="58mm", footer=FOOTER))
    (test_output / "refund-58mm.pdf").write_bytes(doc.data.data())
    text = " ".join(doc.text().split())
    for expected in ("REFUND", refund_number, order_number(store, order_id), "Tea",
                     "1 × 4.50 -4.50", "Book", "REFUNDED EUR 24.50",
                     "Back to Card MASTERCARD •••• 0005 20.00", "Back to Cash 4.50",
                     "Reason: damaged tin", "VAT 21% 0.78", "VAT 9% 1.65"):
        assert expected in text, expected
    assert pdf.barcodes(doc.render()) == [("Code128", refund_number)]
    check_printed_inside_the_paper(doc, "58mm")


def test_bad_requests(till):
    store, ids = till
    with store.read() as s:
        with pytest.raises(NotFound) as err:
            render_receipt(s, "no-such-order")
        assert err.value.field == "order"
        with pytest.raises(NotFound):
            render_refund_receipt(s, "no-such-refund")
        with pytest.raises(InvalidInput) as err:
            render_receipt(s, "x", width="110mm")
        assert err.value.field == "width"


def test_weighed_items_and_prices_without_tax(till):
    store, ids = till
    with store.write() as s:
        s.scalar(select(Store)).prices_include_tax = False
        cheese = catalog.product(s, "Gouda", 1200, sold_by_weight=True, stock_milli=5000).id
    cart = Cart()
    cart.add(cheese, 375)
    cart.add(ids["tea"], 1000)
    order_id = sell(store, ids, cart, [Tender(CASH)])
    text = " ".join(receipt(store, order_id, "58mm").text().split())
    # 0.375 kg × 12.00 = 4.50; tea 4.50; 21 % added before the total, rounded per line
    # (0.945 → 0.95 twice): the receipt prints the order's own figures
    for expected in ("0.375 kg × 12.00/kg 4.50", "Subtotal 9.00", "VAT 21% of 9.00 1.90",
                     "TOTAL EUR 10.90"):
        assert expected in text, expected
    assert "Prices include" not in text
    assert text.index("VAT 21% of 9.00") < text.index("TOTAL")
