"""Card money taken for a sale that was never recorded: a list that stays on every page of the
till (sign-in included) until a manager has given each back.

A notice would scroll away with the next scan; this money is owed to a customer, so the list
stays until the register says it is refunded. Reading it is a store query (database worker);
a refund calls the card provider (I/O pool) and needs a manager (VOID), asked for through the
usual approval dialog. Nobody signed in: the list shows, the Refund buttons wait for a sign-in.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.errors import DomainError
from app.till import ApprovalNeeded
from app.till.format import cards_taken_notice
from app.till.views import CardTakenView
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MessageLabel, touch_button

SIGN_IN_FIRST = "Sign in to refund (a manager approves)"
REFUND_FACE = "Refund card"


class CardsTakenPanel(QFrame):
    """``cardsTakenPanel``: ``cardsTakenNotice`` (the one-line summary), a row per card
    (``cardTaken<i>`` label, ``refundCard<i>`` button) and ``cardsTakenMessage``; hidden while
    nothing is owed."""

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardsTakenPanel")
        self.setAccessibleName("Card money taken without a sale")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._controller = controller
        self._signed_in = False
        self.cards: tuple[CardTakenView, ...] = ()
        self.buttons: list[QPushButton] = []
        self._refunding = InFlight(self._busy_changed)
        self._reading = InFlight()

        self.summary = QLabel()
        self.summary.setObjectName("cardsTakenNotice")
        self.summary.setWordWrap(True)
        self.summary.setProperty("kind", "notice")
        self.message = MessageLabel("cardsTakenMessage")
        self._rows = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.summary)
        layout.addLayout(self._rows)
        layout.addWidget(self.message)
        self.hide()

    # -- reading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the list again from the store (database worker)."""
        self._reading.run(self._controller, "cards_without_sale", on_done=self.show_cards)

    def show_cards(self, cards: Sequence[CardTakenView]) -> None:
        self.cards = tuple(cards)
        self._clear_rows()
        for number, card in enumerate(self.cards):
            self._rows.addLayout(self._row(number, card))
        self.summary.setText(cards_taken_notice(self.cards) or "")
        self.setVisible(bool(self.cards))
        self._update_buttons()

    def set_signed_in(self, signed_in: bool) -> None:
        self._signed_in = signed_in
        self._update_buttons()

    # -- refunding ---------------------------------------------------------------------------

    def refund(self, attempt_id: str) -> None:
        """The provider gives the money back; ApprovalNeeded(VOID) goes through the approval
        dialog and the call is repeated with the manager's id."""
        self.message.show_message("")
        self._refunding.run(self._controller, "refund_card_without_sale", attempt_id,
                            kind="io", on_done=self.show_cards, on_error=self._refused)

    def _refused(self, error: DomainError) -> None:
        if not isinstance(error, ApprovalNeeded):  # the approval dialog speaks for that one
            self.message.show_message(error.message)

    # -- building ----------------------------------------------------------------------------

    def _row(self, number: int, card: CardTakenView) -> QHBoxLayout:
        label = QLabel(card.text)
        label.setObjectName(f"cardTaken{number}")
        label.setWordWrap(True)
        button = touch_button(f"refundCard{number}", REFUND_FACE,
                              f"Refund {card.label} {card.amount_text}")
        # the scan field keeps the focus: a tap here must not take a scanner's keys with it
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _checked=False, aid=card.attempt_id: self.refund(aid))
        self.buttons.append(button)
        row = QHBoxLayout()
        row.addWidget(label, 1)
        row.addWidget(button)
        return row

    def _clear_rows(self) -> None:
        self.buttons = []
        while self._rows.count():
            row = self._rows.takeAt(0).layout()
            while row is not None and row.count():
                widget = row.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
            if row is not None:
                row.deleteLater()

    def _busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        for button in self.buttons:
            button.setEnabled(self._signed_in and not self._refunding.busy)
            button.setToolTip("" if self._signed_in else SIGN_IN_FIRST)
        if self.cards and not self._signed_in:
            self.message.show_message(SIGN_IN_FIRST)
        elif self.message.text() == SIGN_IN_FIRST:
            self.message.show_message("")
