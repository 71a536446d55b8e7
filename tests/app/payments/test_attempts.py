"""CardPayments over a real local store: each attempt written before and after every provider
call, one open attempt per tender line, and crashes resolved by asking — never by charging again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.payments.attempts import NO_PROVIDER, CardPayments
from app.payments.base import AttemptState, ProviderUnavailable
from app.payments.terminal import StandaloneTerminal
from db.models import PaymentAttempt
from tests.app.payments.reader import Crash, LinkedReader

SALE = "0190b7c4-0000-7000-8000-000000000001"


def rows(store) -> list[tuple[int, int, str, str | None, str | None]]:
    with store.read() as s:
        return [(r.tender_index, r.attempt, r.status, r.card_brand, r.card_last4)
                for r in s.scalars(select(PaymentAttempt).order_by(
                    PaymentAttempt.tender_index, PaymentAttempt.attempt))]


@pytest.fixture
def terminal(store) -> CardPayments:
    return CardPayments(store, StandaloneTerminal())


@pytest.fixture
def reader(store) -> LinkedReader:
    return LinkedReader(store)


def test_no_provider_means_no_card_and_no_row(store):
    payments = CardPayments(store, None)
    assert payments.available() == (False, NO_PROVIDER)
    with pytest.raises(ProviderUnavailable) as err:
        payments.start(SALE, 0, 1234, "EUR")
    assert err.value.message == NO_PROVIDER and err.value.field == "pay"
    assert rows(store) == []


def test_standalone_terminal_waits_for_the_cashier_then_records_the_card(terminal, store):
    assert terminal.available() == (True, "")
    view = terminal.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.PROCESSING and view.needs_cashier
    assert view.message == "Key 12.34 into the card terminal, then confirm what it shows"
    assert (view.attempt, view.amount, view.amount_text) == (1, 1234, "12.34")
    assert terminal.status(view.attempt_id).needs_cashier  # polling changes nothing
    done = terminal.confirm(view.attempt_id, True, last4="4242", brand="visa")
    assert done.state is AttemptState.SUCCEEDED and not done.needs_cashier
    assert (done.card_brand, done.card_last4) == ("VISA", "4242")
    assert rows(store) == [(0, 1, "succeeded", "VISA", "4242")]
    assert [v.attempt_id for v in terminal.succeeded_for(SALE)] == [view.attempt_id]
    assert terminal.succeeded_for("another sale") == []


def test_a_declined_card_lets_the_same_tender_line_try_again(terminal, store):
    first = terminal.start(SALE, 0, 500, "EUR")
    declined = terminal.confirm(first.attempt_id, False)
    assert declined.state is AttemptState.FAILED and declined.message == "declined on the terminal"
    second = terminal.start(SALE, 0, 500, "EUR")
    assert second.attempt == 2
    terminal.confirm(second.attempt_id, True)
    assert rows(store) == [(0, 1, "failed", None, None), (0, 2, "succeeded", None, None)]


def test_a_second_start_for_a_tender_line_still_processing_is_refused(terminal, store):
    open_one = terminal.start(SALE, 0, 1000, "EUR")
    with pytest.raises(RuleViolation, match="still processing: ask its status") as err:
        terminal.start(SALE, 0, 1000, "EUR")
    assert err.value.field == "pay"
    other_line = terminal.start(SALE, 1, 250, "EUR")  # a split: another line is free to go
    assert rows(store) == [(0, 1, "processing", None, None), (1, 1, "processing", None, None)]
    terminal.confirm(open_one.attempt_id, True)
    with pytest.raises(RuleViolation, match="already paid by card"):
        terminal.start(SALE, 0, 1000, "EUR")
    assert len(rows(store)) == 2 and other_line.tender_index == 1


def test_double_confirm_returns_the_record_and_a_different_answer_changes_nothing(terminal, store):
    view = terminal.start(SALE, 0, 1234, "EUR")
    first = terminal.confirm(view.attempt_id, True, last4="4242", brand="visa")
    assert terminal.confirm(view.attempt_id, True, last4="4242") == first
    assert terminal.confirm(view.attempt_id, True) == first
    for approved, last4 in ((False, None), (True, "1111")):
        with pytest.raises(RuleViolation, match="already recorded as succeeded"):
            terminal.confirm(view.attempt_id, approved, last4=last4)
    with pytest.raises(RuleViolation, match="refund it instead"):
        terminal.cancel(view.attempt_id)
    assert rows(store) == [(0, 1, "succeeded", "VISA", "4242")]


@pytest.mark.parametrize("last4", ["12a4", "123", "12345", "４２４２", 4242, "42 42"])
def test_bad_last_four_digits_are_refused_and_change_nothing(terminal, store, last4):
    view = terminal.start(SALE, 0, 1234, "EUR")
    with pytest.raises(InvalidInput) as err:
        terminal.confirm(view.attempt_id, True, last4=last4)
    assert err.value.field == "last4"
    assert rows(store) == [(0, 1, "processing", None, None)]
    assert terminal.confirm(view.attempt_id, True, last4=" 0042 ").card_last4 == "0042"


def test_bad_brand_and_answer_are_refused(terminal, store):
    view = terminal.start(SALE, 0, 1234, "EUR")
    with pytest.raises(InvalidInput) as err:
        terminal.confirm(view.attempt_id, True, brand="x" * 21)
    assert err.value.field == "brand"
    with pytest.raises(InvalidInput):
        terminal.confirm(view.attempt_id, "yes")
    with pytest.raises(NotFound):
        terminal.confirm("no-such-attempt", True)
    assert rows(store) == [(0, 1, "processing", None, None)]


@pytest.mark.parametrize("args, field", [
    ((SALE, 0, 0, "EUR"), "amount"), ((SALE, 0, -5, "EUR"), "amount"),
    ((SALE, 0, 12.5, "EUR"), "amount"), ((SALE, 0, "12", "EUR"), "amount"),
    ((SALE, 0, 100, "EU"), "currency"), ((SALE, -1, 100, "EUR"), "pay"),
    ((SALE, True, 100, "EUR"), "pay"), (("", 0, 100, "EUR"), "pay"),
])
def test_bad_start_input_is_refused_before_anything_is_written(terminal, store, args, field):
    with pytest.raises(InvalidInput) as err:
        terminal.start(*args)
    assert err.value.field == field
    assert rows(store) == []


def test_cancel_with_the_standalone_terminal(terminal, store):
    view = terminal.start(SALE, 0, 800, "EUR")
    cancelled = terminal.cancel(view.attempt_id)
    assert cancelled.state is AttemptState.CANCELED and not cancelled.needs_cashier
    assert terminal.cancel(view.attempt_id) == cancelled  # idempotent
    with pytest.raises(RuleViolation, match="already recorded as canceled"):
        terminal.confirm(view.attempt_id, True)
    assert terminal.start(SALE, 0, 800, "EUR").attempt == 2


def test_the_row_is_written_before_the_provider_is_called_and_no_write_is_held(reader, store):
    payments = CardPayments(store, reader)
    view = payments.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.SUCCEEDED and view.reference == f"pi_{SALE}:0:1"
    # the reader saw the attempt already recorded as created (and the writer free: see reader)
    assert reader.calls == [("start", f"{SALE}:0:1", "created")]


def test_crash_after_the_charge_is_resolved_by_recover_never_charged_again(reader, store):
    reader.mode = "crash_after"
    with pytest.raises(Crash):
        CardPayments(store, reader).start(SALE, 0, 1234, "EUR")
    assert rows(store) == [(0, 1, "created", None, None)]  # the outcome never got written

    restarted = CardPayments(store, reader)  # a new process, the same reader
    with pytest.raises(RuleViolation, match="still created"):
        restarted.start(SALE, 0, 1234, "EUR")
    [resolved] = restarted.recover()
    assert resolved.state is AttemptState.SUCCEEDED and resolved.card_last4 == "4242"
    assert reader.charges == {f"{SALE}:0:1": 1234}  # one charge, found by asking
    assert rows(store) == [(0, 1, "succeeded", "VISA", "4242")]
    assert restarted.recover() == []  # nothing open any more


def test_crash_before_the_reader_saw_it_is_resolved_as_not_taken(reader, store):
    reader.mode = "crash_before"
    with pytest.raises(Crash):
        CardPayments(store, reader).start(SALE, 0, 1234, "EUR")
    reader.mode = "approve"
    restarted = CardPayments(store, reader)
    [resolved] = restarted.recover()
    assert resolved.state is AttemptState.CANCELED and reader.charges == {}
    retry = restarted.start(SALE, 0, 1234, "EUR")
    assert retry.attempt == 2 and retry.state is AttemptState.SUCCEEDED
    assert reader.charges == {f"{SALE}:0:2": 1234}


def test_a_crash_with_the_standalone_terminal_comes_back_to_the_cashier(store):
    crashed = CardPayments(store, StandaloneTerminal())
    view = crashed.start(SALE, 0, 1234, "EUR")
    with store.write() as s:  # as if the process died before the terminal's reply was written
        s.get(PaymentAttempt, view.attempt_id).status = "created"
    restarted = CardPayments(store, StandaloneTerminal())
    [open_one] = restarted.recover()
    assert open_one.state is AttemptState.PROCESSING and open_one.needs_cashier
    assert restarted.confirm(open_one.attempt_id, True).state is AttemptState.SUCCEEDED


def test_unavailable_provider_leaves_a_failed_row_and_the_next_try_a_new_key(reader, store):
    reader.mode = "offline"
    payments = CardPayments(store, reader)
    with pytest.raises(ProviderUnavailable, match="reader is offline"):
        payments.start(SALE, 0, 1234, "EUR")
    with store.read() as s:
        row = s.scalar(select(PaymentAttempt))
        assert (row.status, row.error_code) == ("failed", "payment_unavailable")
    reader.mode = "approve"
    assert payments.start(SALE, 0, 1234, "EUR").attempt == 2


def test_a_lost_reply_is_unknown_until_status_learns_the_outcome(reader, store):
    reader.mode = "timeout"
    payments = CardPayments(store, reader)
    lost = payments.start(SALE, 0, 1234, "EUR")
    assert lost.state is AttemptState.UNKNOWN and "no answer from the reader" in lost.message
    with pytest.raises(RuleViolation, match="still unknown"):
        payments.start(SALE, 0, 1234, "EUR")
    assert payments.status(lost.attempt_id).state is AttemptState.SUCCEEDED
    assert len(reader.charges) == 1


def test_polling_a_waiting_reader_then_cancel_or_success(reader, store):
    reader.mode = "wait"
    payments = CardPayments(store, reader)
    waiting = payments.start(SALE, 0, 700, "EUR")
    assert waiting.state is AttemptState.PROCESSING and not waiting.needs_cashier
    assert payments.status(waiting.attempt_id).message == "present card"
    with pytest.raises(RuleViolation, match="reports its own outcome"):
        payments.confirm(waiting.attempt_id, True)
    reader.finish(f"{SALE}:0:1", 700)
    assert payments.status(waiting.attempt_id).state is AttemptState.SUCCEEDED
    other = payments.start(SALE, 1, 300, "EUR")
    assert payments.cancel(other.attempt_id).state is AttemptState.CANCELED


def test_a_decided_payment_never_changes_even_if_the_provider_says_otherwise(reader, store):
    payments = CardPayments(store, reader)
    view = payments.start(SALE, 0, 900, "EUR")
    reader.seen[f"{SALE}:0:1"] = AttemptState.FAILED  # a confused provider
    assert payments.status(view.attempt_id).state is AttemptState.SUCCEEDED
    assert rows(store)[0][2] == "succeeded"


def test_an_attempt_of_a_provider_no_longer_set_up_is_left_for_it(reader, store):
    view = CardPayments(store, StandaloneTerminal()).start(SALE, 0, 1234, "EUR")
    switched = CardPayments(store, reader)
    with pytest.raises(ProviderUnavailable, match="taken with terminal"):
        switched.status(view.attempt_id)
    [left] = switched.recover()
    assert left.state is AttemptState.PROCESSING and reader.calls == []
    [none_set_up] = CardPayments(store, None).recover()
    assert none_set_up.attempt_id == view.attempt_id


def test_polling_an_unchanged_attempt_writes_nothing(reader, store):
    reader.mode = "wait"
    payments = CardPayments(store, reader)
    view = payments.start(SALE, 0, 700, "EUR")

    def updated_at():
        with store.read() as s:
            return s.get(PaymentAttempt, view.attempt_id).updated_at

    before = updated_at()
    assert all(payments.status(view.attempt_id) == view for _ in range(5))
    assert updated_at() == before
    reader.finish(f"{SALE}:0:1", 700)
    assert payments.status(view.attempt_id).state is AttemptState.SUCCEEDED
    assert updated_at() > before


def test_card_money_without_an_order_is_listed_until_refunded(store, reader):
    from datetime import datetime, timezone

    from app.payments.base import RefundOutcome

    payments = CardPayments(store, reader)
    taken = payments.start(SALE, 0, 1234, "EUR")
    assert [v.attempt_id for v in payments.taken_without_sale()] == [taken.attempt_id]
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    reader.refund = lambda *args: RefundOutcome(False, "the card network is down")
    with pytest.raises(RuleViolation) as err:
        payments.refund_without_sale(taken.attempt_id, staff_id="s", approved_by=None, now=now)
    assert "network is down" in err.value.message
    assert len(payments.taken_without_sale()) == 1  # still owed
    del reader.refund
    payments.refund_without_sale(taken.attempt_id, staff_id="s", approved_by=None, now=now)
    assert payments.taken_without_sale() == []
    assert rows(store) == [(0, 1, "succeeded", "VISA", "4242")]  # the money was taken, then given back


def test_only_the_cashiers_word_can_be_withdrawn(store, terminal, reader):
    from datetime import datetime, timezone

    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    by_reader = CardPayments(store, reader).start(SALE, 0, 500, "EUR")
    assert not by_reader.by_cashier
    with pytest.raises(RuleViolation):
        CardPayments(store, reader).withdraw_confirmed(by_reader.attempt_id, staff_id="s",
                                                       approved_by=None, now=now)
    keyed = terminal.start(SALE, 1, 700, "EUR")
    confirmed = terminal.confirm(keyed.attempt_id, True)
    assert confirmed.by_cashier
    withdrawn = terminal.withdraw_confirmed(keyed.attempt_id, staff_id="s", approved_by="m",
                                            now=now)
    assert withdrawn.state is AttemptState.CANCELED
    assert [v.attempt_id for v in terminal.succeeded_for(SALE)] == [by_reader.attempt_id]
