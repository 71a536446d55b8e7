"""Fixtures for the till screen: the demo shop, a real RegisterSession, the TillController on the
real task runner, and the RegisterScreen shown offscreen. Shared by every ui/till test.

Override ``till_payments`` / ``till_drawer`` in a test module to give the session a card
provider or a cash drawer; ``till_settings_values`` to start with other settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.config.settings import Settings
from app.domain.errors import DomainError
from db.engine import LocalStore
from db.models import Barcode, Product, Variant

#: demo staff (app.domain.demo_recipe): name → PIN
CASHIER, CASHIER_PIN = "Cara Cashier", "3333"
OTHER_CASHIER, OTHER_CASHIER_PIN = "Carl Cashier", "4444"
MANAGER, MANAGER_PIN = "Max Manager", "2222"
OPENING_FLOAT = "100.00"
#: how long a test waits for the database worker (generous: a loaded machine is slow)
WAIT_MS = 10_000


@dataclass(frozen=True, slots=True)
class DemoItem:
    variant_id: str
    barcode: str
    sku: str
    name: str
    price: int


class TillDriver:
    """Calls the session through the controller, as the window does, and waits for the answer.

    For setting a scene (sign in, open a shift) and for reading state in assertions; the
    behaviour under test is driven by keystrokes on the widgets.
    """

    def __init__(self, qtbot, controller) -> None:  # noqa: ANN001 - pytest-qt's bot
        self.qtbot = qtbot
        self.controller = controller

    def call(self, method: str, *args: Any, kind: str = "db", **kwargs: Any) -> Any:
        """The result of ``session.<method>(...)``; a refusal is raised as its DomainError."""
        outcome: dict[str, Any] = {}
        self.controller.call(method, *args, kind=kind,
                             on_done=lambda result: outcome.setdefault("result", result),
                             on_error=lambda exc: outcome.setdefault("error", exc), **kwargs)
        self.qtbot.waitUntil(lambda: bool(outcome) or not self.controller.busy, timeout=WAIT_MS)
        self.wait_idle()
        if "error" in outcome:
            raise outcome["error"]
        if "result" not in outcome:
            raise AssertionError(f"{method} failed without a domain error (see the log)")
        return outcome["result"]

    def staff_id(self, name: str, *, managers: bool = False) -> str:
        cards = self.call("managers" if managers else "staff_for_signin")
        return next(card.id for card in cards if card.name == name)

    def sign_in(self, name: str = CASHIER, pin: str = CASHIER_PIN):  # noqa: ANN201 - SignedIn
        return self.call("sign_in", self.staff_id(name), pin)

    def approve(self, permission, name: str = MANAGER, pin: str = MANAGER_PIN) -> str:  # noqa: ANN001
        return self.call("approve", self.staff_id(name, managers=True), pin, permission)

    def open_shift(self, float_text: str = OPENING_FLOAT):  # noqa: ANN201 - ShiftView
        return self.call("open_shift", float_text)

    def wait_idle(self) -> None:
        self.qtbot.waitUntil(lambda: not self.controller.busy, timeout=WAIT_MS)


@pytest.fixture
def till_settings_values() -> dict[str, Any]:
    return {}


@pytest.fixture
def till_settings(tmp_path: Path, till_settings_values: dict[str, Any]) -> Settings:
    settings = Settings(tmp_path / "settings.toml")
    for key, value in till_settings_values.items():
        settings.set(key, value)
    return settings


@pytest.fixture
def till_payments():  # noqa: ANN201 - app.payments CardPayments or None
    return None


@pytest.fixture
def till_drawer():  # noqa: ANN201 - a CashDrawer or None
    return None


@pytest.fixture
def register_session(shop: LocalStore, till_settings: Settings, till_payments, till_drawer):  # noqa: ANN001, ANN201
    from app.till.register import RegisterSession

    return RegisterSession(shop, till_settings, payments=till_payments, drawer=till_drawer)


@pytest.fixture
def till_controller(qtbot, register_session, runner):  # noqa: ANN001, ANN201
    from ui.till.controller import TillController

    controller = TillController(register_session, runner)
    yield controller
    # the runner is shut down after this fixture: nothing of ours may still be running then
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)


@pytest.fixture
def till(qtbot, till_controller) -> TillDriver:  # noqa: ANN001
    return TillDriver(qtbot, till_controller)


@pytest.fixture
def register_screen(qtbot, till_controller, till_settings):  # noqa: ANN001, ANN201
    """The RegisterScreen shown offscreen at 1280×800, on its sign-in page."""
    from ui.till.register_screen import RegisterScreen

    screen = RegisterScreen(till_controller, till_settings)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()
    return screen


@pytest.fixture
def selling_screen(qtbot, register_screen, till: TillDriver):  # noqa: ANN001, ANN201
    """The register with Cara signed in and a shift open: the selling page, scanField focused."""
    till.sign_in()
    if till.call("current_shift") is None:
        till.open_shift()
    # what the window does after an open shift: show the (empty) cart on the selling page
    till.call("cart")
    qtbot.waitUntil(lambda: register_screen.current_page_name() == "selling", timeout=WAIT_MS)
    scan = register_screen.selling_page.scan_field
    qtbot.waitUntil(scan.hasFocus, timeout=WAIT_MS)
    return register_screen


@pytest.fixture
def demo_items(shop: LocalStore) -> list[DemoItem]:
    """Items of the demo shop sold by the unit, each with a barcode, in a stable order."""
    with shop.read() as session:
        rows = session.execute(
            select(Variant.id, Barcode.code, Variant.sku, Product.name, Variant.price)
            .join(Barcode, Barcode.variant_id == Variant.id)
            .join(Product, Product.id == Variant.product_id)
            .where(Product.sold_by_weight.is_(False), Product.archived.is_(False),
                   Variant.archived.is_(False), Variant.price > 0)
            .order_by(Variant.sku).limit(20)).all()
    return [DemoItem(*row) for row in rows]


def domain_error(exc: BaseException) -> DomainError:
    assert isinstance(exc, DomainError), exc
    return exc
