"""What the stock tabs share: a paged table, the words of a refusal, and running a service in
one write transaction on the database worker."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.back_office.paging import RowSource
from app.domain.errors import DomainError
from ui.back_office.context import PageContext
from ui.back_office.paged_model import PagedTableModel


def reason(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return str(error)  # "field: what is wrong"
    return f"it did not work: {error}"


def paged_table(context: PageContext, source: RowSource, owner: QWidget,
                name: str) -> tuple[QTableView, PagedTableModel]:
    model = PagedTableModel(context.runner, context.store, source, owner)
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table, model


def write(context: PageContext, owner: QWidget, label: str, fn: Callable[..., Any],
          on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None],
          **kwargs: Any) -> None:
    """``fn(session, staff_id=<the person signed in>, **kwargs)`` in one write transaction on
    the database worker: the service checks the permission again, and a refusal writes
    nothing."""
    def run() -> Any:
        with context.store.write() as session:
            return fn(session, staff_id=context.user.id, **kwargs)

    context.runner.run(run, kind="db", label=label, owner=owner, on_success=on_success,
                       on_failure=on_failure)


def read(context: PageContext, owner: QWidget, label: str, fn: Callable[..., Any],
         on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None],
         *args: Any) -> None:
    def run() -> Any:
        with context.store.read() as session:
            return fn(session, *args)

    context.runner.run(run, kind="db", label=label, owner=owner, on_success=on_success,
                       on_failure=on_failure)
