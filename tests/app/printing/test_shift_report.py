"""The shift report on the roll: a closed shift prints the Z-report frozen at close (a reprint,
marked COPY, shows exactly those figures even after the shift's sales were changed), an open
one its running figures as an X-report. Every figure printed is read back from the PDF and
compared with the report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.domain.money import format_amount
from app.domain.tenders import TenderMethod
from app.printing.shift_report import render_shift_report
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from app.setup import initialise
from app.till import shifts
from app.till.zreport import report_from_json
from db.engine import LocalStore
from db.models import Order, Shift, Store
from tests.support import catalog, pdf

CASH, CARD = TenderMethod.CASH, TenderMethod.CARD
OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
ROLLS = {"80mm": (80, 72), "58mm": (58, 48)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):  # noqa: ANN001, ANN201
    """One shift closed with a count 0.50 short, and a second one left open."""
    store = LocalStore.open(tmp_path_factory.mktemp("zreport") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
        shop_row = s.scalar(select(Store))
        shop_row.name, shop_row.timezone = "Ψωμί & Хлеб Bakery", "Europe/Athens"
        cashier = catalog.staff(s)
        cashier.name = "Ελένη Παπαδοπούλου"
        bread = catalog.product(s, "Bread", 250, rates=(("VAT 6%", 60_000),),
                                stock_milli=100_000).id
        cake = catalog.product(s, "Cake", 1210, stock_milli=100_000).id
        shift = shifts.open_shift(s, staff_id=cashier.id, float_text="100", now=OPENED)
        ids = {"cashier": cashier.id, "closed": shift.id}

        def sell(lines, tenders, minutes):  # noqa: ANN001, ANN202
            cart = Cart()
            for variant, quantity in lines:
                cart.add(variant, quantity)
            return checkout(s, cart=cart, tenders=tenders, staff_id=cashier.id,
                            shift_id=shift.id, now=OPENED + timedelta(minutes=minutes))

        first = sell([(bread, 2000), (cake, 1000)], [Tender(CASH, 2000)], 10)  # 17.10
        sell([(cake, 2000)], [Tender(CARD, 2420, reference="terminal:z:1", card_brand="VISA",
                                     card_last4="4242")], 20)  # 24.20
        refund(s, order_ref=first.id, staff_id=cashier.id, lines=[ReturnRequest(1, 1000)],
               shift_id=shift.id, now=OPENED + timedelta(minutes=30))  # 2.50 cash back
        shifts.cash_movement(s, shift_id=shift.id, staff_id=cashier.id, amount_text="20",
                             direction="in", reason="change", now=OPENED + timedelta(hours=1))
        shifts.cash_movement(s, shift_id=shift.id, staff_id=cashier.id, amount_text="30",
                             direction="out", reason="bank drop",
                             now=OPENED + timedelta(hours=2))
        # expected: 100 + 17.10 − 2.50 + 20 − 30 = 104.60; counted 104.10
        shifts.close_shift(s, shift_id=shift.id, staff_id=cashier.id, counted_text="104.10",
                           now=OPENED + timedelta(hours=8))
        ids["first_order"] = first.id
        later = shifts.open_shift(s, staff_id=cashier.id, float_text="50",
                                  now=OPENED + timedelta(hours=9))
        ids["open"] = later.id
        cart = Cart()
        cart.add(bread, 1000)
        checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=cashier.id, shift_id=later.id,
                 now=OPENED + timedelta(hours=9, minutes=5))
    yield store, ids
    store.close()


def render(store, shift_id: str, width: str = "80mm", copy: bool = False) -> bytes:  # noqa: ANN001
    with store.read() as s:
        return render_shift_report(s, shift_id, width=width, copy=copy)


def text_of(doc: pdf.Pdf) -> str:
    return " ".join(" ".join(doc.text(page).split()) for page in range(doc.pages))


@pytest.mark.parametrize("width", ROLLS)
def test_a_closed_shift_prints_its_frozen_z_report(shop, width, test_output):
    store, ids = shop
    data = render(store, ids["closed"], width)
    (test_output / f"z-report-{width}.pdf").write_bytes(data)
    doc = pdf.load(data)
    text = text_of(doc)
    with store.read() as s:
        report = report_from_json(s.get(Shift, ids["closed"]).z_report)
    eur = lambda minor: format_amount(minor, "EUR")  # noqa: E731
    assert (report.net_sales, report.refunds, report.expected_cash, report.difference) == (
        1710 + 2420, 250, 10460, -50)
    for expected in (
            "Ψωμί & Хлеб Bakery", "Z-REPORT", "Till R01 (Till 1)",
            "Opened 2026-03-02 10:00 EET", "Closed 2026-03-02 18:00 EET",
            "by Ελένη Παπαδοπούλου", "Currency EUR",
            f"Sales (2) {eur(report.gross_sales)}", f"Discounts {eur(-report.discounts)}",
            f"Net sales {eur(report.net_sales)}", f"Tax on sales {eur(report.tax)}",
            f"Refunds (1) {eur(-report.refunds)}", f"Tax refunded {eur(-report.refunded_tax)}",
            f"Net after refunds {eur(report.net_sales - report.refunds)}",
            f"Voids (0) {eur(0)}", "Cash 14.60 taken 17.10 paid back -2.50",
            "Card 24.20 taken 24.20 paid back 0.00", "Store credit 0.00",
            f"Opening float {eur(10000)}", f"Cash sales {eur(1710)}", "Cash refunds -2.50",
            "Cash in 20.00", "Cash out -30.00", "Expected 104.60", "Counted 104.10",
            "Difference (short) -0.50", "Signature"):
        assert expected in text, expected
    assert f"Shift{report.shift_id}" in "".join(text.split())  # may wrap on 58 mm
    for line in report.taxes + report.refunded_taxes + report.net_taxes:
        assert f"{line.name} {line.tax_text}" in text, line
    assert "charged VAT 21%" in text and "refunded VAT 6%" in text and "owed" in text
    assert "COPY" not in text and "X-REPORT" not in text
    pdf.assert_inside_print_width(doc, *ROLLS[width])
    assert pdf.ink_beyond_page(data) == []


def test_a_reprint_is_a_copy_of_the_figures_frozen_at_close(shop, test_output):
    store, ids = shop
    original = render(store, ids["closed"], "58mm")
    # a correction after the close (say, one synced from the back office) changes the
    # shift's sale, but not the report that was signed
    with store.write() as s:
        order = s.get(Order, ids["first_order"])
        order.total += 100
        order.paid_total += 100
    assert render(store, ids["closed"], "58mm") == original  # not summed again
    copy = render(store, ids["closed"], "58mm", copy=True)
    (test_output / "z-report-copy-58mm.pdf").write_bytes(copy)
    copied, first = text_of(pdf.load(copy)), text_of(pdf.load(original))
    assert copied.count("COPY") == 2 and "Net sales 41.30" in copied
    assert copied.replace("*** COPY ***", "").replace("COPY", "", 1).split() == first.split()
    pdf.assert_inside_print_width(pdf.load(copy), *ROLLS["58mm"])
    with store.write() as s:  # put it back for the other tests of the module
        order = s.get(Order, ids["first_order"])
        order.total -= 100
        order.paid_total -= 100


def test_an_open_shift_prints_its_running_figures_as_an_x_report(shop):
    store, ids = shop
    doc = pdf.load(render(store, ids["open"], "58mm"))
    text = text_of(doc)
    for expected in ("X-REPORT", "Shift still open", "Sales (1) 2.50", "Opening float 50.00",
                     "Expected 52.50"):
        assert expected in text, expected
    assert "Z-REPORT" not in text and "Counted" not in text and "Closed" not in text
    pdf.assert_inside_print_width(doc, *ROLLS["58mm"])


def test_bad_requests(shop):
    store, ids = shop
    with store.read() as s:
        with pytest.raises(NotFound) as err:
            render_shift_report(s, "no-such-shift")
        assert err.value.field == "shift"
        with pytest.raises(InvalidInput) as err:
            render_shift_report(s, ids["closed"], width="112mm")
        assert err.value.field == "width"
