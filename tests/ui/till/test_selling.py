"""The selling page driven by keystrokes, as a cashier with a scanner and a keyboard does it:
scanning, search as you type, favourites (the other keys: ``test_selling_keys``; its dialogs:
``test_selling_dialogs``). Real widgets offscreen, a real RegisterSession on the demo shop, the
real task runner."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton

from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.selling_support import (ENTER, ESC, OFFSCREEN_DIALOGS, cart_rows,
                                           dialog_message, dialog_named, page_of, press,
                                           scan_code, type_in, wait_closed, wait_rows,
                                           wait_scan_focused)

pytestmark = OFFSCREEN_DIALOGS


# -- scanning ----------------------------------------------------------------------------------

def test_three_scans_fill_the_cart_and_the_totals(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:3]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()

    cart = till.call("cart")
    page = page_of(selling_screen)
    assert [line.variant_id for line in cart.lines] == [i.variant_id for i in demo_items[:3]]
    assert page.findChild(QLabel, "totalLabel").text() == cart.total_text
    assert page.findChild(QLabel, "subtotalLabel").text() == cart.subtotal_text
    assert page.findChild(QLabel, "taxLabel").text() == cart.tax_text
    assert page.scan_field.text() == ""
    assert page.scan_field.hasFocus()
    assert page.selected_row() == 2  # the line just scanned is selected


def test_the_same_code_twice_adds_to_its_line(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    till.wait_idle()

    qtbot.waitUntil(lambda: page_of(selling_screen).cart_model.line(0).quantity_text == "2",
                    timeout=WAIT_MS)
    assert cart_rows(selling_screen) == 1


def test_an_unknown_code_says_so_in_words_and_beeps(qtbot, selling_screen, till, till_controller,
                                                    demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    page = page_of(selling_screen)

    with qtbot.waitSignal(till_controller.error_sound, timeout=WAIT_MS):
        scan_code(qtbot, selling_screen, "2000000000008")
    till.wait_idle()

    assert "unknown code 2000000000008" in page.message_label.text()
    assert cart_rows(selling_screen) == 1
    # the refused code stays, selected, so the next scan replaces it
    assert page.scan_field.text() == "2000000000008"
    assert page.scan_field.selectedText() == "2000000000008"
    assert page.scan_field.hasFocus()

    scan_code(qtbot, selling_screen, demo_items[1].barcode)
    wait_rows(qtbot, selling_screen, 2)
    qtbot.waitUntil(lambda: page.message_label.text() == "", timeout=WAIT_MS)


def test_garbage_in_the_scan_field_is_refused_at_the_field(qtbot, selling_screen, till,
                                                           till_controller):
    page = page_of(selling_screen)
    for garbage in ("%%%%", "12 34 ;;"):
        with qtbot.waitSignal(till_controller.error, timeout=WAIT_MS) as blocker:
            scan_code(qtbot, selling_screen, garbage)
        till.wait_idle()
        assert blocker.args[0] == "scan"
        assert page.message_label.text() == blocker.args[1] != ""
        page.scan_field.clear()
    assert till.call("cart").empty


def test_up_and_down_move_the_cart_selection_from_the_scan_field(qtbot, selling_screen, till,
                                                                 demo_items):
    for item in demo_items[:3]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()
    page = page_of(selling_screen)

    press(qtbot, selling_screen, Qt.Key.Key_Up)
    press(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    press(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    press(qtbot, selling_screen, Qt.Key.Key_Down)
    assert page.selected_row() == 1
    assert page.scan_field.hasFocus()

def test_a_half_typed_code_survives_the_answer_to_the_last_scan(qtbot, selling_screen, till,
                                                                till_controller, demo_items):
    """The scanner (or the cashier) is already typing the next code when the cart repaints."""
    field = page_of(selling_screen).scan_field
    first, second = demo_items[0].barcode, demo_items[1].barcode
    half = len(second) // 2
    with qtbot.waitSignal(till_controller.cart_changed, timeout=WAIT_MS):
        qtbot.keyClicks(field, first)
        qtbot.keyClick(field, ENTER)
        qtbot.keyClicks(field, second[:half])  # typed before the first answer came back
    qtbot.wait(20)  # the repaint and the focus call that follow the answer
    assert field.text() == second[:half] and field.hasFocus()

    qtbot.keyClicks(field, second[half:])
    qtbot.keyClick(field, ENTER)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    assert [line.variant_id for line in till.call("cart").lines] == [
        demo_items[0].variant_id, demo_items[1].variant_id]

# -- search as you type ------------------------------------------------------------------------

def _results(screen):  # noqa: ANN001, ANN202
    return page_of(screen).search_list


def _wait_results(qtbot, screen, query: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: _results(screen).open and _results(screen).query == query
                    and _results(screen).list.count() > 0, timeout=WAIT_MS)


def test_typing_letters_shows_results_under_the_field_and_enter_adds_the_first(
        qtbot, selling_screen, till):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastal")
    _wait_results(qtbot, selling_screen, "coastal")
    first = _results(selling_screen).current_hit()
    assert first is not None and "Coastal" in first.name
    list_widget = selling_screen.findChild(QListWidget, "searchResults")
    assert list_widget.isVisible()
    # under the scan field, as wide as it
    field_bottom = page.scan_field.mapTo(page, page.scan_field.rect().bottomLeft()).y()
    assert _results(selling_screen).geometry().top() >= field_bottom
    assert page.scan_field.hasFocus()

    qtbot.keyClick(page.scan_field, ENTER)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    assert till.call("cart").lines[0].variant_id == first.variant_id
    assert not _results(selling_screen).open
    assert page.scan_field.text() == ""


def test_down_chooses_another_result_and_a_typo_is_corrected(qtbot, selling_screen, till):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastl")
    _wait_results(qtbot, selling_screen, "coastl")
    assert "coastal" in selling_screen.findChild(QLabel, "searchNote").text()
    qtbot.keyClick(page.scan_field, Qt.Key.Key_Down)
    second = _results(selling_screen).current_hit()
    assert _results(selling_screen).list.currentRow() == 1

    qtbot.keyClick(page.scan_field, ENTER)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == second.variant_id


def test_esc_closes_the_results_then_clears_the_field(qtbot, selling_screen, till):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastal")
    _wait_results(qtbot, selling_screen, "coastal")

    qtbot.keyClick(page.scan_field, ESC)
    assert not _results(selling_screen).open
    assert page.scan_field.text() == "coastal"
    qtbot.keyClick(page.scan_field, ESC)
    assert page.scan_field.text() == ""
    till.wait_idle()
    qtbot.wait(100)  # a late answer to the closed search must not reopen it
    assert not _results(selling_screen).open
    assert till.call("cart").empty


def test_a_search_that_finds_nothing_says_so(qtbot, selling_screen, till):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, "qqqqzzzz")
    note = selling_screen.findChild(QLabel, "searchNote")
    qtbot.waitUntil(lambda: _results(selling_screen).open and "qqqqzzzz" in note.text(),
                    timeout=WAIT_MS)
    qtbot.keyClick(page.scan_field, ENTER)  # nothing chosen: Enter tries the text as a code
    till.wait_idle()
    qtbot.waitUntil(lambda: page.message_label.text() != "", timeout=WAIT_MS)
    assert till.call("cart").empty


def test_a_scanned_barcode_while_typing_is_not_taken_for_a_search_hit(qtbot, selling_screen, till,
                                                                      demo_items):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, demo_items[3].barcode)  # digits, then Enter at once
    qtbot.keyClick(page.scan_field, ENTER)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == demo_items[3].variant_id
    assert not _results(selling_screen).open

# -- favourites --------------------------------------------------------------------------------

def _buttons(qtbot, grid, at_least: int = 1) -> list[QPushButton]:  # noqa: ANN001
    qtbot.waitUntil(lambda: len(grid.item_buttons()) >= at_least, timeout=WAIT_MS)
    return grid.item_buttons()


def test_a_favourite_button_adds_its_item_and_a_weighed_one_asks_the_weight(qtbot, selling_screen,
                                                                           till):
    grid = page_of(selling_screen).favourites
    favourites = till.call("favourites")
    buttons = _buttons(qtbot, grid, len(favourites))
    by_piece = next(hit for hit in favourites if not hit.sold_by_weight)
    weighed = next(hit for hit in favourites if hit.sold_by_weight)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == by_piece.variant_id),
                     Qt.MouseButton.LeftButton)
    wait_rows(qtbot, selling_screen, 1)
    wait_scan_focused(qtbot, selling_screen)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == weighed.variant_id),
                     Qt.MouseButton.LeftButton)
    dialog = dialog_named(qtbot, "weightFieldDialog")
    type_in(qtbot, dialog, "weightField", "abc")
    till.wait_idle()
    assert dialog.isVisible() and dialog_message(dialog)
    type_in(qtbot, dialog, "weightField", "0.455")
    wait_closed(qtbot, dialog)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    line = till.call("cart").lines[1]
    assert line.variant_id == weighed.variant_id and line.quantity_milli == 455
    wait_scan_focused(qtbot, selling_screen)


def test_a_category_button_shows_that_categorys_items(qtbot, selling_screen, till):
    grid = page_of(selling_screen).favourites
    categories = till.call("categories")
    qtbot.waitUntil(lambda: len(grid.category_buttons()) == len(categories) + 1, timeout=WAIT_MS)
    category_id, name = categories[-1]
    expected = till.call("category_items", category_id)

    button = next(b for b in grid.category_buttons() if b.text().replace("&&", "&") == name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [b.property("variantId") for b in grid.item_buttons()]
                    == [hit.variant_id for hit in expected], timeout=WAIT_MS)
    assert button.isChecked()
    assert all(b.width() >= 44 and b.height() >= 44 for b in grid.item_buttons()[:8])
    wait_scan_focused(qtbot, selling_screen)
