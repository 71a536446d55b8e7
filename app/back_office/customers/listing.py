"""The customer list (a ``RowSource``): name, email, phone, orders and last purchase, searched
by name, email or phone digits ("0470 12" finds "+32 470 12 34 56"). Erased customers are not
listed. The orders and last purchase of a row count this till's sales and the orders the
server showed it (online, other registers); they are read for the rows of a page only, so
those two columns do not sort (sorting by them would add up every customer's orders)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.back_office.paging import Column, Row
from app.customers import match_clause
from app.domain.errors import InvalidInput
from db.models import Customer, Order, RemoteOrder

COLUMNS = (Column("name", "Name"), Column("email", "Email"), Column("phone", "Phone"),
           Column("orders", "Orders", numeric=True, sortable=False),
           Column("last", "Last purchase", sortable=False))
_ORDER = {"name": Customer.name, "email": Customer.email, "phone": Customer.phone}


def remote_customer_id():  # noqa: ANN201 - the customer an order the server showed is for
    # no index: SQLAlchemy cannot reflect one on an expression (a warning the models-and-
    # migrations test treats as an error); 20,000 such orders cost a page about 10 ms
    return func.json_extract(RemoteOrder.data, "$.customer_id")


def purchases_of(session: Session, ids: list[str]) -> dict[str, tuple[int, datetime | None]]:
    """Orders and the last purchase of each of ``ids``: this till's and the server's."""
    found: dict[str, tuple[int, datetime | None]] = {}

    def add(rows) -> None:  # noqa: ANN001
        for customer_id, count, last in rows:
            have_count, have_last = found.get(customer_id, (0, None))
            if isinstance(last, str):  # json/raw reads come back as text
                last = datetime.fromisoformat(last)
            newest = max((t for t in (have_last, last) if t is not None), default=None)
            found[customer_id] = (have_count + count, newest)

    if not ids:
        return found
    add(session.execute(select(Order.customer_id, func.count(), func.max(Order.created_at))
                        .where(Order.customer_id.in_(ids)).group_by(Order.customer_id)))
    ref = remote_customer_id()
    add(session.execute(select(ref, func.count(), func.max(RemoteOrder.created_at))
                        .where(ref.in_(ids)).group_by(ref)))
    return found


@dataclass(frozen=True, slots=True)
class CustomerSource:
    search: str = ""
    order: str = "name"
    descending: bool = False
    columns: tuple[Column, ...] = COLUMNS

    def __post_init__(self) -> None:
        if not isinstance(self.search, str):
            raise InvalidInput("must be text", field="search")

    def _query(self, what):  # noqa: ANN001, ANN202
        query = select(what).where(Customer.erased.is_(False))
        clause = match_clause(self.search)
        return query if clause is None else query.where(clause)

    def count(self, session: Session) -> int:
        return session.scalar(self._query(func.count()).select_from(Customer)) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        key = _ORDER[self.order]
        ordered = key.desc() if self.descending else key.asc()
        # the page's ids first, from the index alone (ix_customers_list_name covers the
        # default order), then only those rows: an offset deep in the list skips index
        # entries, not table rows
        ids = list(session.scalars(self._query(Customer.id).order_by(ordered, Customer.id)
                                   .offset(offset).limit(limit)))
        found = {r.id: r for r in session.execute(
            select(Customer.id, Customer.name, Customer.email, Customer.phone)
            .where(Customer.id.in_(ids), Customer.erased.is_(False)))}
        bought = purchases_of(session, ids)
        rows = []
        for customer_id in ids:
            r = found.get(customer_id)
            if r is None:  # erased or removed between the two reads (a sync applied): skipped
                continue
            count, last = bought.get(customer_id, (0, None))
            rows.append(Row(customer_id, (r.name, r.email or "", r.phone or "", str(count),
                                          last.strftime("%Y-%m-%d") if last else "")))
        return rows

    def with_order(self, key: str, descending: bool) -> "CustomerSource":
        if key not in _ORDER:
            raise InvalidInput(f"cannot sort customers by {key!r}", field="order")
        return replace(self, order=key, descending=descending)

    def with_search(self, text: str) -> "CustomerSource":
        return replace(self, search=text)
