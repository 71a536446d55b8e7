"""The Z-report view shows the service's figures: tax by rate as sold, refunded and net, what
price overrides gave away (and over how many lines), and card refunds still owed."""

from __future__ import annotations

from app.domain.permissions import Permission
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, show
from ui.till.zreport_view import ZReportView, tax_rows

pytestmark = OFFSCREEN_SIZE_HINTS


def _cells(view: ZReportView) -> list[tuple[str, ...]]:
    table = view.taxes
    return [tuple(table.item(row, column).text() for column in range(table.columnCount()))
            for row in range(table.rowCount())]


def _sell_with_an_override_then_refund(till, item) -> None:  # noqa: ANN001
    till.sign_in()
    till.open_shift("100.00")
    till.call("scan", item.barcode)
    till.call("scan", item.barcode)
    till.call("set_quantity", 0, "2")
    lower = item.price - 50
    till.call("override_price", 0, f"{lower // 100}.{lower % 100:02d}",
              approver_id=till.approve(Permission.OVERRIDE_PRICE))
    till.call("begin_payment")
    till.call("add_cash", None)
    sale = till.call("complete")
    # the receipt's barcode (the number alone would be a return without receipt)
    found = till.call("find_sale", sale.receipt_code)
    till.call("refund", sale.order_id, [(found.lines[0].line_no, "1")], "original",
              request_id=found.request_id)


def test_the_view_shows_taxes_sold_refunded_and_net_overrides_and_pending_refunds(
        qtbot, till, demo_items):
    _sell_with_an_override_then_refund(till, demo_items[0])
    report = till.call("shift_report")
    assert report.refunded_taxes and report.overrides_count == 1 and report.overrides == 100

    view = show(qtbot, ZReportView(), (900, 700))
    view.show_report(report)

    headers = [view.taxes.horizontalHeaderItem(c).text() for c in range(view.taxes.columnCount())]
    assert headers == ["Tax", "Rate", "Sold", "Refunded", "Net"]
    sold, refunded, net = report.taxes[0], report.refunded_taxes[0], report.net_taxes[0]
    assert _cells(view)[0] == (sold.name, sold.rate_text, sold.tax_text, refunded.tax_text,
                               net.tax_text)
    assert net.tax == sold.tax - refunded.tax
    assert view.values["overrides"].text() == f"{report.text['overrides']} (1 line)"
    assert view.values["overrides"].text().startswith("1.00")
    assert view.values["pending_card_refunds"].text() == report.text["pending_card_refunds"]
    assert view.values["refunds_count"].text() == "1"


def test_a_rate_only_refunded_still_gets_its_row(qtbot, till, demo_items):
    _sell_with_an_override_then_refund(till, demo_items[0])
    report = till.call("shift_report")
    only_refunded = report.__class__(**{
        **{name: getattr(report, name) for name in report.__slots__},
        "taxes": ()})
    rows = tax_rows(only_refunded)
    assert len(rows) == len(report.refunded_taxes)
    assert rows[0][2] == "0.00" and rows[0][3] == report.refunded_taxes[0].tax_text
