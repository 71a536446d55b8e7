"""Settings › Taxes: the tax classes (a shop has a handful: a list is right here) and a form to
add one or change one's name and rates, each rate a name and a percentage such as 8.875 —
parsed exactly into ppm by the service, the reason beside the rate that is wrong. Saving runs on
the database worker and queues ``tax_class.upsert``."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from app.back_office.settings.taxes import (MAX_RATES, RateInput, TaxClassView,
                                            load_tax_classes, store_tax_class)
from ui.back_office.context import PageContext
from ui.settings.form import Section, SettingsForm

CLASS_ID = Qt.ItemDataRole.UserRole
RATE_FIELD = re.compile(r"rates\[(\d+)\]\.(name|percent)")


class TaxesSection(Section):
    """``taxesSection``: ``taxClasses`` (one row per class), ``newTaxClass``, the form
    (``field_name``, ``field_rates[N].name`` / ``field_rates[N].percent``) and ``saveTaxClass``."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Taxes", "taxesSection", parent)
        self._context = context
        self.editing: str | None = None  # the class in the form (None: a new one)
        self.classes: list[TaxClassView] = []
        self._rows: list[int] = []  # the form's row of each rate sent
        self.list = QListWidget()
        self.list.setObjectName("taxClasses")
        self.list.setAccessibleName("Tax classes")
        self.list.setMaximumHeight(140)
        self.list.currentItemChanged.connect(self._chosen)
        self.new_button = QPushButton("New tax class")
        self.new_button.setObjectName("newTaxClass")
        self.new_button.clicked.connect(self.start_new)
        self.form = SettingsForm(self)
        self.form.add("name", "Class name", QLineEdit())
        for n in range(MAX_RATES):
            rate_name = QLineEdit()
            rate_name.setPlaceholderText("rate name, e.g. VAT")
            percent = QLineEdit()
            percent.setPlaceholderText("%")
            percent.setMaximumWidth(90)
            self.form.add_pair(f"Rate {n + 1}", (f"rates[{n}].name", f"Rate {n + 1} name", rate_name),
                               (f"rates[{n}].percent", f"Rate {n + 1} percentage", percent))
        self.save_button = QPushButton("Save tax class")
        self.save_button.setObjectName("saveTaxClass")
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self._context.runner.run(load_tax_classes, self._context.store, label="settings: taxes",
                                 owner=self, on_success=lambda found: self._show(found, select),
                                 on_failure=lambda e: self.status.setText(
                                     f"The tax classes could not be read: {e}"))

    def _show(self, classes: list[TaxClassView], select: str | None) -> None:
        self.classes = classes
        self.list.blockSignals(True)
        self.list.clear()
        for tax_class in classes:
            waiting = " (waiting to sync)" if tax_class.waiting else ""
            item = QListWidgetItem(tax_class.describe() + waiting)
            item.setData(CLASS_ID, tax_class.id)
            self.list.addItem(item)
            if tax_class.id == select:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        found = next((c for c in self.classes if item and c.id == item.data(CLASS_ID)), None)
        if found is None:
            return
        self.editing = found.id
        values = {"name": found.name}
        for n in range(MAX_RATES):
            rate = found.rates[n] if n < len(found.rates) else None
            values[f"rates[{n}].name"] = rate.name if rate else ""
            values[f"rates[{n}].percent"] = rate.percent if rate else ""
        self.form.fill(values)
        self.form.show_errors({})
        self.status.setText(f"Editing {found.name}")

    def start_new(self) -> None:
        self.editing = None
        self.list.clearSelection()
        self.form.fill({key: "" for key in self.form.fields})
        self.form.show_errors({})
        self.status.setText("A new tax class")

    def typed_rates(self) -> list[RateInput]:
        values = self.form.values()
        rates = [RateInput(values[f"rates[{n}].name"], values[f"rates[{n}].percent"])
                 for n in range(MAX_RATES)]
        # blank rows are not rates; the service numbers the others, so keep where each was
        self._rows = [n for n, r in enumerate(rates) if r.name.strip() or r.percent.strip()]
        return [rates[n] for n in self._rows]

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._context.runner.run(store_tax_class, self._context.store,
                                 staff_id=self._context.user.id,
                                 name=self.form.values()["name"], rates=self.typed_rates(),
                                 tax_class_id=self.editing, label="settings: save tax class",
                                 owner=self, on_success=self._saved, on_failure=self._refused)

    def _saved(self, saved: TaxClassView) -> None:
        self.save_button.setEnabled(True)
        self.editing = saved.id
        self.form.show_errors({})
        self.status.setText(f"Saved: {saved.describe()}; the server gets it at the next sync.")
        self.reload(select=saved.id)

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        match = RATE_FIELD.fullmatch(getattr(error, "field", None) or "")
        if match is not None and int(match.group(1)) < len(self._rows):
            error.field = f"rates[{self._rows[int(match.group(1))]}].{match.group(2)}"
        self.refused(self.form, error)
