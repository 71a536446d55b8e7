"""Choosing the printer for each kind of document (receipts, invoices, labels) from the
system's printers, saved as ``printer.receipt`` / ``printer.invoice`` / ``printer.label``.

The list is editable: a receipt printer driven with ESC/POS is typed as ``escpos:usb:VID:PID``,
``escpos:net:HOST[:PORT]`` or ``escpos:file:PATH``, a folder to save PDFs in as ``file:DIR``.
Asking the system for its printers (CUPS can take seconds) and writing the settings file run
on the I/O pool.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QVBoxLayout, QWidget)

from app.domain.errors import DomainError, InvalidInput
from app.printing.backends import backend_for
from ui.tasks import TaskRunner

#: (setting, label) in the order shown
CHOICES = (("printer.receipt", "Receipts"), ("printer.invoice", "Invoices"),
           ("printer.label", "Shipping labels"))
DEFAULT_TEXT = "System default"


def system_printers() -> list[str]:
    """The system's printers, the default first (any thread)."""
    names = list(QPrinterInfo.availablePrinterNames())
    default = QPrinterInfo.defaultPrinterName()
    return ([default] if default in names else []) + sorted(n for n in names if n != default)


def check_printer(value: str) -> str:
    """Refuse a malformed ESC/POS target before it is saved (a plain name is any printer)."""
    backend_for(value, system=lambda name: None)  # type: ignore[arg-type, return-value]
    return value


class PrinterChoices(QWidget):
    """The form itself: a printer per kind of document, a status line and Save (the Settings
    screen shows it as it is; :class:`PrinterChooser` in a dialog). ``row_extra(key)`` adds a
    widget beside a kind's printer (the Settings screen's "Test page…"). ``saved(dict)``
    carries the settings written ({key: printer}) once they are on disk."""

    saved = Signal(dict)

    def __init__(self, runner: TaskRunner, settings: Any, parent: QWidget | None = None, *,
                 list_printers: Callable[[], list[str]] = system_printers,
                 buttons: QDialogButtonBox.StandardButton = QDialogButtonBox.StandardButton.Save,
                 row_extra: Callable[[str], QWidget] | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        for key, label in CHOICES:
            combo = QComboBox(self)
            combo.setObjectName(key)
            combo.setAccessibleName(f"Printer for {label.lower()}")
            combo.setEditable(True)
            combo.setMinimumContentsLength(28)
            combo.addItem(DEFAULT_TEXT, "")
            current = str(settings.get(key) or "")
            if current:
                combo.addItem(current, current)
                combo.setCurrentIndex(1)
            self.combos[key] = combo
            form.addRow(label, self._row(combo, row_extra(key) if row_extra else None))
        self.status = QLabel("Looking for printers…", self)
        self.status.setObjectName("printersStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(buttons, self)
        self.buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        runner.run(list_printers, kind="io", label="printers list", owner=self,
                   on_success=self._listed, on_failure=self._not_listed)

    def _row(self, combo: QComboBox, extra: QWidget | None) -> QWidget:
        if extra is None:
            return combo
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(combo, 1)
        extra.setParent(row)
        line.addWidget(extra)
        return row

    def _listed(self, names: list[str]) -> None:
        for combo in self.combos.values():
            for name in names:
                if combo.findData(name) < 0:
                    combo.addItem(name, name)
        self.status.setText(f"{len(names)} printer(s) on this computer" if names else
                            "No printers are set up on this computer: type an ESC/POS "
                            "printer (escpos:net:HOST) or a folder (file:DIR)")

    def _not_listed(self, error: BaseException) -> None:
        self.status.setText(f"The system's printers could not be listed: {error}")

    def value(self, key: str) -> str:
        combo = self.combos[key]
        text = combo.currentText().strip()
        index = combo.findText(text)
        if text == DEFAULT_TEXT or not text:
            return ""
        return str(combo.itemData(index)) if index >= 0 and combo.itemData(index) else text

    def save(self) -> None:
        values = {key: self.value(key) for key in self.combos}
        self.buttons.setEnabled(False)
        self._runner.run(self._write, values, kind="io", label="printers save", owner=self,
                         on_success=self._written, on_failure=self._refused)

    def _write(self, values: dict[str, str]) -> dict[str, str]:
        for key, value in values.items():  # all checked before any is written
            try:
                check_printer(value)
            except DomainError as exc:
                raise InvalidInput(exc.message, field=key) from exc
        for key, value in values.items():
            self._settings.set(key, value)
        return values

    def _written(self, values: dict[str, str]) -> None:
        self.buttons.setEnabled(True)
        self.status.setText("Saved: documents print on these printers from now on")
        self.saved.emit(values)

    def _refused(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.status.setText(str(error) if isinstance(error, DomainError)
                            else f"The settings could not be saved: {error}")


class PrinterChooser(QDialog):
    """:class:`PrinterChoices` in a dialog that closes once saved. ``saved(dict)`` as there."""

    saved = Signal(dict)

    def __init__(self, runner: TaskRunner, settings: Any, parent: QWidget | None = None, *,
                 list_printers: Callable[[], list[str]] = system_printers) -> None:
        super().__init__(parent)
        self.setWindowTitle("Printers")
        self.form = PrinterChoices(runner, settings, self, list_printers=list_printers,
                                   buttons=QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.combos, self.status = self.form.combos, self.form.status
        self.buttons = self.form.buttons
        self.buttons.rejected.connect(self.reject)
        self.form.saved.connect(self._written)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)

    def value(self, key: str) -> str:
        return self.form.value(key)

    def save(self) -> None:
        self.form.save()

    def _written(self, values: dict[str, str]) -> None:
        self.saved.emit(values)
        self.accept()
