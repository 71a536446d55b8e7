"""The printer chooser and the print preview, offscreen with the real task runner: printers are
listed off the UI thread and saved per document kind (a malformed ESC/POS printer refused,
nothing written); the preview shows the document with QtPdf, prints it, and saves it as PDF."""

from __future__ import annotations

import time

import pytest

from app.config.settings import Settings
from tests.support import pdf
from tests.ui.printing.conftest import WAIT_MS
from ui.printing.chooser import DEFAULT_TEXT, PrinterChooser, system_printers
from ui.printing.preview import PrintPreview

PRINTERS = ["Office_Laser", "Zebra_ZD421"]


def slow_printers() -> list[str]:
    time.sleep(0.2)  # CUPS can take a while to answer: the dialog must not wait for it
    return list(PRINTERS)


@pytest.fixture
def chooser(qtbot, runner, settings):
    settings.set("printer.receipt", "escpos:net:10.0.0.7")
    started = time.monotonic()
    dialog = PrinterChooser(runner, settings, list_printers=slow_printers)
    assert time.monotonic() - started < 0.15  # the listing runs on the I/O pool
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.combos["printer.label"].count() == 3, timeout=WAIT_MS)
    return dialog


def test_the_system_printers_and_the_current_choice_are_offered(chooser):
    receipt = chooser.combos["printer.receipt"]
    assert [receipt.itemText(i) for i in range(receipt.count())] == [
        DEFAULT_TEXT, "escpos:net:10.0.0.7", *PRINTERS]
    assert receipt.currentText() == "escpos:net:10.0.0.7"
    assert chooser.combos["printer.invoice"].currentText() == DEFAULT_TEXT
    assert "2 printer(s)" in chooser.status.text()
    assert isinstance(system_printers(), list)  # offscreen: usually none, never an error


def test_each_kind_of_document_gets_its_printer_saved(qtbot, chooser, settings):
    chooser.combos["printer.receipt"].setEditText("escpos:usb:04b8:0202")
    chooser.combos["printer.invoice"].setCurrentIndex(
        chooser.combos["printer.invoice"].findText("Office_Laser"))
    chooser.combos["printer.label"].setCurrentIndex(
        chooser.combos["printer.label"].findText("Zebra_ZD421"))
    with qtbot.waitSignal(chooser.saved, timeout=WAIT_MS) as saved:
        chooser.save()
    assert saved.args == [{"printer.receipt": "escpos:usb:04b8:0202",
                           "printer.invoice": "Office_Laser", "printer.label": "Zebra_ZD421"}]
    again = Settings(settings.path)  # as the next start reads it
    assert [again.get(k) for k in ("printer.receipt", "printer.invoice", "printer.label")] == [
        "escpos:usb:04b8:0202", "Office_Laser", "Zebra_ZD421"]


def test_a_malformed_escpos_printer_is_refused_and_nothing_is_saved(qtbot, chooser, settings):
    before = settings.path.read_bytes()
    chooser.combos["printer.invoice"].setCurrentIndex(
        chooser.combos["printer.invoice"].findText("Office_Laser"))
    chooser.combos["printer.label"].setEditText("escpos:net:")
    chooser.save()
    qtbot.waitUntil(lambda: "printer.label:" in chooser.status.text(), timeout=WAIT_MS)
    assert "is not an ESC/POS printer" in chooser.status.text()
    assert settings.path.read_bytes() == before and chooser.buttons.isEnabled()


def test_system_default_saves_as_empty(qtbot, chooser, settings):
    chooser.combos["printer.receipt"].setCurrentIndex(0)
    with qtbot.waitSignal(chooser.saved, timeout=WAIT_MS):
        chooser.save()
    assert Settings(settings.path).get("printer.receipt") == ""


# -- preview -----------------------------------------------------------------------------------
def test_the_preview_shows_the_document_and_prints_it(qtbot, runner, sale):
    sent: list[bool] = []
    preview = PrintPreview(sale["pdf"], f"Receipt {sale['number']}", runner,
                           on_print=lambda: sent.append(True), printer_name="escpos:net:10.0.0.7")
    qtbot.addWidget(preview)
    assert preview.pages == 1 and preview.view.document() is preview.document
    assert preview.print_button.text() == "Print on escpos:net:10.0.0.7"
    assert sale["number"] in preview.document.getAllText(0).text()
    preview.print_button.click()
    assert sent == [True] and preview.result() == PrintPreview.DialogCode.Accepted


def test_save_as_pdf_is_always_there_and_writes_off_the_ui_thread(qtbot, runner, sale, tmp_path):
    preview = PrintPreview(sale["pdf"], "Receipt", runner)  # no printer at all
    qtbot.addWidget(preview)
    assert preview.print_button.isHidden() and not preview.save_button.isHidden()
    target = tmp_path / "saved.pdf"
    with qtbot.waitSignal(preview.saved, timeout=WAIT_MS) as saved:
        preview.save_to(target)
    assert saved.args == [str(target)] and target.read_bytes() == sale["pdf"]
    assert pdf.load(target.read_bytes()).pages == 1
    preview.save_to(tmp_path / "missing" / "saved.pdf")
    qtbot.waitUntil(lambda: preview.status.text().startswith("Not saved"), timeout=WAIT_MS)
    assert "No such file" in preview.status.text() and preview.save_button.isEnabled()
