"""The back office's paged table model over a real store and the real task runner: rows read
a page at a time on the database worker, ``…`` until their page arrives, pages of an older
filter dropped, and a sort asks the source for a new order."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt

from app.back_office.paging import Column, Row
from ui.back_office.paged_model import LOADING, UNREADABLE, PagedTableModel


@dataclass
class Numbers:
    """Rows 0..size-1 (their square beside them); counts the pages it was asked for."""

    size: int
    descending: bool = False
    asked: list = field(default_factory=list)
    broken: bool = False  # every page read fails (a locked or damaged store)
    columns: tuple = (Column("n", "N", numeric=True), Column("square", "Square", sortable=False))

    def count(self, session) -> int:  # noqa: ANN001
        return self.size

    def rows(self, session, offset: int, limit: int) -> list[Row]:  # noqa: ANN001
        self.asked.append(offset)
        if self.broken:
            raise OSError("disk I/O error")
        numbers = range(offset, min(offset + limit, self.size))
        if self.descending:
            numbers = [self.size - 1 - n for n in numbers]
        return [Row(f"id-{n}", (str(n), str(n * n))) for n in numbers]

    def with_order(self, key: str, descending: bool) -> "Numbers":
        return Numbers(self.size, descending, self.asked)


def test_rows_come_a_page_at_a_time_and_only_the_pages_looked_at(qtbot, blank_shop, runner):
    source = Numbers(1_000_000)
    model = PagedTableModel(runner, blank_shop, source, page_size=200)
    assert model.rowCount() == 0  # nothing is read on the UI thread
    qtbot.waitUntil(lambda: model.rowCount() == 1_000_000)
    far = model.index(654_321, 1)
    with qtbot.waitSignal(model.page_loaded):
        assert model.data(far) == LOADING
    assert model.data(far) == str(654_321 ** 2)
    assert model.data(far, PagedTableModel.ID_ROLE) == "id-654321"
    assert source.asked == [654_200]  # one page read, not the table
    assert model.headerData(0, Qt.Orientation.Horizontal) == "N"
    assert model.data(model.index(5, 0), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def test_a_page_of_an_older_source_is_never_shown_under_the_new_one(qtbot, blank_shop, runner):
    model = PagedTableModel(runner, blank_shop, Numbers(1000), page_size=100)
    qtbot.waitUntil(lambda: model.rowCount() == 1000)
    with qtbot.waitSignal(model.counted):
        model.data(model.index(0, 0))  # page 0 of the ascending list is asked for …
        model.sort(0, Qt.SortOrder.DescendingOrder)  # … and the order changes before it arrives
    with qtbot.waitSignal(model.page_loaded):
        model.data(model.index(0, 0))
    assert model.data(model.index(0, 0)) == "999"
    model.sort(1)  # not sortable: nothing changes
    assert model.source.descending


def test_a_page_whose_read_failed_is_not_asked_for_again_until_the_list_is_read_again(
        qtbot, blank_shop, runner):
    source = Numbers(500, broken=True)
    model = PagedTableModel(runner, blank_shop, source, page_size=100)
    qtbot.waitUntil(lambda: model.rowCount() == 500)
    with qtbot.waitSignal(model.failed) as failed:
        model.data(model.index(150, 0))
    assert failed.args == ["disk I/O error"]
    for _repaint in range(5):  # the view repaints the same rows, events handled between
        for row in range(100, 200):
            assert model.data(model.index(row, 1)) == UNREADABLE
        qtbot.waitUntil(lambda: not runner.busy)
    assert source.asked == [100]  # one read, not one per repaint
    assert model.data(model.index(0, 0)) == LOADING  # another page is still asked for
    qtbot.waitUntil(lambda: source.asked == [100, 0] and not runner.busy)

    source.broken = False
    with qtbot.waitSignal(model.counted):
        model.refresh()
    with qtbot.waitSignal(model.page_loaded):
        assert model.data(model.index(150, 0)) == LOADING
    assert model.data(model.index(150, 0)) == "150"
