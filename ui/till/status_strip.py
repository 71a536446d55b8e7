"""Always visible on the register: who sells, which shift, whether the till is online.

The connection reads at a glance ("Offline since 12:21 · 1 to sync"); what went wrong in
transport words (a refused connection, a timeout) is in the label's tooltip, with the rest of
the sync state, for whoever looks into it.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.till.views import ShiftView, SignedIn, ZReport
from ui.till.entry_fields import touch_button

NOBODY = "Nobody signed in"
NO_SHIFT = "No shift open"
NOT_PAIRED = "Offline — not paired with a server"
UNKNOWN_CONNECTION = NOT_PAIRED
#: on two lines: the strip holds who, which shift and the connection too at 1024 px
SCREENS_FACE = "Screens\n(Ctrl+1…)"


class StatusStrip(QWidget):
    """``statusStrip``: ``cashierLabel``, ``shiftLabel`` and ``connectionLabel``.

    The connection text comes from the window's SyncController (``status_changed``) once
    :meth:`attach_sync` connected it; the status of the sync (online/offline) is also set as
    the label's ``status`` property so the style sheet can colour it.

    ``screensButton`` says ``screens_requested``: the window's navigation is hidden while the
    till shows, and a touch-only till has no Ctrl+1…n to get off it.
    """

    screens_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setAccessibleName("Till status")
        self.cashier_label = self._label("cashierLabel", "Cashier", NOBODY)
        self.shift_label = self._label("shiftLabel", "Shift", NO_SHIFT)
        self.connection_label = self._label("connectionLabel", "Connection", UNKNOWN_CONNECTION)
        self.connection_label.setProperty("status", "offline")
        # short by design (the details are in its tooltip): one line, never wrapped
        self.connection_label.setAlignment(Qt.AlignmentFlag.AlignRight
                                           | Qt.AlignmentFlag.AlignVCenter)
        for label in (self.cashier_label, self.shift_label):
            # who and which shift are read whole; the connection gives way (it wraps)
            label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(16)
        layout.addWidget(self.cashier_label)
        layout.addWidget(self.shift_label)
        layout.addStretch(1)
        layout.addWidget(self.connection_label)
        self.screens_button = touch_button("screensButton", SCREENS_FACE, "Other screens")
        # a tap must leave the focus (and a scanner's keys) in the scan field
        self.screens_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.screens_button.clicked.connect(self.screens_requested)
        layout.addWidget(self.screens_button)

    def attach_sync(self, controller) -> None:  # noqa: ANN001 - ui.sync_controller.SyncController
        controller.status_changed.connect(self.show_connection)
        if controller.last_status is not None:
            from ui.sync_controller import describe

            self.show_connection(describe(controller.last_status), controller.last_status)

    def show_connection(self, text: str, status: object) -> None:
        """``text`` is the window's full sync line (kept as the tooltip); the label is short."""
        online = bool(getattr(status, "online", False))
        self.connection_label.setText(short_connection(status))
        detail = getattr(status, "last_error", None)
        self.connection_label.setToolTip(text if not detail or detail in text
                                         else f"{text}\n{detail}")
        self.connection_label.setProperty("status", "online" if online else "offline")
        # a dynamic property only restyles after the style is applied again
        self.connection_label.style().unpolish(self.connection_label)
        self.connection_label.style().polish(self.connection_label)

    def show_signed_in(self, signed: SignedIn) -> None:
        self.cashier_label.setText(f"Cashier: {signed.staff.name}")
        self.show_shift(signed.shift)

    def show_locked(self) -> None:
        self.cashier_label.setText(NOBODY)

    def show_shift(self, shift: ShiftView | None) -> None:
        if shift is None:
            self.shift_label.setText(NO_SHIFT)
            return
        opened = shift.opened_at.astimezone().strftime("%H:%M")
        self.shift_label.setText(f"Shift {shift.register_code} since {opened} · {shift.opened_by}")

    def show_report(self, report: ZReport) -> None:
        if report.closed_at is not None:
            self.show_shift(None)

    @staticmethod
    def _label(name: str, accessible: str, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label


def short_connection(status: object, today: date | None = None) -> str:
    """"Online · 0 to sync", "Offline since 12:21 · 1 to sync" (since the last round that
    reached the server), "Offline — not paired with a server · 3 to sync"."""
    waiting = f"{getattr(status, 'pending', 0)} to sync"
    reached: datetime | None = getattr(status, "last_success_at", None)
    if not getattr(status, "paired", False):
        text = f"{NOT_PAIRED} · {waiting}"
    elif getattr(status, "online", False):
        text = f"Online · {waiting}"
    elif reached is not None:
        text = f"Offline since {_moment(reached, today)} · {waiting}"
    else:
        text = f"Offline · never synced · {waiting}"
    unseen = getattr(status, "issues_unseen", 0)
    return f"{text} · {unseen} to review" if unseen else text


def _moment(at: datetime, today: date | None) -> str:
    local = at.astimezone()
    if local.date() == (today or datetime.now().astimezone().date()):
        return f"{local:%H:%M}"
    return f"{local:%d %b %H:%M}"  # offline since yesterday: the day matters
