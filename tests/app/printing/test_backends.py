"""Printer backends, each against something real: ESC/POS bytes written to a device file and
read back into the image the printer would print (its barcode decoded with zxing-cpp), a network
receipt printer on a local socket that answers status queries like one (offline, out of paper,
paper running out mid-job), a folder, and CUPS's ``lp`` command (a stand-in script where CUPS is
not installed: the test needs what ``lp`` is handed, not a print)."""

from __future__ import annotations

import socket
import stat
import sys
import threading
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageOps
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from app.devices.drawer import PULSE
from app.domain.errors import InvalidInput
from app.domain.tenders import TenderMethod
from app.printing import escpos_backend
from app.printing.backends import (OFFLINE, OUT_OF_PAPER, CupsBackend, FileBackend, PrinterError,
                                   backend_for)
from app.printing.escpos_backend import EscPosBackend, parse_target
from app.printing.raster import rasterise
from app.printing.receipt import render_receipt
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.receipt_code import receipt_code
from app.setup import initialise
from db.engine import LocalStore
from tests.support import catalog

INIT, CUT, FEED = b"\x1b@", b"\x1dV\x00", b"\x1bd\x06"
OK = 0x12  # a status byte with nothing to report


@pytest.fixture(scope="module")
def sale(tmp_path_factory):
    """A real sale and its receipt, as both roll widths draw it (once for the module: the
    backends only read the PDFs)."""
    store = LocalStore.open(tmp_path_factory.mktemp("backends") / "tillpoint.sqlite3")
    try:
        with store.write() as s:
            initialise(s, store_name="Test Shop", currency="EUR")
        with store.write() as s:
            cashier = catalog.staff(s)
            tea = catalog.product(s, "Earl Grey · Чай · Τσάι", 450, stock_milli=10_000)
            cart = Cart()
            cart.add(tea.id, 2000)
            order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                             staff_id=cashier.id)
            order_id, code = order.id, receipt_code(order.id, order.number)
        with store.read() as s:
            pdfs = {width: render_receipt(s, order_id, width=width, footer="Thank you")
                    for width in ("80mm", "58mm")}
    finally:
        store.close()
    return {"code": code, "pdf": pdfs}


def device(tmp_path: Path) -> Path:
    """A device file as the printer's driver would offer it (it exists before anyone writes)."""
    path = tmp_path / "lp0"
    path.write_bytes(b"")
    return path


def raster_images(data: bytes) -> list[Image.Image]:
    """Every ``GS v 0`` image in an ESC/POS stream, as ink-on-paper pictures."""
    images, at = [], 0
    while (at := data.find(b"\x1dv0", at)) >= 0:
        width_bytes = data[at + 4] | data[at + 5] << 8
        rows = data[at + 6] | data[at + 7] << 8
        body = data[at + 8:at + 8 + width_bytes * rows]
        images.append(ImageOps.invert(Image.frombytes("1", (width_bytes * 8, rows), body)
                                      .convert("L")))
        at += 8 + len(body)
    return images


def stacked(images: list[Image.Image]) -> Image.Image:
    sheet = Image.new("L", (images[0].width, sum(i.height for i in images)), 255)
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height
    return sheet


# -- ESC/POS on a device file ------------------------------------------------------------------
@pytest.mark.parametrize("width, dots", [("80mm", 576), ("58mm", 384)])
def test_escpos_to_a_device_file_prints_the_receipt_as_a_raster_then_cuts(
        sale, tmp_path, width, dots):
    path = device(tmp_path)
    printer = EscPosBackend(f"escpos:file:{path}", width=width)
    printer.print_pdf(sale["pdf"][width], "Receipt")
    data = path.read_bytes()

    assert data.startswith(INIT + b"\x1dv0\x00")  # reset, then the first raster band
    assert data.endswith(FEED + CUT)
    images = raster_images(data)
    assert {image.width for image in images} == {dots}  # the head's width: margins cut off
    assert all(image.height <= escpos_backend.FRAGMENT_ROWS for image in images)
    receipt = stacked(images)
    found = [(b.format.name, b.text) for b in zxingcpp.read_barcodes(receipt)]
    assert found == [("Code128", sale["code"])]  # scanned off the printed dots, at 203 dpi
    assert len(data) == len(INIT) + sum(8 + i.width // 8 * i.height for i in images) + 6


def test_the_drawer_kick_is_its_pulse_after_the_receipt(sale, tmp_path):
    path = device(tmp_path)
    printer = EscPosBackend(f"escpos:file:{path}")
    printer.print_pdf(sale["pdf"]["80mm"], "Receipt")
    printer.kick_drawer()
    data = path.read_bytes()
    assert data.endswith(CUT + PULSE) and data.count(PULSE) == 1


def test_an_unplugged_printer_is_offline_and_leaves_no_stray_file(sale, tmp_path):
    missing = tmp_path / "usb" / "lp0"
    with pytest.raises(PrinterError) as error:
        EscPosBackend(f"escpos:file:{missing}").print_pdf(sale["pdf"]["80mm"], "Receipt")
    assert error.value.reason == OFFLINE and "No such file" in str(error.value)
    with pytest.raises(PrinterError, match="printer offline"):
        EscPosBackend(f"escpos:file:{tmp_path / 'lp9'}").kick_drawer()
    assert not (tmp_path / "lp9").exists()


def test_a_document_that_is_no_pdf_never_reaches_the_printer(tmp_path):
    path = device(tmp_path)
    with pytest.raises(InvalidInput) as error:
        EscPosBackend(f"escpos:file:{path}").print_pdf(b"hello", "x")
    assert error.value.field == "pdf" and path.read_bytes() == b""


@pytest.mark.parametrize("target", ["escpos:", "escpos:net:", "escpos:net:host:70000",
                                    "escpos:usb:04b8", "escpos:usb:zz:12", "escpos:usb:0:0",
                                    "escpos:bluetooth:x", "escpos:file:"])
def test_malformed_targets_are_refused_naming_the_printer(target):
    with pytest.raises(InvalidInput) as error:
        parse_target(target)
    assert error.value.field == "printer" and "escpos:net:HOST" in str(error.value)


def test_targets_parse_to_what_they_name():
    assert parse_target("escpos:usb:04b8:0x0202") == escpos_backend.Target(
        "usb", vendor=0x04B8, product=0x0202)
    assert str(parse_target("escpos:net:10.0.0.7")) == "10.0.0.7:9100"
    assert str(parse_target("escpos:net:till-printer.local:9101")) == "till-printer.local:9101"
    assert parse_target("escpos:file:/dev/usb/lp0").path == "/dev/usb/lp0"
    with pytest.raises(InvalidInput, match="receipt width"):
        EscPosBackend("escpos:file:/dev/null", width="110mm")


@pytest.mark.skipif(escpos_backend.Usb.is_usable(), reason="pyusb is installed here")
def test_usb_without_pyusb_says_what_is_missing(sale):
    with pytest.raises(PrinterError, match="pyusb"):
        EscPosBackend("escpos:usb:04b8:0202").print_pdf(sale["pdf"]["80mm"], "Receipt")


def test_a_page_wider_than_the_head_is_scaled_down_never_cut(tmp_path):
    sheet = tmp_path / "a4.pdf"
    canvas = Canvas(str(sheet), pagesize=A4)
    canvas.rect(10, 10, A4[0] - 20, A4[1] - 20, fill=1)  # ink almost to the edges
    canvas.save()
    (page,) = rasterise(sheet.read_bytes(), dots=576)
    assert page.width == 576 and abs(page.height - 576 * A4[1] / A4[0]) <= 1
    left, _top, right, _bottom = ImageOps.invert(page.convert("L")).getbbox()
    assert abs(left - 10 * 576 / A4[0]) <= 1 and abs(right - 576 * (1 - 10 / A4[0])) <= 1


# -- ESC/POS over the network ------------------------------------------------------------------
class NetworkPrinter:
    """A receipt printer's raw port (9100) on 127.0.0.1: keeps every byte it is sent and answers
    ``DLE EOT n`` (online 1, offline cause 2, paper 4) with the status it is given, the paper
    status changing once ``paper_out_after`` bytes have come in. A query is recognised when it
    ends what arrived, as the client then waits for the answer."""

    def __init__(self, *, online: int = OK, cause: int = OK, paper: int = OK,
                 answers: bool = True, paper_out_after: int | None = None) -> None:
        self.status = {1: online, 2: cause, 4: paper}
        self.answers, self.paper_out_after = answers, paper_out_after
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    self.received += chunk
                    if self.paper_out_after and len(self.received) > self.paper_out_after:
                        self.status[4] = 0x72
                    if self.answers and len(chunk) >= 3 and chunk[-3:-1] == b"\x10\x04":
                        conn.sendall(bytes((self.status.get(chunk[-1], OK),)))

    @property
    def target(self) -> str:
        return f"escpos:net:127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def network_printer():
    printers: list[NetworkPrinter] = []

    def make(**status: int) -> NetworkPrinter:
        printers.append(NetworkPrinter(**status))
        return printers[-1]

    yield make
    for printer in printers:
        printer.close()


def wait_for(predicate, seconds: float = 5.0) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_network_printer_is_asked_before_and_after_and_gets_the_receipt(
        sale, network_printer):
    printer = network_printer(paper=0x1E)  # near the end of the roll: prints, with a warning
    backend = EscPosBackend(printer.target)
    backend.print_pdf(sale["pdf"]["80mm"], "Receipt")
    wait_for(lambda: bytes(printer.received).endswith(b"\x10\x04\x04"))
    data = bytes(printer.received)
    assert data.startswith(b"\x10\x04\x01\x10\x04\x04" + INIT)
    assert FEED + CUT + b"\x10\x04\x01\x10\x04\x04" in data
    found = [b.text for b in zxingcpp.read_barcodes(stacked(raster_images(data)))]
    assert found == [sale["code"]] and backend.warning == "paper running low"


@pytest.mark.parametrize("status, reason, detail", [
    ({"paper": 0x72}, OUT_OF_PAPER, ""),
    ({"online": 0x1A, "cause": 0x16}, OFFLINE, "cover open"),
    ({"online": 0x1A, "cause": 0x32}, OUT_OF_PAPER, ""),
])
def test_a_printer_that_cannot_print_says_why_in_words_and_gets_nothing(
        sale, network_printer, status, reason, detail):
    printer = network_printer(**status)
    with pytest.raises(PrinterError) as error:
        EscPosBackend(printer.target).print_pdf(sale["pdf"]["80mm"], "Receipt")
    assert error.value.reason == reason and detail in str(error.value)
    assert INIT not in bytes(printer.received)  # not a dot of it was sent


def test_paper_running_out_mid_job_fails_the_job(sale, network_printer):
    printer = network_printer(paper_out_after=2000)
    with pytest.raises(PrinterError) as error:
        EscPosBackend(printer.target).print_pdf(sale["pdf"]["80mm"], "Receipt")
    assert error.value.reason == OUT_OF_PAPER


def test_a_printer_that_never_answers_status_is_printed_to(sale, network_printer, monkeypatch):
    monkeypatch.setattr(escpos_backend, "STATUS_TIMEOUT_SECONDS", 0.05)
    printer = network_printer(answers=False)
    EscPosBackend(printer.target).print_pdf(sale["pdf"]["58mm"], "Receipt")
    wait_for(lambda: bytes(printer.received).endswith(CUT + b"\x10\x04\x01"))
    assert INIT + b"\x1dv0" in bytes(printer.received)


def test_a_printer_that_is_switched_off_is_offline():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(PrinterError) as error:
        EscPosBackend(f"escpos:net:127.0.0.1:{port}").kick_drawer()
    assert error.value.reason == OFFLINE and "Connection refused" in str(error.value)


# -- a folder, CUPS, and which is which --------------------------------------------------------
def test_a_folder_keeps_every_copy(sale, tmp_path):
    folder = FileBackend(tmp_path / "out")
    folder.print_pdf(sale["pdf"]["80mm"], "Receipt S01/R01 000001")
    first = folder.last_path
    folder.print_pdf(sale["pdf"]["58mm"], "Receipt S01/R01 000001")
    assert first.name == "Receipt_S01_R01_000001.pdf"
    assert folder.last_path.name == "Receipt_S01_R01_000001-2.pdf"
    assert first.read_bytes() == sale["pdf"]["80mm"]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind


def test_a_folders_documents_are_readable_by_all(sale, tmp_path):
    folder = FileBackend(tmp_path / "out")
    folder.print_pdf(sale["pdf"]["80mm"], "Receipt")
    assert stat.S_IMODE(folder.last_path.stat().st_mode) == 0o644


def test_a_folder_that_cannot_be_written_is_said_in_words(sale, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(PrinterError, match="cannot save to"):
        FileBackend(blocker).print_pdf(sale["pdf"]["80mm"], "Receipt")


def stand_in_lp(tmp_path: Path, *, exit_code: int = 0, stderr: str = "") -> Path:
    script = tmp_path / "lp"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"here = pathlib.Path({str(tmp_path)!r})\n"
        "(here / 'argv').write_text('\\n'.join(sys.argv[1:]))\n"
        "(here / 'stdin.pdf').write_bytes(sys.stdin.buffer.read())\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_cups_gets_the_pdf_on_standard_input_for_the_named_queue(sale, tmp_path):
    lp = stand_in_lp(tmp_path)
    CupsBackend("Office_Laser", command=str(lp)).print_pdf(sale["pdf"]["80mm"], "Invoice 7")
    assert (tmp_path / "argv").read_text().split("\n") == ["-d", "Office_Laser", "-t",
                                                           "Invoice 7", "-"]
    assert (tmp_path / "stdin.pdf").read_bytes() == sale["pdf"]["80mm"]


@pytest.mark.parametrize("stderr, words", [
    ("lp: The printer or class does not exist.", "Office_Laser is not set up"),
    ("lp: Destination \"Office_Laser\" is not accepting jobs.", OFFLINE),
    ("lp: Unable to connect to server: Connection refused", "CUPS) is not running"),
    ("lp: something else", "refused the job"),
])
def test_what_lp_refuses_is_said_in_words(sale, tmp_path, stderr, words):
    lp = stand_in_lp(tmp_path, exit_code=1, stderr=stderr)
    with pytest.raises(PrinterError, match=words.replace("(", r"\(").replace(")", r"\)")):
        CupsBackend("Office_Laser", command=str(lp)).print_pdf(sale["pdf"]["80mm"], "x")


def test_without_cups_the_error_says_so(sale, tmp_path):
    with pytest.raises(PrinterError, match="CUPS is not installed"):
        CupsBackend("x", command=str(tmp_path / "no-lp")).print_pdf(sale["pdf"]["80mm"], "x")


def test_a_printer_name_picks_its_backend(tmp_path):
    assert isinstance(backend_for("escpos:file:/dev/usb/lp0", width="58mm"), EscPosBackend)
    assert backend_for("escpos:file:/dev/usb/lp0", width="58mm").dots == 384
    assert backend_for(f"file:{tmp_path}").directory == tmp_path
    assert backend_for("cups:Office").name == "Office"
    assert isinstance(backend_for("Office"), CupsBackend)
    assert backend_for("", system=lambda name: ("system", name)) == ("system", "")
    with pytest.raises(InvalidInput):
        backend_for("escpos:serial:/dev/ttyS0")
