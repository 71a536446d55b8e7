"""``tillpoint sale … --pay card``, ``tillpoint refund`` and ``tillpoint stripe …`` against the fake
Stripe server, through the real ``stripe`` SDK — the way a headless till or a script uses them.

Every test ends by counting what Stripe itself holds: a declined, offline or cancelled card
leaves no captured PaymentIntent and no sale; an approved one leaves exactly one of each."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import main
from app.domain.barcodes import in_store_ean13
from db.engine import LocalStore
from db.models import Order, PaymentAttempt

REPO = Path(__file__).resolve().parents[2]
PEN = in_store_ean13(1)
READER = "tmr_cli_till"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """One demo shop per module, copied for each test (init --demo takes seconds)."""
    made = tmp_path_factory.mktemp("card-demo")
    assert main.main(["--data-dir", str(made), "init", "--demo", "--products", "60"]) == 0
    return made


@pytest.fixture
def till_dir(demo_template, tmp_path, fake_stripe, monkeypatch, capsys) -> Path:
    till = tmp_path / "till"
    shutil.copytree(demo_template, till)  # closed stores: the files are the whole of it
    fake_stripe.add_reader(READER, label="CLI till")
    monkeypatch.setenv("TILLPOINT_STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("TILLPOINT_STRIPE_SECRET_KEY", fake_stripe.api_key)
    monkeypatch.setenv("TILLPOINT_CARD_WAIT_S", "15")
    code, out, err = run(capsys, "config", "set", "stripe.reader_id", READER,
                         "--data-dir", str(till))
    assert code == 0, err
    return till


def counts(data_dir: Path) -> tuple[int, list[str]]:
    store = LocalStore.open(data_dir / "tillpoint.sqlite3")
    try:
        with store.read() as s:
            return (s.scalar(select(func.count()).select_from(Order)),
                    list(s.scalars(select(PaymentAttempt.status)
                                   .order_by(PaymentAttempt.created_at))))
    finally:
        store.close()


def sell(capsys, data_dir: Path, *pay: str) -> tuple[int, str, str]:
    argv = ["sale", "--data-dir", str(data_dir), "--item", f"{PEN}:2"]
    for p in pay:
        argv += ["--pay", p]
    return run(capsys, *argv)


def test_an_approved_card_records_one_sale_with_brand_last4_and_intent(till_dir, fake_stripe,
                                                                        capsys):
    fake_stripe.set_reader(READER, auto_present="4242424242424242", auto_delay_s=0.2)
    code, out, err = sell(capsys, till_dir, "card")
    assert code == 0, err
    order = json.loads(out)
    [payment] = order["payments"]
    assert payment["method"] == "card" and payment["card_last4"] == "4242"
    assert payment["card_brand"] == "VISA" and payment["reference"].startswith("pi_")
    [captured] = fake_stripe.captured()
    assert captured["id"] == payment["reference"] and captured["amount"] == order["total"]
    assert "present card" in err  # what the reader asked for was said while waiting
    assert counts(till_dir) == (1, ["succeeded"])


@pytest.mark.parametrize("card, words", [
    ("4000000000009995", "insufficient funds"),
    ("4000000000000002", "declined"),
    ("4000000000000069", "expired"),
])
def test_a_declined_card_records_no_sale_and_says_why(till_dir, fake_stripe, capsys, card,
                                                      words):
    fake_stripe.set_reader(READER, auto_present=card, auto_delay_s=0.1)
    code, out, err = sell(capsys, till_dir, "card")
    assert code == 1 and out == ""
    assert words in err.lower() and "no sale was recorded" in err
    assert fake_stripe.captured() == []
    assert all(pi["status"] == "canceled" for pi in fake_stripe.payment_intents.values())
    assert counts(till_dir) == (0, ["failed"])


def test_an_offline_reader_and_an_unreachable_stripe_are_said_at_once(till_dir, fake_stripe,
                                                                      capsys):
    fake_stripe.set_reader(READER, online=False)
    code, _, err = sell(capsys, till_dir, "card")
    assert code == 1 and "reader" in err.lower() and "offline" in err.lower()
    fake_stripe.set_reader(READER, online=True)
    fake_stripe.go_offline()
    started = time.monotonic()
    code, _, err = sell(capsys, till_dir, "card")
    took = time.monotonic() - started
    fake_stripe.go_online()
    assert code == 1 and "no connection to stripe" in err.lower()
    assert took < 10  # said at once, not after the 15 s wait for a card
    assert fake_stripe.captured() == [] and counts(till_dir)[0] == 0


def test_cash_and_card_split_then_partial_and_full_refund_against_the_intent(
        till_dir, fake_stripe, capsys):
    fake_stripe.set_reader(READER, auto_present="5555555555554444", auto_delay_s=0.1)
    code, out, err = sell(capsys, till_dir, "cash:1.00", "card")
    assert code == 0, err
    order = json.loads(out)
    card = next(p for p in order["payments"] if p["method"] == "card")
    assert card["amount"] == order["total"] - 100 and card["card_brand"] == "MASTERCARD"

    code, out, err = run(capsys, "refund", order["number"], "--line", "1:1",
                         "--data-dir", str(till_dir))
    assert code == 0, err
    first = json.loads(out)
    card_back = [p for p in first["payments"] if p["method"] == "card"]
    assert card_back and all(p["status"] == "done" and p["reference"].startswith("re_")
                             for p in card_back)
    code, out, err = run(capsys, "refund", order["number"], "--data-dir", str(till_dir))
    assert code == 0, err
    refunded = sum(r["amount"] for r in fake_stripe.refunds.values())
    assert refunded <= card["amount"]  # never more than was captured
    assert refunded == sum(p["amount"] for p in first["payments"] + json.loads(out)["payments"]
                           if p["method"] == "card")
    code, _, err = run(capsys, "refund", order["number"], "--data-dir", str(till_dir))
    assert code == 1  # nothing left to return: refused locally, Stripe not asked again
    assert sum(r["amount"] for r in fake_stripe.refunds.values()) == refunded


def test_a_card_refund_stripe_refuses_stays_pending_and_is_sent_again(till_dir, fake_stripe,
                                                                       capsys):
    fake_stripe.set_reader(READER, auto_present="4242424242424242", auto_delay_s=0.1)
    code, out, _ = sell(capsys, till_dir, "card")
    order = json.loads(out)
    fake_stripe.go_offline()
    code, out, err = run(capsys, "refund", order["number"], "--data-dir", str(till_dir))
    assert code == 4 and "pending" in err and "--retry-cards" in err
    assert [p["status"] for p in json.loads(out)["payments"]] == ["pending"]
    fake_stripe.go_online()
    code, out, err = run(capsys, "refund", "--retry-cards", "--data-dir", str(till_dir))
    assert code == 0, err
    assert [o["succeeded"] for o in json.loads(out).values()] == [True]
    code, out, _ = run(capsys, "refund", "--retry-cards", "--data-dir", str(till_dir))
    assert code == 0 and json.loads(out) == {}  # nothing owed: nothing sent twice
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [order["total"]]


def test_reader_setup_commands(till_dir, fake_stripe, capsys):
    fake_stripe.add_reader("tmr_back_office", label="Back office")
    code, out, _ = run(capsys, "stripe", "readers", "--json", "--data-dir", str(till_dir))
    readers = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and readers[READER]["selected"] and not readers["tmr_back_office"]["selected"]
    code, _, err = run(capsys, "stripe", "readers", "--use", "tmr_nope", "--data-dir",
                       str(till_dir))
    assert code == 1 and "no reader tmr_nope" in err
    code, _, _ = run(capsys, "stripe", "readers", "--use", "tmr_back_office", "--data-dir",
                     str(till_dir))
    code, out, _ = run(capsys, "config", "get", "stripe.reader_id", "--data-dir", str(till_dir))
    assert out.strip() == "tmr_back_office"
    code, _, err = run(capsys, "config", "set", "stripe.reader_id", "not a reader",
                       "--data-dir", str(till_dir))
    assert code == 1 and "reader id" in err
    code, out, _ = run(capsys, "stripe", "check", "--data-dir", str(till_dir))
    assert code == 0 and "ready" in out
    fake_stripe.set_reader("tmr_back_office", online=False)
    code, _, err = run(capsys, "stripe", "check", "--data-dir", str(till_dir))
    assert code == 1 and "offline" in err.lower()


def _wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.skipif(sys.platform == "win32", reason="kills with SIGKILL")
def test_killed_mid_payment_then_recovered_never_charges(till_dir, fake_stripe, capsys):
    """The till process dies while the reader waits; the customer taps anyway (the PI is
    authorised); recovery asks Stripe and voids it; the next sale charges once."""
    env = {**os.environ, "TILLPOINT_DATA_DIR": str(till_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "main.py", "sale", "--item", PEN, "--pay", "card"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        reader = lambda: fake_stripe.readers[READER]  # noqa: E731
        # the reader waits for the card and the till has written down that it does (killed
        # between the two, the attempt is still `created` here: a case of its own)
        _wait_for(lambda: (reader().get("action") or {}).get("status") == "in_progress"
                  and counts(till_dir)[1] == ["processing"])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    fake_stripe.present_card(READER, "4242424242424242")  # after the till died
    [pi] = fake_stripe.payment_intents.values()
    assert pi["status"] == "requires_capture"
    assert counts(till_dir) == (0, ["processing"])

    code, out, err = run(capsys, "stripe", "recover", "--data-dir", str(till_dir))
    assert code == 0 and json.loads(out)["settled"] == []  # followed a moment ago: left alone
    assert fake_stripe.payment_intents[pi["id"]]["status"] == "requires_capture"
    code, out, err = run(capsys, "stripe", "recover", "--all", "--data-dir", str(till_dir))
    assert code == 0, err
    [settled] = json.loads(out)["settled"]
    assert settled["state"] == "canceled" and settled["reference"] == pi["id"]
    assert fake_stripe.payment_intents[pi["id"]]["status"] == "canceled"
    assert fake_stripe.captured() == []

    fake_stripe.set_reader(READER, auto_present="4242424242424242", auto_delay_s=0.1)
    code, out, err = sell(capsys, till_dir, "card")
    assert code == 0, err
    assert len(fake_stripe.captured()) == 1 and counts(till_dir)[0] == 1


def test_store_credit_without_a_customer_is_refused_before_the_card_is_taken(
        till_dir, fake_stripe, capsys):
    fake_stripe.set_reader(READER, auto_present="4242424242424242", auto_delay_s=0.1)
    code, _, err = sell(capsys, till_dir, "card:5.00", "credit")
    assert code == 1 and "store credit needs a customer" in err
    assert fake_stripe.payment_intents == {} and counts(till_dir) == (0, [])


def test_card_money_without_a_sale_is_owed_until_refund_owed(till_dir, fake_stripe, capsys,
                                                            monkeypatch):
    """Cash then card, where recording the sale fails after the card was taken: the card is
    given back at once; if Stripe is gone by then, recover lists it and refund-owed pays it."""
    from app.cli import card_sale

    fake_stripe.set_reader(READER, auto_present="4242424242424242", auto_delay_s=0.1)
    def give_back_with_stripe_gone(payments, taken, *, staff_id):  # noqa: ANN001, ANN202
        fake_stripe.go_offline()
        return card_sale.give_back(payments, taken, staff_id=staff_id)

    # faults injected at the two seams: recording the sale fails, then Stripe goes away
    monkeypatch.setattr("app.cli.sale_cmd.give_back", give_back_with_stripe_gone)
    monkeypatch.setattr("app.cli.sale_cmd.checkout", _refusing_checkout)
    code, _, err = sell(capsys, till_dir, "card")
    assert code == 1 and "NOT refunded" in err and "taken without a sale" in err
    fake_stripe.go_online()
    code, out, err = run(capsys, "stripe", "recover", "--data-dir", str(till_dir))
    [owed] = json.loads(out)["taken_without_sale"]
    assert code == 1 and "refund-owed" in err
    code, _, err = run(capsys, "stripe", "refund-owed", "--data-dir", str(till_dir))
    assert code == 1 and "--attempt" in err
    code, out, err = run(capsys, "stripe", "refund-owed", "--attempt", owed["attempt_id"],
                         "--data-dir", str(till_dir))
    assert code == 0, err
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [owed["amount"]]
    code, out, _ = run(capsys, "stripe", "recover", "--data-dir", str(till_dir))
    assert code == 0 and json.loads(out)["taken_without_sale"] == []
    code, _, err = run(capsys, "stripe", "refund-owed", "--attempt", owed["attempt_id"],
                       "--data-dir", str(till_dir))
    assert code == 1 and len(fake_stripe.refunds) == 1  # given back once


def _refusing_checkout(*_args, **_kwargs):
    from app.domain.errors import RuleViolation

    raise RuleViolation("the store is read-only (a full disk)", field="sale")


def test_a_malformed_or_plain_http_api_base_is_said_in_words(till_dir, capsys, monkeypatch):
    monkeypatch.setenv("TILLPOINT_STRIPE_API_BASE", "127.0.0.1:12112")
    code, _, err = run(capsys, "stripe", "check", "--data-dir", str(till_dir))
    assert code == 1 and "TILLPOINT_STRIPE_API_BASE" in err and "not an http(s) address" in err
    monkeypatch.delenv("TILLPOINT_STRIPE_API_BASE")
    code, _, err = run(capsys, "config", "set", "stripe.api_base", "http://stripe.example.com",
                       "--data-dir", str(till_dir))
    assert code == 1 and "plain http" in err


@pytest.mark.skipif(sys.platform == "win32", reason="kills with SIGKILL")
def test_the_window_started_after_a_kill_mid_payment_voids_the_authorised_card(
        till_dir, fake_stripe, tmp_path):
    """The same crash, resolved by the real window's start-up (no command run by hand)."""
    env = {**os.environ, "TILLPOINT_DATA_DIR": str(till_dir), "PYTHONPATH": str(REPO),
           "QT_QPA_PLATFORM": "offscreen"}
    sale = subprocess.Popen([sys.executable, "main.py", "sale", "--item", PEN, "--pay", "card"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: (fake_stripe.readers[READER].get("action") or {}).get("status")
                  == "in_progress")
        os.kill(sale.pid, signal.SIGKILL)
        sale.wait(timeout=10)
    finally:
        if sale.poll() is None:
            sale.kill()
    fake_stripe.present_card(READER, "4242424242424242")
    [pi] = fake_stripe.payment_intents.values()
    assert pi["status"] == "requires_capture"

    window = subprocess.Popen([sys.executable, "main.py"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # voided at Stripe, then recorded in the till's own books
        _wait_for(lambda: counts(till_dir)[1] == ["canceled"], timeout=60)
    finally:
        window.terminate()
        try:
            window.wait(timeout=20)
        except subprocess.TimeoutExpired:
            window.kill()
    assert fake_stripe.payment_intents[pi["id"]]["status"] == "canceled"
    assert fake_stripe.captured() == [] and counts(till_dir)[0] == 0
