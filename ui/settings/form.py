"""What every Settings section is built from: a form whose rows each have their field and, beside
it, the reason it was refused (``error_<key>``), and a status line under the section's buttons.

A section never checks a rule itself: it hands the form's values to its service on a worker and
shows the service's answer — ``FieldErrors`` (each field's reason), an ``InvalidInput`` naming
one field, or anything else as a sentence in the status line."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QSpinBox, QWidget)

from app.domain.errors import DomainError
from ui.till.entry_fields import MessageLabel


def value_of(widget: QWidget) -> str:
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        data, text = widget.currentData(), widget.currentText()
        if data is not None and text == widget.itemText(widget.currentIndex()):
            return data
        return text  # typed into an editable one
    if isinstance(widget, QSpinBox):
        return str(widget.value())
    assert isinstance(widget, QLineEdit), widget
    return widget.text()


def set_value(widget: QWidget, value: object) -> None:
    text = "" if value is None else str(value)
    if isinstance(widget, QPlainTextEdit):
        widget.setPlainText(text)
    elif isinstance(widget, QComboBox):
        index = widget.findData(text)
        index = index if index >= 0 else widget.findText(text)
        if index >= 0:
            widget.setCurrentIndex(index)
        elif widget.isEditable():
            widget.setEditText(text)
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(text or 0))
    else:
        widget.setText(text)


class SettingsForm(QWidget):
    """Rows of ``field  reason``; ``fields[key]`` is the field, ``errors[key]`` its reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, MessageLabel] = {}

    def add(self, key: str, label: str, field: QWidget, extra: QWidget | None = None) -> QWidget:
        field.setObjectName(f"field_{key}")
        field.setAccessibleName(label)
        error = MessageLabel(f"error_{key}")
        error.setMinimumWidth(160)
        row = QHBoxLayout()
        row.addWidget(field, 3)
        if extra is not None:
            row.addWidget(extra)
        row.addWidget(error, 2)
        self.layout_.addRow(label, row)
        self.fields[key], self.errors[key] = field, error
        return field

    def add_pair(self, label: str, first: tuple[str, str, QWidget],
                 second: tuple[str, str, QWidget]) -> None:
        """Two fields on one row (a rate's name and its percentage), each with its reason."""
        row = QHBoxLayout()
        for key, accessible, field in (first, second):
            field.setObjectName(f"field_{key}")
            field.setAccessibleName(accessible)
            error = MessageLabel(f"error_{key}")
            row.addWidget(field, 2)
            row.addWidget(error, 1)
            self.fields[key], self.errors[key] = field, error
        self.layout_.addRow(label, row)

    def values(self) -> dict[str, str]:
        return {key: value_of(field) for key, field in self.fields.items()}

    def fill(self, values: dict[str, object]) -> None:
        for key, value in values.items():
            if key in self.fields:
                set_value(self.fields[key], value)

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self.errors.items():
            label.show_message(errors.get(key, ""))

    def set_read_only(self, read_only: bool) -> None:
        for field in self.fields.values():
            if isinstance(field, (QLineEdit, QPlainTextEdit)):
                field.setReadOnly(read_only)
            else:
                field.setEnabled(not read_only)


class Section(QGroupBox):
    """A titled part of the Settings page with a ``status`` line (``<name>Status``)."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName(name)
        self.status = QLabel(self)
        self.status.setObjectName(f"{name}Status")
        self.status.setWordWrap(True)

    def refused(self, form: SettingsForm, error: BaseException) -> None:
        """Show a service's refusal where it belongs: beside its field(s), else as status."""
        errors = getattr(error, "errors", None)
        if isinstance(errors, dict):
            form.show_errors(errors)
            self.status.setText("Nothing was saved: correct the fields marked.")
            return
        field = getattr(error, "field", None)
        if isinstance(error, DomainError) and field in form.errors:
            form.show_errors({field: error.message})
            self.status.setText("Nothing was saved: correct the field marked.")
            return
        form.show_errors({})
        words = error.message if isinstance(error, DomainError) else str(error)
        self.status.setText(f"Nothing was saved: {words}")
