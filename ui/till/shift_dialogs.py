"""Opening a shift with a float, cash in/out with a reason, closing with a count (then the
Z-report). Each dialog only collects text and hands it to the register; the register refuses
bad input with a message that shows under the field it names, and the dialog stays open."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QStackedWidget, QVBoxLayout, QWidget)
from shiboken6 import isValid

from app.domain.errors import DomainError
from app.till import ApprovalNeeded
from app.till.views import ShiftView, ZReport
from app.till.zreport import count_preview
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MIN_TOUCH, AmountField, MessageLabel, describe, touch_button
from ui.till.zreport_view import ZReportView


class TillDialog(QDialog):
    """A dialog of the till: window-modal, opened with ``open()`` (the event loop never waits on
    it), Esc closes it, and while a call it made is out its buttons stay disabled."""

    def __init__(self, name: str, title: str, controller: TillController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._action_buttons: list[QWidget] = []
        self._waiting = InFlight(self._set_waiting)
        #: what each field the service may name is called here (its refusals read "Amount: …")
        self.captions: dict[str, str] = {"amount": "Amount", "reason": "Reason"}

    def submit(self, method: str, *args: Any, on_done: Callable[[Any], None],
               message: MessageLabel,
               on_refused: Callable[[DomainError], None] | None = None, **kwargs: Any) -> None:
        """Run ``method`` once (a second Enter while it is out does nothing); a refusal shows
        in ``message`` and the dialog stays open."""
        if self._waiting.busy:
            return
        message.show_message("")

        def refused(error: DomainError) -> None:
            if not isinstance(error, ApprovalNeeded):  # the approval dialog takes it from here
                message.show_message(describe(error, self.captions))
            if on_refused is not None:
                on_refused(error)
        self._waiting.run(self._controller, method, *args, on_done=self.alive(on_done),
                          on_error=self.alive(refused), **kwargs)

    def alive(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """``callback`` unless this dialog was closed and deleted before the answer came."""
        def guarded(value: Any) -> None:
            if isValid(self):
                callback(value)
        return guarded

    def _set_waiting(self, waiting: bool) -> None:
        for button in self._action_buttons:
            button.setEnabled(not waiting)

    def _buttons(self, *buttons: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        return row

    def _cancel_button(self) -> QWidget:
        button = touch_button(f"{self.objectName()}Cancel", "Cancel (Esc)", "Cancel")
        button.clicked.connect(self.reject)
        return button


class OpenShiftDialog(TillDialog):
    """``floatField``: the cash in the drawer at the start; Enter opens the shift."""

    opened = Signal(object)  # ShiftView

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__("openShiftDialog", "Open shift", controller, parent)
        self.captions["float"] = "Opening float"
        self.message = MessageLabel("floatMessage")
        self.float_field = AmountField("floatField", "Opening float", self.message)
        self.float_field.returnPressed.connect(self.open_shift)
        self.open_button = touch_button("openShiftButton", "Open shift (Enter)", "Open shift")
        self.open_button.clicked.connect(self.open_shift)
        self._action_buttons.append(self.open_button)

        form = QFormLayout()
        form.addRow("Opening float", self.float_field)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Count the cash in the drawer and type it in."))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons(self._cancel_button(), self.open_button))
        self.float_field.setFocus()

    def open_shift(self) -> None:
        self.submit("open_shift", self.float_field.text(), on_done=self._opened,
                    message=self.message)

    def _opened(self, shift: ShiftView) -> None:
        self.opened.emit(shift)
        self.accept()


class CashMovementDialog(TillDialog):
    """Cash in (F1) or out (F2) of the drawer: ``movementAmountField``, ``reasonField``."""

    recorded = Signal(object)  # the running ZReport

    def __init__(self, controller: TillController, parent: QWidget | None = None,
                 direction: str = "in") -> None:
        super().__init__("cashMovementDialog", "Cash in / out", controller, parent)
        self.message = MessageLabel("movementMessage")
        self.in_button = touch_button("cashInButton", "Cash in (F1)", "Cash in", shortcut="F1")
        self.out_button = touch_button("cashOutButton", "Cash out (F2)", "Cash out",
                                       shortcut="F2")
        group = QButtonGroup(self)
        for button in (self.in_button, self.out_button):
            button.setCheckable(True)
            group.addButton(button)
            button.clicked.connect(lambda _checked=False: self.amount_field.setFocus())
        group.setExclusive(True)
        (self.in_button if direction == "in" else self.out_button).setChecked(True)

        self.amount_field = AmountField("movementAmountField", "Amount", self.message)
        self.reason_field = QLineEdit()
        self.reason_field.setObjectName("reasonField")
        self.reason_field.setAccessibleName("Reason")
        self.reason_field.setMaxLength(200)
        self.reason_field.setMinimumHeight(MIN_TOUCH)
        self.reason_field.setPlaceholderText("e.g. change from the bank, paid the window cleaner")
        self.amount_field.returnPressed.connect(self.reason_field.setFocus)
        self.reason_field.returnPressed.connect(self.record)
        self.record_button = touch_button("recordMovementButton", "Record (Enter)", "Record")
        self.record_button.clicked.connect(self.record)
        self._action_buttons.append(self.record_button)

        directions = QHBoxLayout()
        directions.addWidget(self.in_button)
        directions.addWidget(self.out_button)
        form = QFormLayout()
        form.addRow("Amount", self.amount_field)
        form.addRow("Reason", self.reason_field)
        layout = QVBoxLayout(self)
        layout.addLayout(directions)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons(self._cancel_button(), self.record_button))
        self.amount_field.setFocus()

    @property
    def direction(self) -> str:
        return "in" if self.in_button.isChecked() else "out"

    def record(self) -> None:
        self.submit("cash_movement", self.amount_field.text(), self.direction,
                    self.reason_field.text(), on_done=self._recorded, message=self.message)

    def _recorded(self, report: ZReport) -> None:
        self.recorded.emit(report)
        self.accept()


class CloseShiftDialog(TillDialog):
    """``countedField`` with the expected cash, the count and the difference live; Enter
    closes the shift and the same dialog shows the frozen Z-report (``zReportView``), which
    F1 (``zReportPrintButton``) prints on the receipt printer through the print queue."""

    closed_shift = Signal(object)  # the frozen ZReport

    def __init__(self, controller: TillController, parent: QWidget | None = None, *,
                 printing: Any | None = None) -> None:  # the till's ui.till ReceiptOutput
        super().__init__("closeShiftDialog", "Close shift", controller, parent)
        self._printing = printing
        self._report: ZReport | None = None
        self.captions["counted"] = "Counted cash"
        self._running: ZReport | None = None
        self.message = MessageLabel("countedMessage")
        self.expected_label = _figure("expectedLabel", "Expected cash")
        self.counted_label = _figure("countedLabel", "Counted cash")
        self.difference_label = _figure("differenceLabel", "Difference")
        self.counted_field = AmountField("countedField", "Counted cash", self.message)
        self.counted_field.textChanged.connect(self._show_difference)
        self.counted_field.returnPressed.connect(self.close_shift)
        self.close_button = touch_button("closeShiftConfirmButton", "Close shift (Enter)",
                                         "Close shift")
        self.close_button.clicked.connect(self.close_shift)
        self._action_buttons.append(self.close_button)

        count_page = QWidget()
        form = QFormLayout()
        form.addRow("Expected cash", self.expected_label)
        form.addRow("Counted cash", self.counted_field)
        form.addRow("You counted", self.counted_label)
        form.addRow("Difference", self.difference_label)
        count_layout = QVBoxLayout(count_page)
        count_layout.addWidget(QLabel("Count the cash in the drawer and type the total."))
        count_layout.addLayout(form)
        count_layout.addWidget(self.message)
        count_layout.addLayout(self._buttons(self._cancel_button(), self.close_button))

        report_page = QWidget()
        self.report_view = ZReportView()
        self.done_button = touch_button("zReportDoneButton", "Done (Enter)", "Done")
        self.done_button.clicked.connect(self.accept)
        self.print_button = touch_button("zReportPrintButton", "Print (F1)", "Print the Z-report",
                                         shortcut="F1")
        self.print_button.clicked.connect(self.print_report)
        self.print_button.setEnabled(printing is not None)
        self.report_message = MessageLabel("zReportMessage")
        report_layout = QVBoxLayout(report_page)
        report_layout.addWidget(self.report_view, 1)
        report_layout.addWidget(self.report_message)
        report_layout.addLayout(self._buttons(self.print_button, self.done_button))
        self._enter = QShortcut(QKeySequence(Qt.Key.Key_Return), report_page)
        self._enter.activated.connect(self.accept)

        self.pages = QStackedWidget()
        self.pages.addWidget(count_page)
        self.pages.addWidget(report_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.counted_field.setFocus()
        self.refresh()

    def refresh(self) -> None:
        """Ask for the running figures (the expected cash)."""
        self._controller.call("shift_report", on_done=self.alive(self._show_running),
                              on_error=self.alive(lambda error: self.message.show_message(
                                  error.message)))

    def close_shift(self) -> None:
        if self.pages.currentIndex() == 1:
            return
        self.submit("close_shift", self.counted_field.text(), on_done=self._closed,
                    message=self.message)

    def _show_running(self, report: ZReport) -> None:
        self._running = report
        self.expected_label.setText(report.text.get("expected_cash", "—"))
        self._show_difference(self.counted_field.text())

    def _show_difference(self, text: str) -> None:
        """Counted minus expected as the count is typed; the service's figure is the one kept."""
        if self._running is None:
            self.counted_label.setText("—")
            self.difference_label.setText("—")
            return
        preview = count_preview(self._running, text)
        self.counted_label.setText(preview.counted_text)
        self.difference_label.setText(preview.difference_text)

    def print_report(self) -> None:
        """Queue the frozen Z-report on the receipt printer (a second press: a COPY); the
        dialog never waits for the printer — a failure is listed with Retry like any job."""
        if self._report is None or self._printing is None:
            return
        copy = self.print_button.property("printed") is True
        self.print_button.setProperty("printed", True)
        self.report_message.show_message("Sending the Z-report to the printer…")
        # on the receipt printer (or the receipt folder), where the till's receipts go
        self._printing.worker.submit_document(
            "shift_report", self._report.shift_id, copy=copy, owner=self,
            printer=self._printing.printer,
            on_queued=lambda _job: self.report_message.show_message(
                "Z-report sent to the printer" + (" (copy)" if copy else "")),
            on_refused=lambda error: self.report_message.show_message(
                f"The Z-report could not be printed: {getattr(error, 'message', error)}"))

    def _closed(self, report: ZReport) -> None:
        self._report = report
        self.report_view.show_report(report)
        self.pages.setCurrentIndex(1)
        self.setWindowTitle("Z-report")
        self.done_button.setFocus()
        self.closed_shift.emit(report)


def _figure(name: str, accessible: str) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return label
