"""Settings › Card reader: how cards are taken (``payments.card_provider``), the Stripe
Terminal reader (listed from the Stripe account on the I/O pool, or typed), and the Stripe
secret key, which goes to the OS keyring only: it is typed into a password field, sent to the
keyring and cleared; the page only ever says whether a key is kept. Where this machine has no
keyring the page says so and offers no key field."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.back_office.settings.values import key_state, replace_stripe_key
from app.config.settings import spec_for
from app.domain.errors import DomainError
from ui.back_office.context import PageContext
from ui.settings.local_sections import SettingsValuesSection
from ui.till.entry_fields import MessageLabel

PROVIDERS = {"auto": "Automatic (Stripe reader once chosen, else a standalone terminal)",
             "stripe_terminal": "Stripe Terminal reader", "terminal": "Standalone card terminal",
             "none": "No card payments"}


def list_readers(settings) -> list:  # noqa: ANN001 - Settings; list[ReaderInfo]
    from app.payments.stripe_link import StripeLink

    return StripeLink.from_settings(settings).readers()


class CardReaderSection(SettingsValuesSection):
    """``cardReaderSection``: ``field_payments.card_provider``, ``field_stripe.reader_id`` with
    ``listReaders``; ``keyState``, ``stripeKey`` (password echo) and ``replaceKey``."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Card reader", "cardReaderSection", context, parent)
        provider = QComboBox()
        for value in spec_for("payments.card_provider").choices:
            provider.addItem(PROVIDERS.get(value, value), value)
        self.form.add("payments.card_provider", "Cards are taken by", provider)
        readers = QComboBox()
        readers.setEditable(True)  # a reader id can be typed (tmr_…) without listing
        self.list_button = QPushButton("List the account's readers")
        self.list_button.setObjectName("listReaders")
        self.list_button.clicked.connect(self.list_readers)
        self.form.add("stripe.reader_id", "Stripe reader", readers, extra=self.list_button)

        self.key_state = MessageLabel("keyState")
        self.key_field = QLineEdit()
        self.key_field.setObjectName("stripeKey")
        self.key_field.setAccessibleName("New Stripe secret key")
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setPlaceholderText("sk_live_… or rk_live_… (never shown)")
        self.key_button = QPushButton("Keep this key")
        self.key_button.setObjectName("replaceKey")
        self.key_button.clicked.connect(self.replace_key)
        self.key_error = MessageLabel("error_stripe.secret_key")
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 3)
        key_row.addWidget(self.key_button)
        key_row.addWidget(self.key_error, 2)
        self.form.layout_.addRow("Stripe key", key_row)
        self.form.layout_.addRow("", self.key_state)
        self.finish()
        self._set_key_controls(None)
        self.refresh_key_state()

    def refresh_key_state(self) -> None:
        self._context.runner.run(key_state, kind="io", label="settings: stripe key state",
                                 owner=self, on_success=self._show_key_state,
                                 on_failure=lambda e: self.key_state.show_message(str(e)))

    def _show_key_state(self, state: tuple[bool | None, str]) -> None:
        kept, words = state
        self.key_state.show_message(words)
        self._set_key_controls(kept)

    def _set_key_controls(self, kept: bool | None) -> None:
        usable = kept is not None
        self.key_field.setEnabled(usable)
        self.key_button.setEnabled(usable)
        self.key_button.setText("Replace the key" if kept else "Keep this key")

    def list_readers(self) -> None:
        self.list_button.setEnabled(False)
        self.status.setText("Asking Stripe for the account's readers…")
        self._context.runner.run(list_readers, self._context.settings, kind="io",
                                 label="settings: stripe readers", owner=self,
                                 on_success=self._show_readers, on_failure=self._no_readers)

    def _show_readers(self, readers: list) -> None:
        self.list_button.setEnabled(True)
        combo: QComboBox = self.form.fields["stripe.reader_id"]
        chosen = combo.currentText()
        combo.clear()
        for reader in readers:
            combo.addItem(f"{reader.label or reader.id} — {reader.id}, {reader.status}",
                          reader.id)
        index = combo.findData(chosen)
        if index >= 0:
            combo.setCurrentIndex(index)
        elif chosen:
            combo.setEditText(chosen)
        self.status.setText(f"{len(readers)} reader(s) on the account: choose one, then Save."
                            if readers else "The Stripe account has no readers yet.")

    def _no_readers(self, error: BaseException) -> None:
        self.list_button.setEnabled(True)
        words = error.message if isinstance(error, DomainError) else str(error)
        self.status.setText(f"The readers could not be listed: {words}")

    def replace_key(self) -> None:
        key = self.key_field.text()
        self.key_button.setEnabled(False)
        self._context.runner.run(replace_stripe_key, self._context.store,
                                 staff_id=self._context.user.id, key=key, kind="io",
                                 label="settings: stripe key", owner=self,
                                 on_success=self._key_kept, on_failure=self._key_refused)

    def _key_kept(self, _result: object) -> None:
        self.key_field.clear()
        self.key_error.show_message("")
        self.status.setText("The Stripe key is kept in the keyring.")
        self.refresh_key_state()

    def _key_refused(self, error: BaseException) -> None:
        self.key_button.setEnabled(True)
        words = error.message if isinstance(error, DomainError) else str(error)
        self.key_error.show_message(words)  # the reason, never the key
