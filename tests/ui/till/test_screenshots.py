"""Done means: screenshots of the register in its normal (online), offline and payment states,
taken offscreen at 1024×768 and 1920×1080 and saved under test-output/ui/till/, each checked
for a sane layout: every visible button and label inside the window, none overlapping another,
none narrower than its text (no clipped shortcut labels), buttons at least 44 px high, and the
scan field and the total (the amount due on the payment page) in view.

The till is real all the way: paired through a TCP door with a seeded server process, synced,
then cut off by the door refusing every connection (the shop's network going down)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QLabel, QLineEdit,
                               QStyle, QStyleOptionButton, QWidget)
from urllib.parse import urlsplit

from app.config.paths import Paths
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from sync.client import SyncClient
from sync.engine import SyncEngine
from sync.pairing import pair
from tests.support.file_keyring import file_keyring  # noqa: F401 - fixture
from tests.support.flaky_proxy import FaultPlan, FlakyProxy
from tests.support.tills import issue_code, seeded_server, shared_server  # noqa: F401 - fixtures
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS
from ui.sync_controller import SyncController

pytestmark = OFFSCREEN_SIZE_HINTS

SIZES = ((1024, 768), (1920, 1080))
MIN_TOUCH = 44
FAST = dict(timeout=(1.0, 5.0), attempts=2, backoff_base=0.02, backoff_cap=0.1)


@pytest.fixture
def door(seeded_server):  # noqa: ANN001, ANN201 - the shop's network between till and server
    parts = urlsplit(seeded_server.base_url)
    proxy = FlakyProxy(parts.hostname, parts.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def paired(store, seeded_server, door, file_keyring, tmp_path):  # noqa: ANN001, ANN201, F811
    """A till paired with the seeded server through the door, its first pull done."""
    done = pair(store, server=door.url, code=issue_code(seeded_server), print_key=True)
    paths = Paths.resolve(str(tmp_path))

    def engine() -> SyncEngine:
        client = SyncClient(door.url, device_id=done.device_id, device_key=done.device_key,
                            **FAST)
        return SyncEngine(store, paths, client=client)

    result = engine().run_round()
    assert result.succeeded, result
    return store, paths, engine


@pytest.fixture
def shop(paired):  # noqa: ANN001, ANN201 - the register's store is the paired till's
    return paired[0]


@pytest.fixture
def till_payments(shop):  # noqa: ANN001, ANN201
    return CardPayments(shop, StandaloneTerminal())


@pytest.fixture
def sync(qtbot, paired, register_screen, runner):  # noqa: ANN001, ANN201
    store, paths, engine = paired
    controller = SyncController(store, paths, runner, interval_s=3600, engine_factory=engine)
    register_screen.attach_sync(controller)
    yield controller
    controller.stop()
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS * 6)


def _round(qtbot, sync: SyncController, online: bool) -> str:  # noqa: ANN001
    texts: list[str] = []
    sync.status_changed.connect(lambda text, _status: texts.append(text))
    with qtbot.waitSignal(sync.round_finished, timeout=WAIT_MS * 6):
        sync.sync_now()
    qtbot.waitUntil(lambda: bool(texts) and texts[-1].startswith("Online" if online
                                                                  else "Offline"),
                    timeout=WAIT_MS)
    return texts[-1]


# -- layout checks -----------------------------------------------------------------------------

def _in_scroll_area(widget: QWidget, window: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _shown(window: QWidget) -> list[QWidget]:
    """Buttons, labels and line edits the cashier can see (at least partly)."""
    found = []
    for kind in (QAbstractButton, QLabel, QLineEdit):
        for widget in window.findChildren(kind):
            if (widget.isVisible() and not widget.visibleRegion().isEmpty()
                    and not (isinstance(widget, QLabel) and not widget.text()
                             and widget.pixmap().isNull())):
                found.append(widget)
    return found


def _rect(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _name(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return f"{type(widget).__name__} {widget.objectName() or '?'} {text!r}"


def _clipped(widget: QWidget) -> str | None:
    metrics = widget.fontMetrics()
    if isinstance(widget, QAbstractButton) and widget.text():
        option = QStyleOptionButton()
        option.initFrom(widget)
        option.text = widget.text()
        contents = widget.style().subElementRect(QStyle.SubElement.SE_PushButtonContents,
                                                 option, widget)
        needed = metrics.horizontalAdvance(_displayed(widget.text()))
        if needed > contents.width():
            return f"{_name(widget)}: text needs {needed} px, has {contents.width()}"
    if isinstance(widget, QLabel) and widget.text() and not QtGui.Qt.mightBeRichText(widget.text()):
        inner = widget.contentsRect()
        if widget.wordWrap():
            if widget.heightForWidth(inner.width()) > inner.height() + 1:
                return f"{_name(widget)}: wrapped text taller than the label"
        else:
            widest = max(metrics.horizontalAdvance(line) for line in widget.text().split("\n"))
            if widest > inner.width():
                return f"{_name(widget)}: text needs {widest} px, has {inner.width()}"
    return None


def _displayed(text: str) -> str:
    """A button's text as drawn: "&" marks a mnemonic (shown underlined), "&&" is one "&"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def check_layout(window: QWidget, must_show: tuple[str, ...]) -> list[str]:
    problems = []
    bounds = window.rect()
    shown = _shown(window)
    # cells of a scrolled list may lie partly out of view, over its frame: their size counts
    placed = [widget for widget in shown if not _in_scroll_area(widget, window)]
    for widget in shown:
        rect = _rect(widget, window)
        if widget in placed and not bounds.contains(rect):
            problems.append(f"{_name(widget)} at {rect.getRect()} is outside the window")
        if isinstance(widget, QAbstractButton) and widget.height() < MIN_TOUCH:
            problems.append(f"{_name(widget)} is {widget.height()} px high")
        clipped = _clipped(widget)
        if clipped:
            problems.append(clipped)
    for one, other in combinations(placed, 2):
        if one.isAncestorOf(other) or other.isAncestorOf(one):
            continue
        overlap = _rect(one, window).intersected(_rect(other, window))
        if overlap.width() > 0 and overlap.height() > 0:
            problems.append(f"{_name(one)} overlaps {_name(other)} by {overlap.getRect()}")
    names = {widget.objectName() for widget in shown}
    problems += [f"{name} is not in view" for name in must_show if name not in names]
    return problems


def _snap(qtbot, window: QWidget, out: Path, state: str, size: tuple[int, int],  # noqa: ANN001
          must_show: tuple[str, ...], problems: list[str]) -> Path:
    """Save the screenshot and note what is wrong with its layout (all states are taken
    before the test says what failed, so one bad page does not hide another)."""
    qtbot.wait(50)  # let queued layout requests settle before grabbing
    path = out / f"register-{state}-{size[0]}x{size[1]}.png"
    if (window.width(), window.height()) != size:  # something forced the window to grow
        problems.append(f"{path.name}: the window is {window.width()}×{window.height()}, "
                        f"its contents do not fit {size[0]}×{size[1]}")
    assert window.grab().save(str(path)), path
    problems += [f"{path.name}: {problem}" for problem in check_layout(window, must_show)]
    return path


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_register_screenshots_normal_offline_payment(qtbot, size, register_screen, till, sync,
                                                    door, demo_items, test_output):
    out = test_output / "ui" / "till"
    out.mkdir(parents=True, exist_ok=True)
    screen = register_screen
    screen.resize(*size)
    qtbot.waitUntil(lambda: screen.size().width() == size[0], timeout=WAIT_MS)
    connection = screen.findChild(QLabel, "connectionLabel")

    till.sign_in()
    if till.call("current_shift") is None:
        till.open_shift("100.00")
    till.call("cart")
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling", timeout=WAIT_MS)
    for item in demo_items[:3]:
        till.call("scan", item.barcode)
    till.call("line_discount", 0, "5%")  # a discount shown on a line and in the totals

    text = _round(qtbot, sync, online=True)
    assert connection.text() == text
    selling = ("scanField", "totalLabel", "payButton", "connectionLabel", "cashierLabel")
    problems: list[str] = []
    shots = [_snap(qtbot, screen, out, "normal", size, selling, problems)]

    door.set_plan(FaultPlan(refuse=1.0))  # the shop's network goes down
    till.call("begin_payment")
    till.call("add_cash", None)
    till.call("complete")  # a sale rung up offline waits in the outbox
    qtbot.keyClick(screen.payment_page.after_sale.print_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling", timeout=WAIT_MS)
    for item in demo_items[3:5]:
        till.call("scan", item.barcode)
    text = _round(qtbot, sync, online=False)
    assert connection.text() == text and not text.endswith(" 0 to sync"), text
    shots.append(_snap(qtbot, screen, out, "offline", size, selling, problems))

    door.set_plan(FaultPlan())
    till.call("begin_payment")
    qtbot.waitUntil(lambda: screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.call("add_cash", "5.00")
    paying = ("dueLabel", "paidLabel", "amountField", "cashTenderButton", "cardTenderButton",
              "creditTenderButton", "completeButton", "connectionLabel")
    shots.append(_snap(qtbot, screen, out, "payment", size, paying, problems))

    for path in shots:
        assert path.stat().st_size > 10_000, path  # a real picture, not an empty grab
    assert not problems, "layout problems:\n  " + "\n  ".join(problems)
