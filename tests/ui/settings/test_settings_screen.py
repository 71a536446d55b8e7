"""Settings › Printers with the real task runner, store and print worker, offscreen: a printer
per kind of document saved, a test page previewed with QtPdf and printed on the printer chosen
(saved or not yet), the documents that did not print listed with Retry and Discard, and the
screen in the real window in place of its placeholder, sharing the till's print worker."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from PySide6.QtWidgets import QPushButton

from app.config.settings import Settings
from app.printing.queue import PrintQueue
from app.printing.sample_page import page_code, render_test_page
from tests.support import pdf
from ui.printing.worker import PrintWorker
from ui.settings.screen import SettingsScreen

WAIT_MS = 10_000
#: the offscreen platform cannot pass a top-level's size hints on; nothing to do with us
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")
PRINTERS = ["Office_Laser", "Zebra_ZD421"]


def slow_printers() -> list[str]:
    time.sleep(0.2)  # CUPS can take a while to answer: the screen must not wait for it
    return list(PRINTERS)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "settings.toml")


@pytest.fixture
def worker(qtbot, runner, store, settings) -> PrintWorker:
    started = PrintWorker(runner, store, settings)
    with qtbot.waitSignal(started.started, timeout=WAIT_MS):
        started.start()
    return started


@pytest.fixture
def screen(qtbot, runner, settings, worker) -> SettingsScreen:
    began = time.monotonic()
    widget = SettingsScreen(runner, settings, worker, list_printers=slow_printers)
    assert time.monotonic() - began < 0.15  # the printers are listed on the I/O pool
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    combos = widget.printers.choices.combos
    qtbot.waitUntil(lambda: combos["printer.label"].count() == 3, timeout=WAIT_MS)
    return widget


def test_each_kind_of_document_gets_its_printer_and_a_test_page_button(qtbot, screen, settings):
    section = screen.printers
    combos = section.choices.combos
    assert screen.accessibleName() == "Settings" and set(section.test_buttons) == {
        "receipt", "invoice", "label"}
    combos["printer.receipt"].setEditText("escpos:net:10.0.0.7")
    combos["printer.label"].setCurrentIndex(combos["printer.label"].findText("Zebra_ZD421"))
    with qtbot.waitSignal(section.choices.saved, timeout=WAIT_MS) as saved:
        section.choices.buttons.button(section.choices.buttons.StandardButton.Save).click()
    assert saved.args[0] == {"printer.receipt": "escpos:net:10.0.0.7", "printer.invoice": "",
                             "printer.label": "Zebra_ZD421"}
    assert Settings(settings.path).get("printer.label") == "Zebra_ZD421"
    assert section.choices.isVisible()  # the screen stays; only a dialog would close


def test_a_test_page_is_previewed_then_printed_on_the_printer_chosen(qtbot, screen, settings,
                                                                     tmp_path):
    settings.set("invoice.paper", "Letter")
    section = screen.printers
    folder = tmp_path / "tests"
    section.choices.combos["printer.invoice"].setEditText(f"file:{folder}")  # not saved yet
    section.test_buttons["invoice"].click()
    qtbot.waitUntil(lambda: section.preview is not None and section.preview.isVisible(),
                    timeout=WAIT_MS)
    preview = section.preview
    assert preview.pages == 1 and preview.print_button.text() == f"Print on file:{folder}"
    assert f"Invoices on file:{folder}" in preview.document.getAllText(0).text()
    preview.print_button.click()
    qtbot.waitUntil(lambda: section.test_status.text().startswith("Test page printed"),
                    timeout=WAIT_MS)
    (printed,) = folder.glob("*.pdf")
    assert str(printed) in section.test_status.text()
    page = pdf.load(printed.read_bytes())
    assert [round(v) for v in page.size_mm()] == [216, 279]  # Letter, as the setting says
    (code,) = [value for kind, value in pdf.barcodes(page.render(0, dpi=200))
               if kind == "Code128"]
    assert code.startswith("TP") and pdf.ink_beyond_page(printed.read_bytes()) == []


@pytest.mark.parametrize("width", ["58mm", "80mm"])
def test_the_receipt_test_page_keeps_inside_the_print_head_and_scans(width):
    now = datetime(2024, 5, 1, 9, 30)
    drawn = render_test_page("receipt", printer="Ελληνικά Thermal", now=now, width=width)
    page = pdf.load(drawn)
    paper, head = (58, 48) if width == "58mm" else (80, 72)
    pdf.assert_inside_print_width(page, paper, head)
    assert pdf.barcodes(page.render(0)) == [("Code128", page_code(now))]
    assert "Receipts on Ελληνικά Thermal" in page.text() and "Кириллица" in page.text()
    assert pdf.ink_beyond_page(drawn) == []


def test_what_did_not_print_is_listed_with_retry_and_discard(qtbot, screen, worker, store,
                                                             tmp_path):
    section = screen.printers
    qtbot.waitUntil(section.all_printed.isVisible, timeout=WAIT_MS)
    device = tmp_path / "lp0"
    page = render_test_page("label", printer="x", now=datetime(2024, 5, 1))
    gone_device = tmp_path / "gone"
    for ref in ("first", "second"):
        worker.submit(f"escpos:file:{device}", "test_page", ref, page)
        worker.submit(f"escpos:file:{gone_device}", "test_page", f"gone {ref}", page)
    qtbot.waitUntil(lambda: len(section.problems.rows) == 2, timeout=WAIT_MS)
    assert not section.all_printed.isVisible()
    queue = PrintQueue(store, recover=False)
    by_printer = {job.printer: job for job in queue.jobs(status="failed")}
    gone = by_printer[f"escpos:file:{gone_device}"]

    device.write_bytes(b"")  # plugged in: Retry prints the job and the one waiting behind it
    section.problems.rows[by_printer[f"escpos:file:{device}"].id].findChild(
        QPushButton, "retry").click()
    qtbot.waitUntil(lambda: len(queue.jobs(status="done")) == 2, timeout=WAIT_MS)
    assert [job.document_ref for job in queue.jobs(status="done")] == ["first", "second"]
    assert device.read_bytes().count(b"\x1b@") == 2
    qtbot.waitUntil(lambda: list(section.problems.rows) == [gone.id], timeout=WAIT_MS)

    gone_device.write_bytes(b"")
    # discarded: the one waiting behind it on that printer is not left waiting for ever
    section.problems.rows[gone.id].findChild(QPushButton, "discard").click()
    qtbot.waitUntil(lambda: [job.document_ref for job in queue.jobs(status="done")][-1:]
                    == ["gone second"], timeout=WAIT_MS)
    qtbot.waitUntil(section.all_printed.isVisible, timeout=WAIT_MS)
    assert gone.id not in {job.id for job in queue.jobs()}


def test_the_window_prints_through_one_worker_and_settings_live_in_the_back_office(
        qtbot, shop, runner):
    from ui.app import build_window
    from ui.printing.problems import PrintProblems

    window = build_window(shop, runner)
    qtbot.addWidget(window)
    with pytest.raises(ValueError):
        window.screen("settings")  # no screen of its own: a page of the back office
    back_office = window.screen("back_office")
    till = window.screen("till")
    assert till.payment_page.receipts.worker is back_office._printing
    assert isinstance(till.print_problems, PrintProblems)
    assert till.layout().indexOf(till.print_problems) == till.layout().indexOf(
        till.cards_taken) + 1
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
