"""Scan-to-cart on the real register screen, for ``bench_till``: each code goes the way a
scanner's Enter sends it — ``TillController.call("scan")`` → the task runner's database worker →
``RegisterSession.scan`` → the ``cart_changed`` signal back on the GUI thread → ``CartModel``
and the selling page → a forced, synchronous repaint of the cart table and the totals
(offscreen, the window at 1280×800). Timed from the call until the repaint returned.

Beside it, from the same run: ``RegisterSession.scan`` alone (timed inside the worker), the
repaint alone, and the bare indexed ``SELECT variant_id FROM barcodes WHERE code = ?`` for the
same codes on a plain ``sqlite3`` connection to the same file.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QtMsgType, qInstallMessageHandler

from app.domain.barcodes import make_ean13

CASHIER, CASHIER_PIN = "Cara Cashier", "3333"  # app.domain.demo_recipe.DEMO_STAFF
MANAGER, MANAGER_PIN = "Max Manager", "2222"
WINDOW_SIZE = (1280, 800)
WARMUP_SCANS = 20
SCALE_LABEL_SHARE = 0.1  # of the scans: weighed fruit from its scale label
MAX_CART_LINES = 30
CALL_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class ScanCode:
    scanned: str  # what the scanner types
    stored: str  # the barcode row it resolves to (the baseline's key)


def sample_codes(db_file: Path, count: int, seed: int = 3) -> list[ScanCode]:
    """``count`` codes of existing items, picked at random over the whole catalogue (by rowid),
    a tenth of them scale labels of weighed items with a random weight inside."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT max(rowid) FROM barcodes").fetchone()[0]
        weighed = [row[0] for row in conn.execute(
            "SELECT b.code FROM barcodes b JOIN variants v ON v.id = b.variant_id "
            "JOIN products p ON p.id = v.product_id WHERE p.sold_by_weight = 1 LIMIT 500")]
        codes: list[ScanCode] = []
        while len(codes) < count:
            if weighed and rng.random() < SCALE_LABEL_SHARE:
                stored = rng.choice(weighed)
                grams = rng.randrange(50, 2500)
                codes.append(ScanCode(make_ean13(f"{stored[:7]}{grams:05d}"), stored))
                continue
            row = conn.execute(
                "SELECT b.code, p.sold_by_weight FROM barcodes b JOIN variants v ON "
                "v.id = b.variant_id JOIN products p ON p.id = v.product_id WHERE b.rowid = ?",
                (rng.randint(1, top),)).fetchone()
            if row is not None and not row[1]:  # a weighed item needs its label, drawn above
                codes.append(ScanCode(row[0], row[0]))
        return codes
    finally:
        conn.close()


def baseline_ns(db_file: Path, codes: list[ScanCode]) -> list[int]:
    """The bare indexed look-up of each code, on its own connection."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        statement = "SELECT variant_id FROM barcodes WHERE code = ?"
        for code in codes[:WARMUP_SCANS]:
            conn.execute(statement, (code.stored,)).fetchone()
        samples = []
        for code in codes:
            started = time.perf_counter_ns()
            found = conn.execute(statement, (code.stored,)).fetchone()
            samples.append(time.perf_counter_ns() - started)
            if found is None:
                raise AssertionError(f"baseline: no barcode row {code.stored}")
        return samples
    finally:
        conn.close()


def _quiet_offscreen(kind: QtMsgType, context: Any, message: str) -> None:
    """Qt's messages to stderr, but not the offscreen platform's note on every dialog shown."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"{message}\n")


class _TimedSession:
    """The real RegisterSession, with the time each ``scan`` took on the worker noted."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.scan_ns: list[int] = []

    def scan(self, code: str) -> Any:
        started = time.perf_counter_ns()
        try:
            return self._session.scan(code)
        finally:
            self.scan_ns.append(time.perf_counter_ns() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@dataclass
class ScanFigures:
    total_ns: list[int] = field(default_factory=list)
    service_ns: list[int] = field(default_factory=list)
    paint_ns: list[int] = field(default_factory=list)
    errors: int = 0
    carts: int = 0
    most_lines: int = 0


class RegisterBench:
    """The register screen over a working copy of the store, signed in with a shift open."""

    def __init__(self, data_dir: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from app.config.paths import Paths
        from db.engine import LocalStore
        from ui.app import build_till_screen
        from ui.tasks import TaskRunner

        self.app = QApplication.instance() or QApplication(["bench_till"])
        self._previous_handler = qInstallMessageHandler(_quiet_offscreen)
        self.store = LocalStore.open(Paths(data_dir).store)
        self.runner = TaskRunner()
        self.screen = build_till_screen(self.store, self.runner)
        self.controller = self.screen.controller
        self.timed = _TimedSession(self.controller.session)
        self.controller.session = self.timed
        self.page = self.screen.selling_page
        self.screen.resize(*WINDOW_SIZE)
        self.screen.show()
        self._settle()

    # -- calls through the controller, waited for ----------------------------------------------

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        outcome = self._outcome(method, *args, **kwargs)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def _outcome(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``{"result": ...}`` or ``{"error": DomainError}``, back on the GUI thread: its event
        loop runs meanwhile (idle, as in the window), and stops the moment the answer is in."""
        from PySide6.QtCore import QEventLoop, QTimer

        outcome: dict[str, Any] = {}
        loop = QEventLoop()

        def settle(key: str, value: Any) -> None:
            outcome.setdefault(key, value)
            loop.quit()

        self.controller.call(method, *args, on_done=lambda r: settle("result", r),
                             on_error=lambda e: settle("error", e), **kwargs)
        if not outcome:
            guard = QTimer()
            guard.setSingleShot(True)
            guard.timeout.connect(loop.quit)
            guard.start(CALL_TIMEOUT_MS)
            loop.exec()
        if not outcome:
            raise TimeoutError(f"the register did not answer {method} within a minute "
                               "(or failed without a domain error: see the log)")
        return outcome

    def _wait(self, done: Callable[[], bool]) -> None:
        from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

        deadline = time.monotonic() + CALL_TIMEOUT_MS / 1000
        ticker = QTimer()  # wakes the loop to look again
        ticker.start(20)
        try:
            while not done():
                if time.monotonic() > deadline:
                    raise TimeoutError("the register did not settle within a minute")
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        finally:
            ticker.stop()

    def _settle(self) -> None:
        from PySide6.QtCore import QCoreApplication

        for _ in range(5):
            QCoreApplication.processEvents()

    def _staff_id(self, name: str, *, managers: bool = False) -> str:
        cards = self.call("managers" if managers else "staff_for_signin")
        return next(card.id for card in cards if card.name == name)

    def open_for_selling(self) -> None:
        self.call("sign_in", self._staff_id(CASHIER), CASHIER_PIN)
        if self.call("current_shift") is None:
            self.call("open_shift", "100.00")
        self._wait(lambda: self.screen.dialog is None)  # the open-shift dialog saw the shift
        self.manager_id = self._staff_id(MANAGER, managers=True)
        self._settle()

    # -- the measurement -----------------------------------------------------------------------

    def scan_once(self, code: str, figures: ScanFigures) -> bool:
        started = time.perf_counter_ns()
        outcome = self._outcome("scan", code)
        painting = time.perf_counter_ns()
        self.page.cart_view.viewport().repaint()
        self.page.totals.repaint()
        done = time.perf_counter_ns()
        if "error" in outcome:
            figures.errors += 1
            return False
        figures.total_ns.append(done - started)
        figures.paint_ns.append(done - painting)
        figures.service_ns.append(self.timed.scan_ns[-1])
        return True

    def new_cart(self) -> None:
        """The cart voided with the manager's approval: the next cart starts empty."""
        from app.domain.permissions import Permission

        approver = self.call("approve", self.manager_id, MANAGER_PIN, Permission.VOID)
        view = self.call("void_sale", approver_id=approver)
        if view.lines:
            raise RuntimeError("the voided cart still has lines")

    def scan_all(self, codes: list[ScanCode], seed: int = 4) -> ScanFigures:
        """Warm-up scans unmeasured, then every code; carts of 1–30 lines, then a new cart."""
        rng = random.Random(seed)
        for code in codes[:WARMUP_SCANS]:
            self.scan_once(code.scanned, ScanFigures())
        self.new_cart()
        figures = ScanFigures()
        lines_wanted = rng.randint(1, MAX_CART_LINES)
        for code in codes:
            self.scan_once(code.scanned, figures)
            lines = self.page.cart_model.rowCount()
            figures.most_lines = max(figures.most_lines, lines)
            if lines >= lines_wanted:
                self.new_cart()
                figures.carts += 1
                lines_wanted = rng.randint(1, MAX_CART_LINES)
        return figures

    @property
    def session(self) -> Any:
        return self.timed

    def close(self) -> None:
        self._wait(lambda: not self.controller.busy)
        self.screen.close()
        self.screen.deleteLater()
        self.runner.shutdown(wait=True)
        self._settle()
        self.store.close()
        qInstallMessageHandler(self._previous_handler)
