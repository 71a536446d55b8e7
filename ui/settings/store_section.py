"""Settings › Store: the store's name, address, tax number and time zone. The owner changes
them (``stores:manage``); anyone else who opens Settings (a manager) sees them read-only and is
told why. Saving runs on the database worker and queues ``store.update`` for the server."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)

from app.back_office.settings.store_details import (StoreDetails, load_store_details,
                                                    save_store_details, time_zones)
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.settings.form import Section, SettingsForm

READ_ONLY = "Only the owner changes the store's details (stores:manage): shown read-only."


class StoreSection(Section):
    """``storeSection``: ``field_name`` … ``field_timezone``, ``saveStore`` (owner only)."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Store", "storeSection", parent)
        self._context = context
        self.details: StoreDetails | None = None
        self.editable = context.user.may(Permission.STORES_MANAGE)
        self.form = SettingsForm(self)
        self.form.add("name", "Name", QLineEdit())
        address = QPlainTextEdit()
        address.setFixedHeight(72)
        self.form.add("address", "Address", address)
        self.form.add("tax_number", "Tax number", QLineEdit())
        zones = QComboBox()
        zones.setEditable(True)  # typing "Europe/Be" finds Berlin faster than scrolling
        zones.addItems(time_zones())
        self.form.add("timezone", "Time zone", zones)
        self.save_button = QPushButton("Save store details")
        self.save_button.setObjectName("saveStore")
        self.save_button.clicked.connect(self.save)
        self.form.set_read_only(not self.editable)
        self.save_button.setVisible(self.editable)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.save_button)
        layout.addWidget(self.status)
        if not self.editable:
            self.status.setText(READ_ONLY)
        self.save_button.setEnabled(False)  # until the details are here
        context.runner.run(load_store_details, context.store, label="settings: store",
                           owner=self, on_success=self._show, on_failure=self._not_loaded)

    def _show(self, details: StoreDetails) -> None:
        self.details = details
        self.form.fill(details.values())
        self.setTitle(f"Store {details.code} ({details.currency})")
        self.save_button.setEnabled(self.editable)

    def _not_loaded(self, error: BaseException) -> None:
        self.status.setText(f"The store's details could not be read: {error}")

    def save(self) -> None:
        if not self.editable:
            return
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._context.runner.run(save_store_details, self._context.store,
                                 staff_id=self._context.user.id, values=self.form.values(),
                                 label="settings: save store", owner=self,
                                 on_success=self._saved, on_failure=self._refused)

    def _saved(self, details: StoreDetails) -> None:
        self._show(details)
        self.form.show_errors({})
        self.status.setText("Store details saved; the server gets them at the next sync.")

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.refused(self.form, error)
