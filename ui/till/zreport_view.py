"""The Z-report of a shift as the cashier and the manager read it at the close (or, while the
shift is open, its running figures): every amount the service formatted, in one place."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QGridLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.domain.money import format_amount
from app.till.views import ZReport

#: (field of ZReport, what the row says, is it money) in reading order
FIGURES: tuple[tuple[str, str, bool], ...] = (
    ("sales_count", "Sales", False),
    ("gross_sales", "Gross sales", True),
    ("discounts", "Discounts", True),
    ("net_sales", "Net sales", True),
    ("tax", "Tax", True),
    ("refunds_count", "Refunds", False),
    ("refunds", "Refunded", True),
    ("refunded_tax", "Refunded tax", True),
    ("voids_count", "Voids", False),
    ("voids", "Voided", True),
    ("overrides", "Price overrides", True),
    ("pending_card_refunds", "Card refunds pending", True),
    ("opening_float", "Opening float", True),
    ("cash_sales", "Cash sales", True),
    ("cash_refunds", "Cash refunds", True),
    ("cash_in", "Cash in", True),
    ("cash_out", "Cash out", True),
    ("expected_cash", "Expected cash", True),
    ("counted_cash", "Counted cash", True),
    ("difference", "Difference", True),
)


def figure_text(report: ZReport, name: str, money: bool) -> str:
    """The service's own text for a figure; counts are plain numbers; an unknown yet is "—"."""
    value = getattr(report, name)
    if value is None:
        return "—"
    if not money:
        return str(value)
    # the service formats every amount; the domain's formatter only covers a key it left out
    text = report.text.get(name) or format_amount(value, report.currency)
    if name == "overrides":  # what the overrides gave away only reads with how many there were
        lines = "line" if report.overrides_count == 1 else "lines"
        text = f"{text} ({report.overrides_count} {lines})"
    return text


def tax_rows(report: ZReport) -> list[tuple[str, str, str, str, str]]:
    """One row per tax rate: sold, refunded and net, each as the service formatted it (a rate
    only refunded this shift, on an older sale, still gets its row)."""
    keys: list[tuple[str, str]] = []
    columns: list[dict[tuple[str, str], str]] = []
    for lines in (report.taxes, report.refunded_taxes, report.net_taxes):
        texts = {}
        for line in lines:
            key = (line.name, line.rate_text)
            texts[key] = line.tax_text
            if key not in keys:
                keys.append(key)
        columns.append(texts)
    zero = format_amount(0, report.currency)
    return [(name, rate, *(texts.get((name, rate), zero) for texts in columns))
            for name, rate in keys]


class ZReportView(QWidget):
    """``zReportView``: the figures (``z_<field>`` labels), tenders and taxes of a ZReport."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("zReportView")
        self.setAccessibleName("Z-report")
        self._report: ZReport | None = None

        self.heading = QLabel("Z-report")
        self.heading.setObjectName("zHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)

        self.values: dict[str, QLabel] = {}
        figures = QGridLayout()
        half = (len(FIGURES) + 1) // 2
        for position, (name, caption, _money) in enumerate(FIGURES):
            label = QLabel(caption)
            value = QLabel("—")
            value.setObjectName(f"z_{name}")
            value.setAccessibleName(caption)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setBuddy(value)
            row, column = position % half, (position // half) * 2
            figures.addWidget(label, row, column)
            figures.addWidget(value, row, column + 1)
            self.values[name] = value
        figures.setColumnMinimumWidth(2, 24)

        self.tenders = _table("zTenders", "Tenders", ("Tender", "Sales", "Refunds", "Net"))
        self.taxes = _table("zTaxes", "Taxes", ("Tax", "Rate", "Sold", "Refunded", "Net"))

        tables = QFormLayout()
        tables.addRow("By tender", self.tenders)
        tables.addRow("By tax rate", self.taxes)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(figures)
        layout.addLayout(tables)

    @property
    def report(self) -> ZReport | None:
        return self._report

    def show_report(self, report: ZReport) -> None:
        self._report = report
        state = "closed" if report.closed_at is not None else "running"
        by = report.closed_by or report.opened_by
        self.heading.setText(f"Z-report · {report.register_code} · {state} · {by}")
        for name, caption, money in FIGURES:
            self.values[name].setText(figure_text(report, name, money))
        difference = report.difference
        self.values["difference"].setProperty(
            "state", "" if not difference else ("short" if difference < 0 else "over"))
        self._fill(self.tenders, [(t.label, _money(report, t.sales), _money(report, t.refunds),
                                   t.net_text) for t in report.tenders])
        self._fill(self.taxes, tax_rows(report))

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
        table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
        table.setFixedHeight(table.horizontalHeader().height() + 4
                             + sum(table.rowHeight(r) for r in range(len(rows))))


def _money(report: ZReport, minor: int) -> str:
    return format_amount(minor, report.currency)


def _table(name: str, accessible: str, headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setAccessibleName(accessible)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table
