"""A Qt table model over a ``RowSource``: the view asks for the rows it shows, the model reads
their page on the database worker and fills them in when it arrives. Nothing is read on the UI
thread and nothing but the pages looked at is held (a few hundred rows at a time, whatever the
table's size), so a list of a million products scrolls like one of a hundred.

Rows not read yet show ``LOADING``; the rows of a page whose read failed show ``UNREADABLE``
and that page is not asked for again (every repaint would otherwise send the database worker
another read that fails) until the list is read again (``refresh``, a new source). Every new source (a filter typed, a sort clicked) starts a
new generation: pages that arrive for an older one are dropped, so a slow page can never paint
rows of the previous filter into the new list.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.back_office.paging import PAGE_SIZE, Row, RowSource
from db.engine import LocalStore
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

LOADING = "…"
UNREADABLE = "⚠"
#: pages kept in memory (least recently used dropped first): 60 × 200 rows
CACHED_PAGES = 60
Index = QModelIndex | QPersistentModelIndex


class PagedTableModel(QAbstractTableModel):
    """Signals: ``counted(int)`` once a source's row count is known (tests and status labels
    wait for it), ``page_loaded(int)`` after a page's rows were filled in, ``failed(str)`` when
    a read failed (the list keeps what it had)."""

    counted = Signal(int)
    page_loaded = Signal(int)
    failed = Signal(str)
    TONE_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, runner: TaskRunner, store: LocalStore, source: RowSource,
                 parent: QObject | None = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._runner, self._store = runner, store
        self._page_size = page_size
        self._source = source
        self._generation = 0
        self._count = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self._pending: set[int] = set()
        self._unreadable: set[int] = set()  # pages whose read failed, until the next count
        self.set_source(source)

    # -- the source ---------------------------------------------------------------------------
    @property
    def source(self) -> RowSource:
        return self._source

    @property
    def known_count(self) -> int:
        return self._count

    def set_source(self, source: RowSource) -> None:
        """Show ``source`` (a new filter or order): its count is read, then its pages as the
        view asks. The old rows stay until the count arrives, so the list does not flash."""
        self._source = source
        self._generation += 1
        generation = self._generation
        self._runner.run(self._read_count, source, label="back office: count rows", owner=self,
                         on_success=lambda n: self._counted(generation, n),
                         on_failure=lambda exc: self._failed(generation, exc))

    def refresh(self) -> None:
        """Read the same source again (after an edit): rows keep their place meanwhile."""
        self.set_source(self._source)

    def _read_count(self, source: RowSource) -> int:
        with self._store.read() as session:
            return source.count(session)

    def _counted(self, generation: int, count: int) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._count = count
        self._pages.clear()
        self._pending.clear()
        self._unreadable.clear()
        self.endResetModel()
        self.counted.emit(count)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.failed.emit(str(exc))

    # -- pages --------------------------------------------------------------------------------
    def _page(self, row: int) -> list[Row] | None:
        number = row // self._page_size
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        if number not in self._pending and number not in self._unreadable:
            self._pending.add(number)
            generation, source = self._generation, self._source
            self._runner.run(self._read_page, source, number, label="back office: read rows",
                             owner=self,
                             on_success=lambda rows: self._loaded(generation, number, rows),
                             on_failure=lambda exc: self._page_failed(generation, number, exc))
        return None

    def _read_page(self, source: RowSource, number: int) -> list[Row]:
        with self._store.read() as session:
            return source.rows(session, number * self._page_size, self._page_size)

    def _loaded(self, generation: int, number: int, rows: list[Row]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(number)
        self._pages[number] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        first = number * self._page_size
        last = min(first + self._page_size, self._count) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(last, len(self._source.columns) - 1))
        self.page_loaded.emit(number)

    def _page_failed(self, generation: int, number: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._pending.discard(number)
        self._unreadable.add(number)
        log.warning("a page of the back office's list could not be read: %s", exc)
        self.failed.emit(str(exc))

    def row(self, row: int) -> Row | None:
        """The row at ``row`` if its page is read (``None`` while it loads)."""
        if not 0 <= row < self._count:
            return None
        page = self._page(row)
        if page is None:
            return None
        offset = row % self._page_size
        return page[offset] if offset < len(page) else None

    # -- QAbstractTableModel ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._source.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._source.columns):
            return None
        column = self._source.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(self._source.columns):
            return None
        column = self._source.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int((Qt.AlignmentFlag.AlignRight if column.numeric
                        else Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
                        Qt.ItemDataRole.ToolTipRole, self.TONE_ROLE, self.ID_ROLE):
            return None
        found = self.row(index.row())
        if found is None:
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            return UNREADABLE if index.row() // self._page_size in self._unreadable else LOADING
        if role == self.TONE_ROLE:
            return found.tone
        if role == self.ID_ROLE:
            return found.id
        return found.cells[index.column()]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._source.columns):
            return
        chosen = self._source.columns[column]
        if not chosen.sortable:
            return
        self.set_source(self._source.with_order(
            chosen.key, order == Qt.SortOrder.DescendingOrder))
