"""The standalone card terminal provider and the choice of provider from the settings."""

from __future__ import annotations

import pytest

from app.config.settings import Settings
from app.domain.errors import InvalidInput
from app.payments.base import AttemptState, PaymentRequest
from app.payments.terminal import StandaloneTerminal, provider_for

REQUEST = PaymentRequest("sale-1", 0, 1, 1234, "EUR")


def test_start_and_status_wait_for_the_cashier_and_keep_the_same_reference():
    terminal = StandaloneTerminal()
    started = terminal.start(REQUEST)
    assert started.state is AttemptState.PROCESSING and started.needs_cashier
    assert started.message == "Key 12.34 into the card terminal, then confirm what it shows"
    assert terminal.status(REQUEST, started.reference) == started
    assert started.reference == "terminal:sale-1:0:1"


def test_confirm_and_cancel_decide_the_outcome():
    terminal = StandaloneTerminal()
    ok = terminal.confirm(REQUEST, True, last4="4242", brand="VISA")
    assert (ok.state, ok.card_brand, ok.card_last4) == (AttemptState.SUCCEEDED, "VISA", "4242")
    declined = terminal.confirm(REQUEST, False)
    assert (declined.state, declined.message) == (AttemptState.FAILED, "declined on the terminal")
    assert terminal.cancel(REQUEST, None).state is AttemptState.CANCELED


def test_a_refund_is_done_by_the_cashier_on_the_terminal():
    outcome = StandaloneTerminal().refund("terminal:sale-1:0:1", 1234, "EUR", "rf-1")
    assert outcome.succeeded and outcome.message == "refund 12.34 on the card terminal"
    assert StandaloneTerminal().refund("x", 500, "JPY", "k").message == "refund 500 on the card terminal"
    for bad in (0, -1, 1.5):
        with pytest.raises(InvalidInput):
            StandaloneTerminal().refund("x", bad, "EUR", "k")


def test_the_provider_comes_from_the_settings(tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    assert isinstance(provider_for(settings), StandaloneTerminal)  # the common case by default
    settings.set("payments.card_provider", "none")
    assert provider_for(settings) is None
    with pytest.raises(InvalidInput):
        settings.set("payments.card_provider", "paypal")
