"""Settings › Server and pairing: whether this till is paired, with which server, as which store
and register; and pairing with a one-time code (``tillpoint-server pairing-code``) on the I/O
pool, as ``tillpoint pair`` does. Pairing needs ``devices:manage`` (checked again here in the
store, and audited); the credential goes to the keyring, never to the screen."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

from app import audit
from app.domain.errors import DomainError
from app.domain.permissions import Permission
from app.sales.identity import NotInitialised, this_register
from app.staff import active_staff
from db.engine import LocalStore
from ui.back_office.context import PageContext
from ui.settings.form import Section, SettingsForm
from ui.till.entry_fields import MessageLabel

#: the pairing's own field names → this form's
FIELDS = {"server": "server.url", "code": "code"}


@dataclass(frozen=True, slots=True)
class PairingState:
    server_url: str | None  # None: not paired
    device_id: str | None
    store: str  # "S01 Corner Shop"
    register: str  # "R01 Till 1"

    def describe(self) -> str:
        if self.server_url is None:
            return (f"Not paired: {self.store}, register {self.register} works on its own. Pair "
                    "it with a code from the server (tillpoint-server pairing-code).")
        return (f"Paired with {self.server_url} as store {self.store}, register "
                f"{self.register} (device {self.device_id}).")


def pairing_state(store: LocalStore) -> PairingState:
    from sync.credentials import paired_with

    with store.read() as session:
        pairing = paired_with(session)
        try:
            shop, register = this_register(session)
            names = f"{shop.code} {shop.name}", f"{register.code} {register.name}"
        except NotInitialised:
            names = "no shop yet", "none"
    return PairingState(pairing.server_url if pairing else None,
                        pairing.device_id if pairing else None, *names)


def pair_till(store: LocalStore, settings, *, staff_id: str, server: str,  # noqa: ANN001
              code: str) -> PairingState:
    """Pair (or re-pair) this till; the server address is kept as ``server.url`` too."""
    from sync.pairing import pair

    with store.read() as session:
        active_staff(session, staff_id, Permission.DEVICES_MANAGE)
    paired = pair(store, server=server, code=code)
    with store.write() as session:
        audit.append(session, action="device.paired", entity="device",
                     entity_id=paired.device_id, actor_id=staff_id,
                     details={"server": paired.server_url, "register": paired.register_code,
                              "repaired": paired.repaired, "key_saved": paired.key_saved})
    settings.set("server.url", paired.server_url)
    return pairing_state(store)


class PairingSection(Section):
    """``pairingSection``: ``pairingState``, ``field_server.url``, ``field_code`` and
    ``pairButton`` (for ``devices:manage``).

    Once the till is paired its server address is shown read-only: sync talks to the address
    kept at pairing, and a till holding a server's data pairs again with that server only (a
    new server takes a new data directory). Before pairing, it is the address to pair with."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Server and pairing", "pairingSection", parent)
        self._context = context
        self.state: PairingState | None = None
        self.state_label = MessageLabel("pairingState")
        self.form = SettingsForm(self)
        url = self.form.add("server.url", "Server address", QLineEdit())
        url.setPlaceholderText("https://tills.example.com")
        code = self.form.add("code", "Pairing code", QLineEdit())
        code.setPlaceholderText("ABCD-EFGH-JK")
        self.pair_button = QPushButton("Pair this till")
        self.pair_button.setObjectName("pairButton")
        self.pair_button.clicked.connect(self.pair)
        allowed = context.user.may(Permission.DEVICES_MANAGE)
        self.form.set_read_only(not allowed)
        self.pair_button.setVisible(allowed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addWidget(self.form)
        layout.addWidget(self.pair_button)
        layout.addWidget(self.status)
        self.form.fill({"server.url": context.settings.get("server.url")})
        context.runner.run(pairing_state, context.store, label="settings: pairing", owner=self,
                           on_success=self._show, on_failure=lambda e: self.state_label
                           .show_message(f"The pairing could not be read: {e}"))

    def _show(self, state: PairingState) -> None:
        self.state = state
        self.state_label.show_message(state.describe())
        if state.server_url:
            self.form.fill({"server.url": state.server_url})
        self.pair_button.setText("Pair again" if state.server_url else "Pair this till")
        url = self.form.fields["server.url"]
        if state.server_url:
            url.setReadOnly(True)
            url.setToolTip("Sync uses the address kept at pairing; a till paired with one "
                           "server pairs again with it only (another server: a new data "
                           "directory)")
        else:
            url.setReadOnly(not self._context.user.may(Permission.DEVICES_MANAGE))
            url.setToolTip("")

    def pair(self) -> None:
        values = self.form.values()
        self.pair_button.setEnabled(False)
        self.status.setText("Pairing…")
        self._context.runner.run(pair_till, self._context.store, self._context.settings,
                                 staff_id=self._context.user.id, server=values["server.url"],
                                 code=values["code"], kind="io", label="settings: pair",
                                 owner=self, on_success=self._paired, on_failure=self._refused)

    def _paired(self, state: PairingState) -> None:
        self.pair_button.setEnabled(True)
        self.form.fields["code"].clear()  # a code works once
        self.form.show_errors({})
        self._show(state)
        self.status.setText("Paired.")
        if self._context.sync is not None:
            self._context.sync.sync_now()

    def _refused(self, error: BaseException) -> None:
        self.pair_button.setEnabled(True)
        field = FIELDS.get(getattr(error, "field", None) or "")
        if isinstance(error, DomainError) and field is not None:
            self.form.show_errors({field: error.message})
            self.status.setText("Not paired: correct the field marked.")
        else:
            self.form.show_errors({})
            words = error.message if isinstance(error, DomainError) else str(error)
            self.status.setText(f"Not paired: {words}")
