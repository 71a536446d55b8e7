"""Locking the till after a spell of inactivity (``till.lock_after_seconds``; 0 never locks).

The lock is the service's (``RegisterSession.lock`` parks the cart for the cashier and signs
them out); this only notices that nobody touched the keyboard, the mouse or the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from ui.till.controller import TillController

#: what counts as someone at the till (a scanner types keys, so scanning counts too)
ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                      QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
                      QEvent.Type.TouchUpdate, QEvent.Type.InputMethod})


class IdleLock(QObject):
    """Runs ``controller.call("lock")`` after ``seconds`` without input while someone is
    signed in. An event filter on the application restarts the timer on every key, click or
    touch; the timer only runs between ``signed_in`` and ``locked``."""

    def __init__(self, controller: TillController, seconds: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self._controller = controller
        self._timer = QTimer(self)
        self._timer.setObjectName("idleLockTimer")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._idle)
        self._armed = False
        self.set_seconds(seconds)
        controller.signed_in.connect(self._signed_in)
        controller.locked.connect(self._locked)
        app = QApplication.instance()
        if app is not None:  # Qt drops the filter by itself when this object is deleted
            app.installEventFilter(self)

    @property
    def seconds(self) -> int:
        return self._seconds

    @property
    def armed(self) -> bool:
        """Someone is signed in and the countdown is running."""
        return self._armed and self._timer.isActive()

    def set_seconds(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("till.lock_after_seconds must not be negative")
        self._seconds = seconds
        self._timer.setInterval(seconds * 1000)
        self._restart()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # getattr: an application-wide filter can still be called while PySide tears this
        # object's Python half down (seen in the suite when a window closes): no attributes
        if getattr(self, "_armed", False) and event.type() in ACTIVITY:
            self._timer.start()
        return False

    def _signed_in(self, _signed: object) -> None:
        self._arm(True)

    def _locked(self) -> None:
        self._arm(False)

    def _arm(self, on: bool) -> None:
        self._armed = on
        self._restart()

    def _restart(self) -> None:
        if self._armed and self._seconds > 0:
            self._timer.start()
        else:
            self._timer.stop()

    def _idle(self) -> None:
        if not self._armed:
            return
        # disarmed at once, so a slow lock is not asked for twice; ``locked`` confirms it
        self._armed = False
        # a refusal (a card payment in progress) keeps the cashier signed in: count again
        self._controller.call("lock", on_error=lambda _error: self._arm(True))
