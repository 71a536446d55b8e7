"""Paged reads for the back office's big lists (a million products, every order of two years):
a list shows a window of rows, read a page at a time, never the whole table.

A ``RowSource`` is one list with its filters and order already chosen: how many rows it has
and the rows of one page, formatted for display (money, quantities and dates as the shop
reads them), each with the id its page opens. Sources are plain objects over SQL, testable
without Qt; ``ui.back_office.paged_model`` shows one in a Qt view. A new filter or order is a
new source (``with_order``), so a page read for an old one is never shown under a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # what ``with_order`` sorts by
    title: str
    numeric: bool = False  # right-aligned
    sortable: bool = True


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    cells: tuple[str, ...]  # one per column, as shown
    #: a short word the view may style the row by ("archived", "low", "cancelled"), or ""
    tone: str = ""


class RowSource(Protocol):
    columns: tuple[Column, ...]

    def count(self, session: Session) -> int:
        """How many rows the list has (the view's row count)."""

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        """Rows ``offset`` to ``offset + limit`` in the list's order (fewer at its end)."""

    def with_order(self, key: str, descending: bool) -> "RowSource":
        """The same list in another order (``key`` is a column's); unknown keys raise
        ``InvalidInput``."""
