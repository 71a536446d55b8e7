"""TillController on a real RegisterSession and the real task runner: results become signals by
type, refusals name their field, approvals are asked for and retried, stale searches dropped."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput, NotFound
from app.domain.permissions import Permission
from app.till import ApprovalNeeded
from app.till.views import CartView, SignedIn
from tests.ui.till.conftest import CASHIER, WAIT_MS
from ui.till.controller import UNEXPECTED, ApprovalRequest


@pytest.fixture
def selling(till):  # noqa: ANN001, ANN201
    """Cara signed in with a shift open (no window: the controller alone)."""
    till.sign_in()
    till.open_shift()
    return till


def test_a_scan_announces_the_new_cart_then_calls_back(qtbot, selling, till_controller, demo_items):
    order: list[str] = []
    till_controller.cart_changed.connect(lambda view: order.append(f"signal {len(view.lines)}"))

    with qtbot.waitSignal(till_controller.cart_changed, timeout=WAIT_MS) as blocker:
        till_controller.call("scan", demo_items[0].barcode,
                             on_done=lambda view: order.append(f"done {len(view.lines)}"))
    selling.wait_idle()

    view = blocker.args[0]
    assert isinstance(view, CartView)
    assert [line.variant_id for line in view.lines] == [demo_items[0].variant_id]
    assert view.changed_index == 0
    assert order == ["signal 1", "done 1"]


def test_an_unknown_code_is_an_error_at_the_scan_field_with_a_beep(qtbot, selling, till_controller):
    errors: list[tuple[str, str]] = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))
    refused: list[BaseException] = []

    with qtbot.waitSignal(till_controller.error_sound, timeout=WAIT_MS):
        till_controller.call("scan", "2000000000008", on_error=refused.append)
    selling.wait_idle()

    assert errors and errors[0][0] == "scan"
    assert "unknown code" in errors[0][1]
    assert isinstance(refused[0], NotFound)
    assert selling.call("cart").empty


def test_a_bad_quantity_names_its_field_without_a_beep(qtbot, selling, till_controller, demo_items):
    selling.call("scan", demo_items[0].barcode)
    beeps: list[bool] = []
    till_controller.error_sound.connect(lambda: beeps.append(True))

    for text in ("0", "-1", "abc", "10001"):
        with pytest.raises(InvalidInput) as refused:
            selling.call("set_quantity", 0, text)
        assert refused.value.field == "quantity", text

    assert beeps == []
    assert selling.call("cart").lines[0].quantity_text == "1"


def test_a_void_asks_for_a_manager_and_the_retry_carries_the_approver(qtbot, selling, till_controller,
                                                                      demo_items):
    for item in demo_items[:2]:
        selling.call("scan", item.barcode)
    requests: list[ApprovalRequest] = []
    till_controller.approval_needed.connect(requests.append)

    with pytest.raises(ApprovalNeeded):
        selling.call("remove_line", 0)
    assert len(requests) == 1
    request = requests[0]
    assert request.permission == Permission.VOID
    assert request.method == "remove_line"
    assert len(selling.call("cart").lines) == 2  # nothing happened yet

    approver = selling.approve(Permission.VOID)
    with qtbot.waitSignal(till_controller.cart_changed, timeout=WAIT_MS) as blocker:
        request.retry(approver)
    selling.wait_idle()

    assert [line.variant_id for line in blocker.args[0].lines] == [demo_items[1].variant_id]


def test_only_the_answer_to_the_latest_search_text_is_announced(qtbot, selling, till_controller,
                                                                demo_items):
    word = demo_items[0].name.split()[0]
    announced: list[str] = []
    till_controller.search_results.connect(lambda result: announced.append(result.query))

    for end in range(2, len(word) + 1):  # one search per keystroke, as fast as a typist
        till_controller.search(word[:end])
    selling.wait_idle()

    assert announced == [word]


def test_busy_while_a_call_is_out_and_a_keyword_named_like_the_runners_passes_through(
        qtbot, selling, till_controller, demo_items):
    selling.call("scan", demo_items[0].barcode)
    changes: list[bool] = []
    till_controller.busy_changed.connect(changes.append)
    parked: list = []

    till_controller.call("park", label="blue coat", on_done=parked.append)
    assert till_controller.busy
    selling.wait_idle()

    assert changes == [True, False]
    assert [entry.label for entry in parked[0]] == ["blue coat"]


def test_a_bug_says_it_is_in_the_log(qtbot, selling, till_controller, caplog):
    errors: list[tuple[str, str]] = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))

    till_controller.call("add_item")  # a missing argument: a TypeError in the worker
    selling.wait_idle()

    assert errors == [("", UNEXPECTED)]
    assert "failed unexpectedly" in caplog.text


def test_lock_announces_locked_and_the_cart_comes_back_at_sign_in(qtbot, selling, till_controller,
                                                                  demo_items):
    selling.call("scan", demo_items[0].barcode)
    carts: list[CartView] = []

    with qtbot.waitSignal(till_controller.locked, timeout=WAIT_MS):
        till_controller.call("lock")
    selling.wait_idle()
    till_controller.cart_changed.connect(carts.append)
    signed = selling.sign_in()

    assert isinstance(signed, SignedIn) and signed.staff.name == CASHIER
    assert signed.cart is not None
    assert [line.variant_id for line in carts[-1].lines] == [demo_items[0].variant_id]


def test_selling_without_a_shift_is_refused_by_field(qtbot, till, till_controller, demo_items):
    till.sign_in()
    errors: list[tuple[str, str]] = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))

    till_controller.call("scan", demo_items[0].barcode)
    till.wait_idle()

    assert errors and errors[0][0] == "shift"
