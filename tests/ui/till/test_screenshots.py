"""Done means: screenshots of the register in its normal (online), offline and payment states,
taken offscreen at 1024×768 and 1920×1080, in the normal and the high-contrast theme, of the
register screen alone and inside the real window (``ui.app.build_window``, with the app's
style sheet as ``tillpoint`` sets it), saved under test-output/ui/till/, each checked for a
sane layout: every visible button and label inside the window, none overlapping another,
none narrower (or, for a face on two lines, shorter) than its text (no clipped shortcut
labels), buttons at least 44 px high, the scan field and the total (the amount due on the
payment page) in view, and at 1024 px the cart's item column at least 200 px wide.

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
from app.config.settings import Settings
from tests.ui.till.conftest import WAIT_MS, TillDriver
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS
from ui.app import load_stylesheet
from ui.sync_controller import SyncController

pytestmark = OFFSCREEN_SIZE_HINTS

SIZES = ((1024, 768), (1920, 1080))
MIN_TOUCH = 44
ITEM_MIN = 200  # the cart's item column at 1024 px: a name must be readable
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
    controller = _sync_for(qtbot, paired, runner, register_screen)
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
        lines = _displayed(widget.text()).split("\n")  # a face may break before its shortcut
        needed = max(metrics.horizontalAdvance(line) for line in lines)
        if needed > contents.width():
            return f"{_name(widget)}: text needs {needed} px, has {contents.width()}"
        tall = len(lines) * metrics.height()
        if tall > contents.height() + 2:
            return f"{_name(widget)}: {len(lines)} lines need {tall} px, have {contents.height()}"
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
    path = out / f"{state}-{size[0]}x{size[1]}.png"
    if (window.width(), window.height()) != size:  # something forced the window to grow
        problems.append(f"{path.name}: the window is {window.width()}×{window.height()}, "
                        f"its contents do not fit {size[0]}×{size[1]}")
    assert window.grab().save(str(path)), path
    problems += [f"{path.name}: {problem}" for problem in check_layout(window, must_show)]
    return path


@pytest.fixture
def app_style(qapp):  # noqa: ANN001, ANN201
    """The application's style sheet, as ``tillpoint`` sets it at start (tillpoint.qss)."""
    qapp.setStyleSheet(load_stylesheet())
    yield
    qapp.setStyleSheet("")


@pytest.fixture(params=["normal", "high-contrast"])
def theme(request, till_settings_values):  # noqa: ANN001, ANN201
    till_settings_values["till.high_contrast"] = request.param == "high-contrast"
    return request.param


def _sync_for(qtbot, paired, runner, *hosts):  # noqa: ANN001, ANN202
    store, paths, engine = paired
    controller = SyncController(store, paths, runner, interval_s=3600, engine_factory=engine)
    for host in hosts:
        host.attach_sync(controller)
    return controller


def _states(qtbot, host: QWidget, screen, till, sync, door, demo_items, out: Path,  # noqa: ANN001
            name: str, size: tuple[int, int]) -> None:
    """Normal (online), offline and paying, each saved and checked; fails at the end."""
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
    assert connection.toolTip() == text and connection.text().startswith("Online · ")
    selling = ("scanField", "totalLabel", "payButton", "connectionLabel", "cashierLabel")
    problems: list[str] = []
    shots = [_snap(qtbot, host, out, f"{name}-normal", size, selling, problems)]
    if size[0] <= 1024:
        item = screen.selling_page.cart_view.item_column_width()
        if item < ITEM_MIN:
            problems.append(f"{name} at {size}: the cart's item column is {item} px")

    door.set_plan(FaultPlan(refuse=1.0))  # the shop's network goes down
    till.call("begin_payment")
    till.call("add_cash", None)
    till.call("complete")  # a sale rung up offline waits in the outbox
    qtbot.keyClick(screen.payment_page.after_sale.next_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling", timeout=WAIT_MS)
    for item in demo_items[3:5]:
        till.call("scan", item.barcode)
    text = _round(qtbot, sync, online=False)
    assert connection.toolTip().startswith(text) and not text.endswith(" 0 to sync"), text
    assert connection.text().startswith("Offline since ") and "Connection" not in connection.text()
    shots.append(_snap(qtbot, host, out, f"{name}-offline", size, selling, problems))

    door.set_plan(FaultPlan())
    till.call("begin_payment")
    qtbot.waitUntil(lambda: screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.call("add_cash", "5.00")
    paying = ("dueLabel", "paidLabel", "amountField", "cashTenderButton", "cardTenderButton",
              "creditTenderButton", "completeButton", "connectionLabel")
    shots.append(_snap(qtbot, host, out, f"{name}-payment", size, paying, problems))

    for path in shots:
        assert path.stat().st_size > 10_000, path  # a real picture, not an empty grab
    assert not problems, "layout problems:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_register_screenshots_normal_offline_payment(qtbot, size, theme, app_style,
                                                    register_screen, till, sync, door,
                                                    demo_items, test_output):
    out = test_output / "ui" / "till"
    out.mkdir(parents=True, exist_ok=True)
    register_screen.resize(*size)
    qtbot.waitUntil(lambda: register_screen.size().width() == size[0], timeout=WAIT_MS)
    name = "register" if theme == "normal" else "register-hc"
    _states(qtbot, register_screen, register_screen, till, sync, door, demo_items, out, name,
            size)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_window_screenshots_normal_offline_payment(qtbot, size, theme, app_style, shop, paired,
                                                  runner, door, demo_items, test_output):
    """The same states through the real window (ui.app.build_window: its navigation, its
    status bar), where a cashier sees them."""
    from ui.app import build_window

    Settings(shop.path.parent / "settings.toml").set("till.high_contrast",
                                                    theme == "high-contrast")
    window = build_window(shop, runner)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    screen = window.screen("till")
    sync = _sync_for(qtbot, paired, runner, window, screen)
    out = test_output / "ui" / "till"
    out.mkdir(parents=True, exist_ok=True)
    try:
        _states(qtbot, window, screen, TillDriver(qtbot, screen.controller), sync, door,
                demo_items, out, "window" if theme == "normal" else "window-hc", size)
    finally:
        sync.stop()
        qtbot.waitUntil(lambda: not sync.running, timeout=WAIT_MS * 6)
