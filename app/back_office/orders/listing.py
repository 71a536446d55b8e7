"""All orders in one list: the sales rung up on this till (``orders``) and the orders the
server showed it (``remote_orders``: online orders, other registers' sales), read a page at a
time as one ``UNION ALL`` in the chosen order.

Filters go into each half of the union, so each half is read through its own index (status
then date: migration 0010) and SQLite merges the two ordered halves instead of sorting the
whole shop's history for one page. The count is the two halves' counts added up. Figures:
``python -m tests.perf.bench_order_list``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (ColumnElement, Select, false, func, literal, literal_column, or_,
                        select, union_all)
from sqlalchemy.orm import Session

from app.back_office.paging import Column, Row
from app.domain.errors import InvalidInput
from app.domain.money import format_amount
from app.domain.orders import OrderStatus, parse_status
from app.domain.text import contains_pattern
from app.sales.identity import this_register
from db.models import Customer, Order, RemoteOrder

CHANNELS = ("till", "online")
COLUMNS = (Column("number", "Number"), Column("date", "Date"),
           Column("channel", "Channel", sortable=False),
           Column("customer", "Customer", sortable=False),
           Column("status", "Status", sortable=False),
           Column("total", "Total", numeric=True), Column("paid", "Paid", numeric=True,
                                                          sortable=False))
#: tones the view styles rows by: orders that need nothing more, and orders waiting for the shop
TONES = {OrderStatus.CANCELLED.value: "cancelled", OrderStatus.REFUNDED.value: "cancelled",
         OrderStatus.CONFIRMED.value: "waiting", OrderStatus.PROCESSING.value: "waiting"}
_SORTS = {"date": "created_at", "number": "number", "total": "total"}
_REMOTE_NAME = func.json_extract(RemoteOrder.data, "$.shipping_address.name")
_REMOTE_EMAIL = func.json_extract(RemoteOrder.data, "$.email")
MAX_TEXT = 100


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What the list shows: every field left empty shows everything."""

    status: str = ""
    channel: str = ""  # till | online
    number: str = ""  # part of the order's number
    customer: str = ""  # part of the customer's name or email
    date_from: date | None = None  # the store's local days, both included
    date_to: date | None = None

    def checked(self) -> "OrderFilter":
        """The same filter with its texts trimmed; a bad one raises naming its field."""
        status = parse_status(self.status).value if self.status.strip() else ""
        channel = self.channel.strip().lower()
        if channel and channel not in CHANNELS:
            raise InvalidInput(f"{self.channel!r} is not a channel ({', '.join(CHANNELS)})",
                               field="channel")
        for field in ("number", "customer"):
            if len(getattr(self, field)) > MAX_TEXT:
                raise InvalidInput(f"at most {MAX_TEXT} characters", field=field)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("the first day is after the last one", field="date_to")
        return replace(self, status=status, channel=channel, number=self.number.strip(),
                       customer=self.customer.strip().lower())


def _zone(name: str) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class OrdersSource:
    """Every order, filtered by ``filter`` and in one order: a ``RowSource``."""

    columns = COLUMNS

    def __init__(self, filter: OrderFilter | None = None, *, order: str = "date",
                 descending: bool = True) -> None:
        if order not in _SORTS:
            raise InvalidInput(f"cannot sort orders by {order!r} ({', '.join(_SORTS)})",
                               field="order")
        self.filter = (filter or OrderFilter()).checked()
        self.order, self.descending = order, descending

    def with_order(self, key: str, descending: bool) -> "OrdersSource":
        return OrdersSource(self.filter, order=key, descending=descending)

    def with_filter(self, filter: OrderFilter) -> "OrdersSource":
        return OrdersSource(filter, order=self.order, descending=self.descending)

    # -- the two halves -----------------------------------------------------------------------
    def _bounds(self, session: Session) -> tuple[datetime | None, datetime | None]:
        """The filter's days as UTC instants (the store's days, not the server's)."""
        if self.filter.date_from is None and self.filter.date_to is None:
            return None, None
        zone = _zone(this_register(session)[0].timezone)

        def instant(day: date) -> datetime:
            return datetime.combine(day, time(), zone).astimezone(timezone.utc)

        start = instant(self.filter.date_from) if self.filter.date_from else None
        end = instant(self.filter.date_to + timedelta(days=1)) if self.filter.date_to else None
        return start, end

    def _local(self, session: Session, *, keys: bool) -> Select:
        """This till's orders that pass the filter: their count, or (``keys``) their id, sort
        key and table, read off the indexes where the filter allows."""
        f = self.filter
        if f.channel == "online":  # this till rings up no online orders
            where: list[ColumnElement[bool]] = [false()]
        else:
            where = [Order.channel == f.channel] if f.channel else []
        if f.status:
            where.append(Order.status == f.status)
        if f.number:
            where.append(Order.number.like(contains_pattern(f.number), escape="\\"))
        start, end = self._bounds(session)
        if start:
            where.append(Order.created_at >= start)
        if end:
            where.append(Order.created_at < end)
        if f.customer:
            pattern = contains_pattern(f.customer)
            where.append(or_(func.lower(Customer.name).like(pattern, escape="\\"),
                             func.lower(Customer.email).like(pattern, escape="\\")))
        key = getattr(Order, _SORTS[self.order])
        columns = ([Order.id.label("id"), key.label(_SORTS[self.order]),
                    literal(0).label("remote")] if keys else [func.count().label("n")])
        query = select(*columns).select_from(Order)
        if f.customer:
            query = query.join(Customer, Customer.id == Order.customer_id)
        return query.where(*where)

    def _remote(self, session: Session, *, keys: bool) -> Select:
        f = self.filter
        where = [RemoteOrder.channel == f.channel] if f.channel else []
        if f.status:
            where.append(RemoteOrder.status == f.status)
        if f.number:
            where.append(RemoteOrder.number.like(contains_pattern(f.number), escape="\\"))
        start, end = self._bounds(session)
        if start:
            where.append(RemoteOrder.created_at >= start)
        if end:
            where.append(RemoteOrder.created_at < end)
        if f.customer:
            pattern = contains_pattern(f.customer)
            where.append(or_(func.lower(_REMOTE_NAME).like(pattern, escape="\\"),
                             func.lower(_REMOTE_EMAIL).like(pattern, escape="\\")))
        key = getattr(RemoteOrder, _SORTS[self.order])
        columns = ([RemoteOrder.id.label("id"), key.label(_SORTS[self.order]),
                    literal(1).label("remote")] if keys else [func.count().label("n")])
        return select(*columns).select_from(RemoteOrder).where(*where)

    # -- RowSource ----------------------------------------------------------------------------
    def count(self, session: Session) -> int:
        return sum(session.scalar(half(session, keys=False)) or 0
                   for half in (self._local, self._remote))

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        """The page in two reads: which orders (ids and sort keys only: the merge of two
        index scans, so a page half way down 1.2 million orders costs the skipping of index
        entries, not of joined rows), then what the page shows of those few."""
        # ORDER BY on the compound itself, never on a subquery of it: SQLite then merges the
        # two halves, each read in order through its index and stopped at the page's end,
        # where a subquery is read whole and sorted
        key, tie = literal_column(_SORTS[self.order]), literal_column("id")
        ordering = [key.desc(), tie.desc()] if self.descending else [key.asc(), tie.asc()]
        page = session.execute(union_all(self._local(session, keys=True),
                                         self._remote(session, keys=True))
                               .order_by(*ordering).offset(offset).limit(limit)).all()
        local = [r.id for r in page if not r.remote]
        remote = [r.id for r in page if r.remote]
        shown: dict[tuple[int, str], tuple] = {}
        if local:
            for r in session.execute(
                    select(Order.id, Order.number, Order.created_at, Order.channel,
                           func.coalesce(Customer.name, ""), Order.status, Order.currency,
                           Order.total, Order.paid_total)
                    .outerjoin(Customer, Customer.id == Order.customer_id)
                    .where(Order.id.in_(local))):
                shown[(0, r[0])] = tuple(r[1:])
        if remote:
            for r in session.execute(
                    select(RemoteOrder.id, RemoteOrder.number, RemoteOrder.created_at,
                           RemoteOrder.channel, func.coalesce(_REMOTE_NAME, _REMOTE_EMAIL, ""),
                           RemoteOrder.status, RemoteOrder.currency, RemoteOrder.total,
                           func.coalesce(func.json_extract(RemoteOrder.data, "$.paid_total"),
                                         0))
                    .where(RemoteOrder.id.in_(remote))):
                shown[(1, r[0])] = tuple(r[1:])
        zone = _zone(this_register(session)[0].timezone)
        rows = []
        for entry in page:
            found = shown.get((int(entry.remote), entry.id))
            if found is None:
                continue  # gone between the two reads (a sync applied meanwhile)
            number, at, channel, customer, status, currency, total, paid = found
            rows.append(Row(entry.id, (number, _when(at, zone), channel, customer or "", status,
                                       format_amount(total, currency),
                                       format_amount(int(paid or 0), currency)),
                            TONES.get(status, "")))
        return rows


def _when(at: datetime | str | None, zone: ZoneInfo | timezone) -> str:
    """As ``app.printing.figures.local_time`` writes it, with the zone looked up once a page."""
    if at is None:
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)  # SQLite keeps UTC
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()
