"""Stock counts: start one (the whole store or a category), print its sheet, enter what is
on the shelf (scan or type the code, then the quantity), read the variance report (expected,
counted, difference and its value at cost), then post it or cancel it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.back_office.stock import counts, levels
from app.back_office.stock.count_sheet import render_count_sheet
from app.back_office.stock.quantities import shown
from app.domain.permissions import Permission
from app.printing.documents import printer_for
from ui.back_office.context import PageContext
from ui.back_office.stock.common import paged_table, read, reason, write
from ui.till.entry_fields import MessageLabel

REPORT_COLUMNS = ("SKU", "Item", "Expected", "Counted", "Difference", "Value at cost",
                  "Moved since start")


def _start(session, *, staff_id: str, category_id: str | None) -> str:  # noqa: ANN001
    return counts.start_count(session, staff_id=staff_id, category_id=category_id).id


def _enter(session, *, staff_id: str, count_id: str, code: str, counted: str) -> str:  # noqa: ANN001
    variant_id = counts.variant_for_code(session, count_id, code)
    counts.enter_counts(session, staff_id=staff_id, count_id=count_id,
                        counted={variant_id: counted})
    return variant_id


class CountsTab(QWidget):
    """``started(str)``, ``entered(str)`` (a variant's id), ``reported(object)`` (the
    ``VarianceReport``), ``finished(str)`` (posted or cancelled), ``refused(str)``."""

    started = Signal(str)
    entered = Signal(str)
    reported = Signal(object)
    finished = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        may_write = context.user.may(Permission.STOCK_WRITE)
        self.scope = QComboBox()
        self.scope.setObjectName("stockCountScope")
        self.scope.addItem("All products", None)
        self.start_button = QPushButton("Start a count")
        self.start_button.setObjectName("stockCountStart")
        self.start_button.clicked.connect(self.start)
        self.open = QComboBox()
        self.open.setObjectName("stockCountOpen")
        self.open.currentIndexChanged.connect(self._open_chosen)
        top = QHBoxLayout()
        top.addWidget(QLabel("Count"))
        top.addWidget(self.scope, 1)
        top.addWidget(self.start_button)
        top.addWidget(QLabel("Open counts"))
        top.addWidget(self.open, 2)
        self.uncounted = QCheckBox("Not counted yet only")
        self.uncounted.setObjectName("stockCountUncounted")
        self.uncounted.toggled.connect(self._lines_source)
        self.lines, self.lines_model = paged_table(context, counts.CountLinesSource(""), self,
                                                   "stockCountLines")
        self.code = QLineEdit()
        self.code.setObjectName("stockCountCode")
        self.code.setPlaceholderText("Scan or type the barcode / SKU")
        self.code.returnPressed.connect(lambda: self.counted.setFocus())
        self.counted = QLineEdit()
        self.counted.setObjectName("stockCountCounted")
        self.counted.setPlaceholderText("On the shelf")
        self.counted.returnPressed.connect(self.enter)
        entry = QHBoxLayout()
        entry.addWidget(self.code, 2)
        entry.addWidget(self.counted, 1)
        self.enter_button = QPushButton("Enter")
        self.enter_button.setObjectName("stockCountEnter")
        self.enter_button.clicked.connect(self.enter)
        entry.addWidget(self.enter_button)
        self.sheet_button = QPushButton("Print count sheet")
        self.sheet_button.setObjectName("stockCountSheet")
        self.sheet_button.clicked.connect(self.print_sheet)
        self.sheet_button.setEnabled(context.printing is not None)
        self.report_button = QPushButton("Variance report")
        self.report_button.setObjectName("stockCountReport")
        self.report_button.clicked.connect(self.report)
        self.post_button = QPushButton("Post the count")
        self.post_button.setObjectName("stockCountPost")
        self.post_button.clicked.connect(self.post)
        self.cancel_button = QPushButton("Cancel the count")
        self.cancel_button.setObjectName("stockCountCancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        for button in (self.sheet_button, self.report_button, self.post_button,
                       self.cancel_button):
            buttons.addWidget(button)
        self.summary = QLabel("")
        self.summary.setObjectName("stockCountSummary")
        self.variance = QTableWidget(0, len(REPORT_COLUMNS))
        self.variance.setObjectName("stockCountVariance")
        self.variance.setHorizontalHeaderLabels(REPORT_COLUMNS)
        self.message = MessageLabel("stockCountMessage")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.uncounted)
        layout.addWidget(self.lines, 2)
        self._entry = QWidget()
        self._entry.setLayout(entry)
        layout.addWidget(self._entry)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.variance, 1)
        layout.addWidget(self.message)
        if not may_write:
            for widget in (self.start_button, self.scope, self._entry, self.post_button,
                           self.cancel_button):
                widget.hide()
        read(context, self, "stock: categories", levels.category_choices, self._categories,
             lambda _e: None)
        self.reload_open()

    @property
    def count_id(self) -> str | None:
        return self.open.currentData()

    def _categories(self, choices: list[tuple[str, str]]) -> None:
        for cid, path in choices:
            self.scope.addItem(path, cid)

    def reload_open(self, choose: str | None = None) -> None:
        read(self.context, self, "stock: open counts", counts.open_counts,
             lambda found: self._fill_open(found, choose), self._refused)

    def _fill_open(self, found: list[tuple[str, str]], choose: str | None) -> None:
        self.open.blockSignals(True)
        self.open.clear()
        for cid, title in found:
            self.open.addItem(title, cid)
        if choose is not None and self.open.findData(choose) >= 0:
            self.open.setCurrentIndex(self.open.findData(choose))
        self.open.blockSignals(False)
        self._open_chosen()

    def _open_chosen(self) -> None:
        has = self.count_id is not None
        for widget in (self._entry, self.sheet_button, self.report_button, self.post_button,
                       self.cancel_button):
            widget.setEnabled(has and (widget is not self.sheet_button
                                       or self.context.printing is not None))
        self.variance.setRowCount(0)
        self.summary.setText("")
        self._lines_source()

    def _lines_source(self) -> None:
        self.lines_model.set_source(counts.CountLinesSource(
            self.count_id or "", uncounted_only=self.uncounted.isChecked()))

    # -- actions -----------------------------------------------------------------------------
    def start(self) -> None:
        write(self.context, self, "stock: start count", _start, self._started, self._refused,
              category_id=self.scope.currentData())

    def _started(self, count_id: str) -> None:
        self.message.show_message("Count started: its expected figures are today's levels.")
        self.reload_open(choose=count_id)
        self.started.emit(count_id)

    def enter(self) -> None:
        if self.count_id is None:
            return
        write(self.context, self, "stock: enter count", _enter, self._entered, self._refused,
              count_id=self.count_id, code=self.code.text(), counted=self.counted.text())

    def _entered(self, variant_id: str) -> None:
        self.code.clear()
        self.counted.clear()
        self.code.setFocus()
        self.message.show_message("Entered.")
        self.lines_model.refresh()
        self.entered.emit(variant_id)

    def report(self) -> None:
        if self.count_id is not None:
            read(self.context, self, "stock: variance", counts.variance_report, self._report,
                 self._refused, self.count_id)

    def _report(self, report: counts.VarianceReport) -> None:
        self.summary.setText(
            f"{report.scope}: {report.counted} of {report.total_lines} counted; "
            f"{len(report.lines)} differ, worth {report.shown_value(report.total_value)} "
            f"{report.currency} at cost. Lines not counted are left as they are.")
        self.variance.setRowCount(len(report.lines))
        for row, line in enumerate(report.lines):
            weighed = line.by_weight
            cells = (line.sku, line.name, shown(line.expected_milli, by_weight=weighed),
                     shown(line.counted_milli, by_weight=weighed),
                     shown(line.difference_milli, by_weight=weighed, signed=True),
                     report.shown_value(line.value),
                     shown(line.moved_since_milli, by_weight=weighed, signed=True)
                     if line.moved_since_milli else "")
            for column, text in enumerate(cells):
                self.variance.setItem(row, column, QTableWidgetItem(text))
        self.reported.emit(report)

    def post(self) -> None:
        if self.count_id is not None:
            write(self.context, self, "stock: post count", counts.post_count,
                  lambda moved: self._finished(f"Posted: {len(moved)} level(s) corrected."),
                  self._refused, count_id=self.count_id)

    def cancel(self) -> None:
        if self.count_id is not None:
            write(self.context, self, "stock: cancel count", counts.cancel_count,
                  lambda _none: self._finished("Cancelled: nothing was posted."),
                  self._refused, count_id=self.count_id)

    def _finished(self, words: str) -> None:
        self.message.show_message(words)
        self.reload_open()
        self.finished.emit(words)

    def print_sheet(self) -> None:
        printing, count_id = self.context.printing, self.count_id
        if printing is None or count_id is None:
            return
        paper = self.context.settings.get("invoice.paper") if self.context.settings else "A4"
        read(self.context, self, "stock: count sheet",
             lambda session, cid: render_count_sheet(session, cid, paper=paper or "A4"),
             lambda pdf: printing.submit(printer_for("stock_sheet", self.context.settings),
                                         "stock_sheet", count_id, pdf, owner=self,
                                         on_queued=lambda _job: self.message.show_message(
                                             "The count sheet is printing.")),
             self._refused, count_id)

    def _refused(self, error: BaseException) -> None:
        self.message.show_message(reason(error))
        self.refused.emit(reason(error))
