"""``tillpoint print receipt|invoice|label ORDER`` run as a script runs it: valid PDFs that say
and scan what they should, printing through the queue (a device file, an unplugged printer), and
bad input refused naming the field, with nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

import main
from app.domain.tenders import TenderMethod
from app.printing.queue import PrintQueue
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.receipt_code import receipt_code
from app.sales.refunds import ReturnRequest, refund
from app.setup import initialise
from db.engine import LocalStore
from db.models import Invoice, Order, Shipment
from tests.support import catalog, pdf

ADDRESS = "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> dict:
    """One data directory for the module: a shop, its sales (to a customer, anonymous, to ship,
    partly refunded). Tests that issue or ship use a sale of their own."""
    data_dir = tmp_path_factory.mktemp("print-cmd")
    store = LocalStore.open(data_dir / "tillpoint.sqlite3")
    try:
        with store.write() as s:
            initialise(s, store_name="Corner Shop", currency="EUR")
        with store.write() as s:
            cashier = catalog.staff(s)
            tea = catalog.product(s, "Ελληνικό τσάι — Иван-чай", 450, stock_milli=100_000)
            ada = catalog.customer(s, "Ada Lovelace")
            sales = {}
            for name, customer, ship_to in (("receipt", None, None), ("customer", ada.id, None),
                                            ("anon", None, None), ("refunded", ada.id, None),
                                            ("ship", ada.id, ADDRESS), ("ship2", ada.id, ADDRESS),
                                            ("ship3", ada.id, ADDRESS), ("ship4", ada.id, ADDRESS),
                                            ("again", None, None)):
                cart = Cart(customer_id=customer)
                cart.add(tea.id, 2000)
                order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                                 staff_id=cashier.id, ship_to=ship_to)
                sales[name] = (order.id, order.number)
            back = refund(s, order_ref=sales["refunded"][0], staff_id=cashier.id,
                          lines=[ReturnRequest(1, 1000)])
            sales["refund"] = (back.id, back.number)
    finally:
        store.close()
    return {"dir": data_dir, "sales": sales}


def run(capsys, shop, *argv: str) -> tuple[int, dict | None, str]:
    code = main.main(["print", *argv, "--data-dir", str(shop["dir"])])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def opened(shop) -> LocalStore:
    return LocalStore.open(shop["dir"] / "tillpoint.sqlite3")


# -- to a file ---------------------------------------------------------------------------------
@pytest.mark.parametrize("width", ["80mm", "58mm"])
def test_a_receipt_saved_as_pdf_reads_and_scans_as_the_sale(capsys, shop, tmp_path, width):
    order_id, number = shop["sales"]["receipt"]
    out = tmp_path / "receipt.pdf"
    code, result, err = run(capsys, shop, "receipt", number, "--out", str(out), "--width", width)
    assert (code, err) == (0, "")
    assert result == {"document": "receipt", "number": number, "copy": False, "out": str(out),
                      "bytes": out.stat().st_size}
    assert out.stat().st_mode & 0o777 == 0o644
    doc = pdf.load(out.read_bytes())
    assert round(doc.size_mm()[0]) == int(width[:2]) and number in doc.text()
    assert "9.00" in doc.text() and "Иван-чай" in doc.text()
    assert pdf.barcodes(doc.render()) == [("Code128", receipt_code(order_id, number))]


def test_a_copy_says_copy_and_a_gift_receipt_has_no_prices(capsys, shop, tmp_path):
    order_id, number = shop["sales"]["receipt"]
    code, result, _ = run(capsys, shop, "receipt", order_id, "--copy", "--out",
                          str(tmp_path / "copy.pdf"))
    assert code == 0 and result["number"] == number and result["copy"] is True
    assert "COPY" in pdf.load((tmp_path / "copy.pdf").read_bytes()).text()
    code, result, _ = run(capsys, shop, "receipt", number, "--gift", "--out",
                          str(tmp_path / "gift.pdf"))
    gift = pdf.load((tmp_path / "gift.pdf").read_bytes())
    assert code == 0 and result["document"] == "gift_receipt"
    assert "GIFT RECEIPT" in gift.text() and "9.00" not in gift.text()


def test_a_refunds_number_prints_its_refund_receipt(capsys, shop, tmp_path):
    _refund_id, number = shop["sales"]["refund"]
    code, result, _ = run(capsys, shop, "receipt", number, "--out", str(tmp_path / "r.pdf"))
    assert code == 0 and result["document"] == "refund_receipt"
    assert number in pdf.load((tmp_path / "r.pdf").read_bytes()).text()


def test_an_invoice_is_issued_once_and_printed_on_the_paper_asked_for(capsys, shop, tmp_path):
    order_id, number = shop["sales"]["customer"]
    code, first, err = run(capsys, shop, "invoice", number, "--paper", "Letter", "--out",
                           str(tmp_path / "inv.pdf"))
    assert (code, err) == (0, "") and first["document"] == "invoice"
    doc = pdf.load((tmp_path / "inv.pdf").read_bytes())
    width, height = doc.size_mm()
    assert (round(width), round(height)) == (216, 279)  # Letter
    assert first["number"] in doc.text() and "Ada Lovelace" in doc.text()
    code, again, _ = run(capsys, shop, "invoice", number, "--out", str(tmp_path / "again.pdf"))
    assert code == 0 and again["number"] == first["number"]  # the same invoice, not a new one
    store = opened(shop)
    try:
        with store.read() as s:
            assert len(s.scalars(select(Invoice).where(Invoice.order_id == order_id)).all()) == 1
    finally:
        store.close()


def test_an_anonymous_sale_is_invoiced_to_the_buyer_named(capsys, shop, tmp_path):
    _order_id, number = shop["sales"]["anon"]
    code, _, err = run(capsys, shop, "invoice", number, "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "buyer" in err and not (tmp_path / "x.pdf").exists()
    code, result, _ = run(capsys, shop, "invoice", number, "--buyer", "Grace Hopper",
                          "--buyer-tax-number", "US-42", "--out", str(tmp_path / "x.pdf"))
    text = pdf.load((tmp_path / "x.pdf").read_bytes()).text()
    assert code == 0 and "Grace Hopper" in text and "US-42" in text


def test_a_refund_gets_a_credit_note_that_names_the_invoice(capsys, shop, tmp_path):
    _refund_id, number = shop["sales"]["refund"]
    code, result, err = run(capsys, shop, "invoice", number, "--out", str(tmp_path / "cn.pdf"))
    assert (code, err) == (0, "") and result["document"] == "credit_note"
    text = pdf.load((tmp_path / "cn.pdf").read_bytes()).text()
    assert result["number"] in text and "INV-" in text


def test_a_label_is_made_for_an_order_to_ship_and_printing_it_ships_it(capsys, shop, tmp_path):
    order_id, number = shop["sales"]["ship"]
    code, _, err = run(capsys, shop, "label", number, "--out", str(tmp_path / "l.pdf"))
    assert code == 1 and "weight" in err  # no shipment yet: its weight is needed
    code, saved, err = run(capsys, shop, "label", number, "--weight", "1200", "--service",
                           "express", "--out", str(tmp_path / "l.pdf"))
    assert (code, err) == (0, "") and "shipped" not in saved  # saved, not printed
    doc = pdf.load((tmp_path / "l.pdf").read_bytes())
    assert [round(v) for v in doc.size_mm()] == [102, 152]  # 4 × 6 in
    found = dict(pdf.barcodes(doc.render(dpi=203)))
    assert found["Code128"] == saved["number"]  # the tracking number
    folder = tmp_path / "labels"
    code, printed, _ = run(capsys, shop, "label", number, "--printer", f"file:{folder}")
    assert code == 0 and printed["number"] == saved["number"] and printed["shipped"] is True
    store = opened(shop)
    try:
        with store.read() as s:
            assert s.get(Order, order_id).status == "shipped"
            assert s.scalar(select(Shipment).where(Shipment.order_id == order_id)).printed_at
    finally:
        store.close()
    assert len(list(folder.glob("*.pdf"))) == 1


def test_a_label_saved_with_mark_shipped_ships_the_order(capsys, shop, tmp_path):
    order_id, number = shop["sales"]["ship2"]
    code, result, _ = run(capsys, shop, "label", number, "--weight", "800", "--out",
                          str(tmp_path / "l.pdf"), "--mark-shipped")
    assert code == 0 and result["shipped"] is True
    code, _, err = run(capsys, shop, "label", number, "--weight", "900", "--out",
                       str(tmp_path / "l2.pdf"))
    assert code == 1 and "--weight" in err and not (tmp_path / "l2.pdf").exists()


# -- to a printer ------------------------------------------------------------------------------
def test_printing_to_an_escpos_device_goes_through_the_queue(capsys, shop, tmp_path):
    _order_id, number = shop["sales"]["receipt"]
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer = f"escpos:file:{device}"
    code, result, err = run(capsys, shop, "receipt", number, "--printer", printer)
    assert (code, err) == (0, "") and result["printer"] == printer
    assert device.read_bytes().startswith(b"\x1b@\x1dv0")
    store = opened(shop)
    try:
        job = PrintQueue(store, recover=False).get(result["job"])
    finally:
        store.close()
    assert (job.status, job.kind, job.title) == ("done", "receipt", f"Receipt {number}")


def test_a_window_draining_the_same_printer_never_takes_the_commands_job(capsys, shop, tmp_path):
    """The window's worker takes a printer's queued jobs as soon as they are committed: here it
    gets its chance right after every commit the command makes."""
    _order_id, number = shop["sales"]["receipt"]
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer = f"escpos:file:{device}"
    window = opened(shop)
    taken: list[object] = []
    busy: list[bool] = []

    def window_worker(_session) -> None:
        if not busy:  # its own commit must not call it again
            busy.append(True)
            taken.append(PrintQueue(window, recover=False).take(printer))
            busy.clear()

    event.listen(Session, "after_commit", window_worker)
    try:
        code, result, err = run(capsys, shop, "receipt", number, "--printer", printer)
    finally:
        event.remove(Session, "after_commit", window_worker)
    try:
        job = PrintQueue(window, recover=False).get(result["job"])
    finally:
        window.close()
    assert (code, err) == (0, "") and taken and not any(taken)
    assert job.status == "done" and device.read_bytes().startswith(b"\x1b@\x1dv0")


def test_an_unplugged_printer_fails_in_words_and_keeps_the_job_to_retry(capsys, shop, tmp_path):
    _order_id, number = shop["sales"]["receipt"]
    printer = f"escpos:file:{tmp_path / 'gone' / 'lp0'}"
    code, result, err = run(capsys, shop, "receipt", number, "--printer", printer)
    assert code == 1 and result is None
    assert f"{number} not printed on {printer}: printer offline" in err
    store = opened(shop)
    try:
        (job,) = PrintQueue(store, recover=False).jobs(printer=printer)
    finally:
        store.close()
    assert job.status == "failed" and job.error.startswith("printer offline")


def test_the_printer_set_for_the_document_is_the_default(capsys, shop, tmp_path):
    _order_id, number = shop["sales"]["receipt"]
    folder = tmp_path / "receipts"
    assert main.main(["config", "set", "printer.receipt", f"file:{folder}",
                      "--data-dir", str(shop["dir"])]) == 0
    capsys.readouterr()
    try:
        code, result, _ = run(capsys, shop, "receipt", number)
    finally:
        main.main(["config", "set", "printer.receipt", "", "--data-dir", str(shop["dir"])])
        capsys.readouterr()
    assert code == 0 and result["printer"] == f"file:{folder}"
    (saved,) = folder.iterdir()  # a copy when an earlier test printed this receipt
    assert saved.name in (f"Receipt_{number}.pdf", f"Receipt_{number}_copy.pdf")


def test_a_receipt_printed_before_comes_out_as_a_copy_unasked(capsys, shop, tmp_path):
    _order_id, number = shop["sales"]["again"]
    folder = tmp_path / "receipts"
    code, saved, _ = run(capsys, shop, "receipt", number, "--out", str(tmp_path / "a.pdf"))
    assert code == 0 and saved["copy"] is False  # saved, not printed: still no original out
    code, first, _ = run(capsys, shop, "receipt", number, "--printer", f"file:{folder}")
    assert code == 0 and first["copy"] is False
    code, again, _ = run(capsys, shop, "receipt", number, "--printer", f"file:{folder}")
    assert code == 0 and again["copy"] is True
    code, saved, _ = run(capsys, shop, "receipt", number, "--out", str(tmp_path / "b.pdf"))
    assert code == 0 and saved["copy"] is True
    assert "COPY" in pdf.load((tmp_path / "b.pdf").read_bytes()).text()
    assert [("COPY" in pdf.load(p.read_bytes()).text()) for p in sorted(folder.iterdir())] \
        == [False, True]


def test_a_label_never_printed_is_never_printed_as_a_copy(capsys, shop, tmp_path):
    order_id, number = shop["sales"]["ship3"]
    code, _, err = run(capsys, shop, "label", number, "--weight", "700", "--copy",
                       "--out", str(tmp_path / "l.pdf"))
    assert code == 1 and err.startswith("tillpoint: copy: ") and not list(tmp_path.iterdir())
    code, _, _ = run(capsys, shop, "label", number, "--weight", "700", "--out",
                     str(tmp_path / "l.pdf"))
    assert code == 0
    code, _, err = run(capsys, shop, "label", number, "--copy", "--printer",
                       f"file:{tmp_path / 'labels'}")
    assert code == 1 and err.startswith("tillpoint: copy: ") and "never printed" in err
    assert not (tmp_path / "labels").exists()
    store = opened(shop)
    try:
        with store.read() as s:
            assert s.get(Order, order_id).status != "shipped"
    finally:
        store.close()
    code, printed, _ = run(capsys, shop, "label", number, "--printer", f"file:{tmp_path / 'labels'}")
    assert code == 0 and printed["copy"] is False and printed["shipped"] is True
    code, reprint, _ = run(capsys, shop, "label", number, "--copy", "--printer",
                           f"file:{tmp_path / 'labels'}")
    assert code == 0 and reprint["copy"] is True


# -- refused -----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, field", [
    (["receipt", "S99-R99-999999"], "order"),
    (["label", "S99-R99-999999", "--weight", "100"], "order"),
    (["receipt", "{receipt}", "--out", "{tmp}/receipt.txt"], "out"),
    (["receipt", "{receipt}", "--out", "{tmp}/missing/receipt.pdf"], "out"),
    (["receipt", "{receipt}", "--out", "{tmp}"], "out"),
    (["invoice", "{receipt}", "--gift", "--out", "{tmp}/x.pdf"], "gift"),
    (["receipt", "{receipt}", "--paper", "A4", "--out", "{tmp}/x.pdf"], "paper"),
    (["receipt", "{receipt}", "--weight", "10", "--out", "{tmp}/x.pdf"], "weight"),
    (["label", "{receipt}", "--weight", "100", "--out", "{tmp}/x.pdf"], "order"),
    (["label", "{ship}", "--weight", "heavy", "--out", "{tmp}/x.pdf"], "weight"),
    (["label", "{ship}", "--weight", "100", "--mark-shipped"], "mark-shipped"),
    (["receipt", "{refund}", "--gift", "--out", "{tmp}/x.pdf"], "gift"),
    (["receipt", "{receipt}", "--printer", "escpos:serial:/dev/ttyS0"], "printer"),
    (["receipt", "{receipt}", "--printer", " "], "printer"),
    (["invoice", "{receipt}", "--buyer-address", "1 Road", "--out", "{tmp}/x.pdf"], "buyer"),
    # what the services call weight_grams and buyer_name, named as the options
    (["label", "{ship4}", "--weight", "99999999", "--out", "{tmp}/x.pdf"], "weight"),
    (["invoice", "{anon}", "--out", "{tmp}/x.pdf"], "buyer"),
    (["invoice", "{anon}", "--buyer", "Grace", "--buyer-tax-number", "x" * 65, "--out",
      "{tmp}/x.pdf"], "buyer-tax-number"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
        capsys, shop, tmp_path, argv, field):
    names = {"receipt": shop["sales"]["receipt"][1], "refund": shop["sales"]["refund"][1],
             "ship": shop["sales"]["ship2"][1], "ship4": shop["sales"]["ship4"][1],
             "anon": shop["sales"]["again"][1], "tmp": str(tmp_path)}
    code, result, err = run(capsys, shop, *(a.format(**names) for a in argv))
    assert code == 1 and result is None
    assert err.startswith(f"tillpoint: {field}: ") and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["poster", "S01-R01-000001"],
                                  ["receipt", "S01-R01-000001", "--out", "a.pdf",
                                   "--printer", "x"],
                                  ["receipt"]])
def test_a_malformed_command_line_exits_2(capsys, shop, argv):
    try:
        code = main.main(["print", *argv, "--data-dir", str(shop["dir"])])
    except SystemExit as exited:  # argparse's own refusals
        code = exited.code
    assert code == 2
    capsys.readouterr()


# -- Z-report and stock count sheet ------------------------------------------------------------
def test_zreport_prints_this_tills_latest_shift_then_a_copy(capsys, tmp_path):
    from app.till.shifts import close_shift, open_shift
    from db.base import utcnow

    data_dir = tmp_path / "till"
    store = LocalStore.open(data_dir / "tillpoint.sqlite3")
    try:
        with store.write() as s:
            initialise(s, store_name="Corner Shop", currency="EUR")
        with store.write() as s:
            manager = catalog.staff(s)
        code = main.main(["print", "zreport", "--out", str(tmp_path / "z.pdf"),
                          "--data-dir", str(data_dir)])
        assert code == 1 and "no shift yet" in capsys.readouterr().err
        with store.write() as s:
            shift = open_shift(s, staff_id=manager.id, float_text="100.00", now=utcnow())
            shift_id = shift.id
        with store.write() as s:
            close_shift(s, shift_id=shift_id, staff_id=manager.id, counted_text="100.00",
                        now=utcnow())
    finally:
        store.close()
    first = tmp_path / "z1.pdf"
    code = main.main(["print", "zreport", "--out", str(first), "--width", "58mm",
                      "--data-dir", str(data_dir)])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["document"] == "shift_report" and "Z-report" in result["number"]
    text = pdf.load(first.read_bytes()).text()
    assert "Z-REPORT" in text.upper() and "COPY" not in text.upper()
    code = main.main(["print", "zreport", shift_id, "--out", str(tmp_path / "z2.pdf"),
                      "--copy", "--data-dir", str(data_dir)])
    assert code == 0 and json.loads(capsys.readouterr().out)["copy"] is True
    assert "COPY" in pdf.load((tmp_path / "z2.pdf").read_bytes()).text().upper()


def test_stock_sheet_for_every_category_or_one_and_a_bad_one_refused(capsys, shop, tmp_path):
    out = tmp_path / "sheet.pdf"
    code, result, err = run(capsys, shop, "stock-sheet", "--out", str(out), "--paper", "Letter")
    assert (code, err) == (0, "") and result["document"] == "stock_sheet"
    assert result["copy"] is False  # a count sheet printed again is a new sheet
    assert "τσάι" in pdf.load(out.read_bytes()).text()
    code, _, err = run(capsys, shop, "stock-sheet", "no such shelf", "--out", str(out))
    assert code == 1 and "no category no such shelf" in err
    code, _, err = run(capsys, shop, "stock-sheet", "--width", "58mm", "--out", str(out))
    assert code == 1 and "width" in err


# -- an online order, as the server showed this till ---------------------------------------------
def _pull_online(shop, number: str, *, status: str = "confirmed", address: dict | None = None):
    from sync.apply import apply_entity

    store = opened(shop)
    try:
        with store.write() as s:
            from app.sales.identity import this_register

            home, _ = this_register(s)
            view = {"id": f"web-{number}", "number": number, "store_id": home.id,
                    "channel": "online", "status": status, "version": 2, "currency": "EUR",
                    "total": 1900, "lines": [], "payments": [],
                    "shipping_address": address or {
                        "name": "Grace Hopper", "line1": "7 Rue de la Loi", "line2": "",
                        "city": "Bruxelles", "postcode": "1040", "region": "",
                        "country": "BE", "phone": ""}}
            assert apply_entity(s, "order", view["id"], "upsert", view, store_id=home.id,
                                currency="EUR")
    finally:
        store.close()
    return f"web-{number}"


def _queued(shop) -> list[dict]:
    from db.models import OutboxEntry

    store = opened(shop)
    try:
        with store.read() as s:
            return [json.loads(e.payload) for e in s.scalars(
                select(OutboxEntry).where(OutboxEntry.kind == "order.status")
                .order_by(OutboxEntry.seq))]
    finally:
        store.close()


def test_an_online_orders_label_is_printed_from_its_address_and_ships_it(capsys, shop,
                                                                          tmp_path):
    order_id = _pull_online(shop, "S01-WEB-000101")
    folder = tmp_path / "labels"
    code, printed, err = run(capsys, shop, "label", "S01-WEB-000101", "--weight", "700",
                             "--printer", f"file:{folder}")
    assert (code, err) == (0, "") and printed["shipped"] is True
    [made] = folder.glob("*.pdf")
    doc = pdf.load(made.read_bytes())
    found = dict(pdf.barcodes(doc.render(dpi=203)))
    assert found == {"Code128": printed["number"], "QRCode": "S01-WEB-000101"}
    text = doc.text(0)
    assert "Grace Hopper" in text and "1040 Bruxelles" in text and "Corner Shop" in text
    moves = [m for m in _queued(shop) if m["order_id"] == order_id]
    assert [(m["from"], m["to"]) for m in moves] == [("confirmed", "processing"),
                                                      ("processing", "shipped")]
    assert moves[-1]["tracking_number"] == printed["number"]
    # printed again: the same label, a copy, and nothing more to send
    code, again, _ = run(capsys, shop, "label", "S01-WEB-000101", "--copy", "--printer",
                         f"file:{folder}")
    assert code == 0 and again["number"] == printed["number"] and again["copy"] is True
    assert again["shipped"] is True and len(list(folder.glob("*.pdf"))) == 2
    assert len([m for m in _queued(shop) if m["order_id"] == order_id]) == 2


def test_an_online_order_gets_the_address_given_on_the_command_line(capsys, shop, tmp_path):
    _pull_online(shop, "S01-WEB-000102")
    out = tmp_path / "l.pdf"
    code, saved, err = run(capsys, shop, "label", "S01-WEB-000102", "--weight", "500",
                           "--ship-to", "Grace Hopper, Office 3, 1040 Brussels", "--out",
                           str(out))
    assert (code, err) == (0, "")
    assert "Office 3" in pdf.load(out.read_bytes()).text(0)
    code, _, err = run(capsys, shop, "label", "S01-WEB-000102", "--ship-to", "Grace",
                       "--out", str(tmp_path / "again.pdf"))
    assert code == 1 and "--ship-to" in err and not (tmp_path / "again.pdf").exists()


@pytest.mark.parametrize(("status", "says"), [("pending", "not paid yet"),
                                              ("cancelled", "is cancelled")])
def test_an_online_order_that_cannot_ship_is_refused_with_nothing_written(capsys, shop,
                                                                          tmp_path, status,
                                                                          says):
    number = f"S01-WEB-0002{len(status):02d}"
    _pull_online(shop, number, status=status)
    out = tmp_path / "l.pdf"
    code, _, err = run(capsys, shop, "label", number, "--weight", "500", "--out", str(out))
    assert code == 1 and says in err and not out.exists()
    store = opened(shop)
    try:
        with store.read() as s:
            assert s.scalar(select(Shipment).where(
                Shipment.remote_order_id == f"web-{number}")) is None
    finally:
        store.close()
