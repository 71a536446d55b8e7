"""Table models for an import's preview: its errors (row, column, why) and its first rows as
they will be imported. Both are read from the preview already in memory (a model, never a
widget per row, however many errors a file has)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.back_office.data.plan import Preview

Index = QModelIndex | QPersistentModelIndex


class _Rows(QAbstractTableModel):
    def __init__(self, headers: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._headers = headers
        self._rows: list[tuple[str, ...]] = []

    def set_rows(self, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        self.beginResetModel()
        self._headers, self._rows = headers, rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) and index.isValid():
            return self._rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def cell(self, row: int, column: int) -> str:
        return self._rows[row][column]


class ErrorsModel(_Rows):
    HEADERS = ("Row", "Column", "What is wrong")

    def __init__(self) -> None:
        super().__init__(self.HEADERS)

    def show(self, preview: Preview | None) -> None:
        rows = [] if preview is None else \
            [(str(e.row), e.column or "(whole row)", e.message) for e in preview.errors]
        self.set_rows(self.HEADERS, rows)


class SampleModel(_Rows):
    """The first rows of the file, each with what the import does with it."""

    def show(self, preview: Preview | None) -> None:
        if preview is None:
            self.set_rows((), [])
            return
        self.set_rows(("Row", "Action", *preview.columns),
                      [(str(s.row), s.action, *s.cells) for s in preview.sample])
