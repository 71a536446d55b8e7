"""Card money taken for a sale that was never recorded stays listed on the till — on the
sign-in page too — from the start until a manager has refunded it."""

from __future__ import annotations

import pytest

from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.selling_support import OFFSCREEN_DIALOGS, approve_with_keys
from ui.app import start_card_recovery

pytestmark = OFFSCREEN_DIALOGS


@pytest.fixture
def till_payments(shop):  # noqa: ANN001, ANN201 - the card terminal the cashier keys
    return CardPayments(shop, StandaloneTerminal())


@pytest.fixture
def card_taken(shop, till_settings, demo_items):  # noqa: ANN001, ANN201
    """A till that took a card (the cashier confirmed the terminal's 'approved') and then went
    away before the sale was completed: the money is in, no order recorded it."""
    from app.till.register import RegisterSession

    session = RegisterSession(shop, till_settings,
                              payments=CardPayments(shop, StandaloneTerminal()))
    cashier = next(card for card in session.staff_for_signin() if card.name == "Cara Cashier")
    session.sign_in(cashier.id, "3333")
    session.open_shift("100.00")
    session.scan(demo_items[0].barcode)
    session.begin_payment()
    session.start_card(None)
    view = session.confirm_card(True, last4="4242", brand="visa")
    assert view.due == 0 and view.tenders  # ... and the till is never completed
    return view


def test_card_money_without_a_sale_is_listed_from_the_start_until_refunded(
        qtbot, card_taken, register_screen, till, runner, shop):  # noqa: ANN001
    panel = register_screen.cards_taken
    qtbot.waitUntil(lambda: len(panel.cards) == 1, timeout=WAIT_MS)
    start_card_recovery(register_screen, runner)  # what ui.app.run does at start-up (io pool)
    till.wait_idle()
    qtbot.wait(50)
    assert register_screen.current_page_name() == "signin"
    assert panel.isVisible()
    assert panel.summary.text().startswith("Card money taken without a sale")
    row = panel.findChild(type(panel.summary), "cardTaken0")
    assert "•••• 4242" in row.text() and "no sale was recorded" in row.text()
    button = panel.buttons[0]
    assert not button.isEnabled()  # nobody signed in yet: nobody to answer for the refund
    assert panel.message.text() == "Sign in to refund (a manager approves)"

    till.sign_in()  # a cashier: the refund needs a manager
    qtbot.waitUntil(lambda: register_screen.current_page_name() == "selling", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.buttons and panel.buttons[0].isEnabled(), timeout=WAIT_MS)
    assert panel.isVisible()  # still there on the selling page
    panel.buttons[0].click()
    approve_with_keys(qtbot)
    qtbot.waitUntil(lambda: panel.cards == (), timeout=WAIT_MS)
    till.wait_idle()
    assert not panel.isVisible()
    assert till.call("cards_without_sale") == []
