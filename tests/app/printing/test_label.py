"""Shipping labels drawn with reportlab, rendered back with QtPdf at a label printer's 203 dpi,
read and scanned: one 4×6 in page per parcel, the tracking number's Code 128 and the order's
QR code decode to exactly what was meant, and nothing is drawn outside the page, however long
or foreign the addresses are."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput
from app.domain.tenders import TenderMethod
from app.printing.label import MARGIN, LabelData, label_data, render_label
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.shipping import HouseCarrier, create_shipment, mark_printed
from app.shipping.address import MAX_LINE, MAX_LINES, address_lines
from db.models import Store
from tests.support import pdf

DPI = pdf.THERMAL_DPI
LABEL = LabelData(order_number="S01-R01-000042", tracking_number="TPS01R01000042017",
                  carrier="Shop delivery", service="EXPRESS", weight_grams=2350, parcels=3,
                  ship_to=("Ada Lovelace", "12 St James's Square", "London SW1Y 4JH"),
                  ship_from=("Corner Shop", "1 High Street", "Bristol BS1 1AA"),
                  shipped_on=date(2026, 12, 1))
# as long as an address may be, in the scripts a shop's customers write in
FOREIGN = ("Αικατερίνη Παπαδοπούλου-Κωνσταντινίδου και Ζωή Ευαγγελίου",
           "Οδός Ερμού 123, Διαμέρισμα 4Β, Τρίτος Όροφος, Σύνταγμα",
           "Екатерина Александровна Преображенская-Рождественская",
           "улица Большая Дмитровка, дом 32, строение 1, кв 17",
           "François-Xavier Müller-Lüdenscheidt, Cœur d'Alène Straße",
           "10557 Berlin-Tiergarten Bundesrepublik Deutschland")


def scanned(page: pdf.Pdf, n: int) -> dict[str, str]:
    return dict(pdf.barcodes(page.render(n, DPI)))


def ink_box(doc: pdf.Pdf, n: int) -> tuple[int, int, int, int]:
    image = pdf.grey(doc.render(n, DPI))
    box = image.point(lambda v: 255 if v < 250 else 0).getbbox()
    assert box is not None
    return box


def assert_inside_the_margins(data: bytes) -> None:
    """All ink within the label's margins (one printer dot of tolerance): anything running
    off the page would touch its edge, and pdfium finds nothing drawn beyond it."""
    doc = pdf.load(data)
    margin = round(MARGIN / 72 * DPI) - 1
    for n in range(doc.pages):
        assert doc.size_mm(n) == pytest.approx((101.6, 152.4), abs=0.01)
        left, top, right, bottom = ink_box(doc, n)
        width, height = round(4 * DPI), round(6 * DPI)
        assert left >= margin and top >= margin, (n, left, top)
        assert right <= width - margin and bottom <= height - margin, (n, right, bottom)
    beyond = getattr(pdf, "ink_beyond_page", None)
    if beyond is not None:
        assert beyond(data) == []


def test_each_parcel_has_a_page_whose_codes_decode_to_the_tracking_and_order_numbers():
    doc = pdf.load(render_label(LABEL))
    assert doc.pages == 3
    for n in range(3):
        assert scanned(doc, n) == {"Code128": LABEL.tracking_number,
                                   "QRCode": LABEL.order_number}
        text = doc.text(n)
        assert f"{n + 1} of 3" in text and "2.35 kg" in text and "EXPRESS" in text
        for line in (*LABEL.ship_to, *LABEL.ship_from, LABEL.order_number,
                     LABEL.tracking_number, "Shop delivery", "2026-12-01"):
            assert line in text, line
        assert "COPY" not in text
    assert_inside_the_margins(render_label(LABEL))


def test_the_longest_addresses_in_any_script_wrap_inside_the_label():
    data = replace(LABEL, parcels=1, ship_to=FOREIGN,
                   ship_from=("Ωραίο Μαγαζί · Магазин «Уют»", *FOREIGN[1:4]))
    assert address_lines("\n".join(FOREIGN)) == FOREIGN  # an address the till accepts
    label = render_label(data)
    assert_inside_the_margins(label)
    doc = pdf.load(label)
    text = " ".join(doc.text(0).split())
    for word in " ".join(FOREIGN).split():
        assert word in text, word
    assert scanned(doc, 0) == {"Code128": LABEL.tracking_number, "QRCode": LABEL.order_number}
    # the widest letters at the longest accepted length still fit, in smaller print
    widest = tuple("W" * MAX_LINE for _ in range(MAX_LINES))
    assert address_lines("\n".join(widest)) == widest
    assert_inside_the_margins(render_label(replace(data, ship_to=widest, ship_from=widest[:2])))


def test_a_reprint_says_copy_and_weights_print_exactly():
    doc = pdf.load(render_label(replace(LABEL, copy=True, parcels=1, weight_grams=500)))
    assert "COPY" in doc.text(0) and "500 g" in doc.text(0)
    for grams, shown in ((1000, "1 kg"), (1005, "1.005 kg"), (12_340, "12.34 kg")):
        assert shown in pdf.load(render_label(replace(LABEL, parcels=1,
                                                      weight_grams=grams))).text(0)


@pytest.mark.parametrize("change, field", [
    ({"weight_grams": 0}, "weight_grams"), ({"weight_grams": 2.5}, "weight_grams"),
    ({"parcels": 0}, "parcels"), ({"parcels": 21}, "parcels"), ({"parcels": True}, "parcels"),
    ({"ship_to": ("Ada Lovelace",)}, "ship_to"),
    ({"ship_to": ("Ada", "")}, "ship_to"),
    ({"ship_to": tuple("W" * 300 for _ in range(MAX_LINES))}, "ship_to"),
    ({"ship_from": ()}, "ship_from"),
    ({"ship_from": tuple("W" * 200 for _ in range(6))}, "ship_from"),
    ({"tracking_number": "TPS01·R01"}, "tracking_number"),
    ({"tracking_number": "T" * 60}, "tracking_number"),  # no scannable Code 128 fits 4 in
    ({"order_number": ""}, "order_number"),
    ({"order_number": "W" * 40}, "order_number"),  # beside the QR code, even in small print
    # a name cut off could be another carrier's or service's
    ({"carrier": "Transportes Internacionales " * 3}, "carrier"),
    ({"service": "Next day before noon signed for"}, "service"),
])
def test_what_a_label_cannot_hold_is_refused_naming_the_field(change, field):
    with pytest.raises(InvalidInput) as err:
        render_label(replace(LABEL, **change))
    assert err.value.field == field


def test_the_label_of_a_shipment_in_the_store(blank_shop):
    from tests.support import catalog

    with blank_shop.write() as s:
        store = s.scalar(select(Store))
        store.name, store.address = "Corner Shop", "1 High Street, Bristol BS1 1AA"
        cashier = catalog.staff(s)
        cart = Cart()
        cart.add(catalog.product(s, "Lamp", 2500).id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier.id,
                         ship_to="Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH")
        shipment = create_shipment(s, order.id, weight_grams=1200, parcels=2,
                                   service="standard", carrier=HouseCarrier())
        mark_printed(s, shipment.id, datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc))
        data = label_data(s, shipment.id, copy=True)
    assert data == LabelData(order_number="S01-R01-000001",
                             tracking_number=shipment.tracking_number, carrier="Shop delivery",
                             service="STANDARD", weight_grams=1200, parcels=2,
                             ship_to=("Ada Lovelace", "12 St James's Square", "London SW1Y 4JH"),
                             ship_from=("Corner Shop", "1 High Street", "Bristol BS1 1AA"),
                             shipped_on=date(2026, 12, 2), copy=True)
    doc = pdf.load(render_label(data))
    assert doc.pages == 2
    assert scanned(doc, 1) == {"Code128": shipment.tracking_number, "QRCode": "S01-R01-000001"}


def test_a_long_carrier_or_service_name_is_printed_smaller_but_whole():
    data = replace(LABEL, carrier="Parcelforce Worldwide Logistics", service="EXPRESS 24 PLUS")
    doc = pdf.load(render_label(data))
    text = " ".join(doc.text().split())
    assert "Parcelforce Worldwide Logistics" in text and "EXPRESS 24 PLUS" in text
    assert_inside_the_margins(render_label(data))
