"""What the register says about itself reaches the cashier: a total that changed since the cart
showed it (on the payment page), a held cart that came back without a discount that no longer
fits (on the selling page), and a card confirmed on the terminal that a manager takes off."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import update

from app.domain.permissions import Permission
from db.models import Variant
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.payment_support import till_payments  # noqa: F401 - fixture
from tests.ui.till.selling_support import (CTRL, ENTER, OFFSCREEN_DIALOGS, approve_with_keys,
                                           dialog_named, press, scan_code, wait_rows)

pytestmark = OFFSCREEN_DIALOGS


def _set_price(shop, variant_id: str, price: int) -> None:  # noqa: ANN001
    with shop.write() as session:
        session.execute(update(Variant).where(Variant.id == variant_id).values(price=price))


def _wait_payment(qtbot, screen) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: screen.current_page_name() == "payment"
                    and screen.payment_page.view is not None, timeout=WAIT_MS)
    qtbot.waitUntil(screen.payment_page.amount_field.hasFocus, timeout=WAIT_MS)


def test_a_total_changed_since_the_cart_showed_it_is_said_on_the_payment_page(
        qtbot, selling_screen, till, shop, demo_items):
    item = demo_items[0]
    scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    _set_price(shop, item.variant_id, item.price + 100)  # the back office changed it meanwhile

    press(qtbot, selling_screen, Qt.Key.Key_F12)
    _wait_payment(qtbot, selling_screen)
    page = selling_screen.payment_page
    assert page.notice.isVisible()
    assert page.notice.text().startswith("the total is now")
    assert page.view.total == item.price + 100

    # the cashier types an amount: the notice stays until the payment is over
    qtbot.keyClicks(page.amount_field, "abc")
    assert page.notice.isVisible() and page.notice.text() == page.view.notice
    page.amount_field.clear()
    press(qtbot, selling_screen, Qt.Key.Key_Escape)  # back to the cart
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    press(qtbot, selling_screen, Qt.Key.Key_F12)  # the same total now: nothing to say
    _wait_payment(qtbot, selling_screen)
    assert not page.notice.isVisible()


def test_a_held_cart_back_without_its_discount_says_so_on_the_selling_page(
        qtbot, selling_screen, till, shop, demo_items):
    item = demo_items[0]
    scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    discount = item.price // 2
    till.call("line_discount", 0, f"{discount // 100}.{discount % 100:02d}",
              approver_id=till.approve(Permission.DISCOUNT_OVER_LIMIT))
    till.call("lock")
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "signin", timeout=WAIT_MS)
    _set_price(shop, item.variant_id, discount - 1)  # the discount is now above the price

    notices: list[str] = []
    selling_screen.controller.notice.connect(notices.append)
    till.sign_in()
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    wait_rows(qtbot, selling_screen, 1)
    label = selling_screen.selling_page.message_label
    qtbot.waitUntil(lambda: bool(label.text()), timeout=WAIT_MS)
    assert notices and label.text() == notices[-1]
    assert "discount" in label.text()
    assert label.property("kind") == "notice" and label.isVisible()
    assert till.call("cart").discount_total == 0


def test_a_card_confirmed_on_the_terminal_is_removed_with_a_manager(
        qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    press(qtbot, selling_screen, Qt.Key.Key_F12)
    _wait_payment(qtbot, selling_screen)
    page = selling_screen.payment_page

    press(qtbot, selling_screen, Qt.Key.Key_F2)  # card for the whole due: the terminal asks
    qtbot.waitUntil(lambda: page.card_approved.isVisible(), timeout=WAIT_MS)
    press(qtbot, selling_screen, ENTER)  # the terminal showed "approved"
    qtbot.waitUntil(lambda: page.view.card is None and len(page.view.tenders) == 1,
                    timeout=WAIT_MS)
    tender = page.view.tenders[0]
    assert not tender.removable and tender.removable_by_manager
    assert page.remove_button.isEnabled()
    assert "manager" in page.tender_list.item(0).text()

    press(qtbot, selling_screen, Qt.Key.Key_Delete, CTRL)
    dialog_named(qtbot, "approvalDialog")
    approve_with_keys(qtbot)
    qtbot.waitUntil(lambda: page.view.tenders == (), timeout=WAIT_MS)
    till.wait_idle()
    assert page.view.paid == 0 and page.view.due == page.view.total
    qtbot.waitUntil(page.amount_field.hasFocus, timeout=WAIT_MS)
