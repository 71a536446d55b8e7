"""The back office's Settings page (``settings:manage``: managers and owners; a cashier never
reaches it): the store's details (changed by the owner only), taxes, the receipt text,
printers, the card reader, the server and pairing, and backups — one scrolling page, each
section saving on its own, each refusal beside its field.

Every read and write runs on the task runner (the store on the database worker; Stripe,
the keyring and pairing on the I/O pool); the page only wires fields to services."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.settings.card_reader import CardReaderSection
from ui.settings.local_sections import BackupSection, ReceiptTextSection
from ui.settings.pairing import PairingSection
from ui.settings.screen import SettingsScreen
from ui.settings.store_section import StoreSection
from ui.settings.taxes_section import TaxesSection


class SettingsPage(QWidget):
    """``bo_settings``: ``screen`` (a :class:`SettingsScreen`) and its sections as attributes
    (``store``, ``taxes``, ``receipt``, ``printers``, ``card_reader``, ``pairing``,
    ``backups``)."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        context.user.require(Permission.SETTINGS_MANAGE)  # the shell never builds it otherwise
        self.setObjectName("bo_settings")
        self.setAccessibleName("Settings")
        self.screen = SettingsScreen(context.runner, context.settings, context.printing, self)
        self.store = StoreSection(context)
        self.taxes = TaxesSection(context)
        self.receipt = ReceiptTextSection(context)
        for section in (self.store, self.taxes, self.receipt):
            self.screen.add_section(section, before_printers=True)
        self.printers = self.screen.printers
        self.card_reader = CardReaderSection(context)
        self.pairing = PairingSection(context)
        self.backups = BackupSection(context)
        for section in (self.card_reader, self.pairing, self.backups):
            self.screen.add_section(section)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.screen)
