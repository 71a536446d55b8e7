"""Indexes of the back office's order list (no tables of its own): the list over every order
of two years filters by status and sorts by date (or total), on this till's sales and on the
orders the server showed it alike, so both tables are read through an index in that order
(``app.back_office.orders.listing``)."""

from __future__ import annotations

from sqlalchemy import Index

from db.models.sales import Order
from db.models.system import RemoteOrder

# each carries the order's id (the list's tie-break, and what a page reads first), so a page
# is found in the index alone; the date's carries the number too, for the number filter
Index("ix_orders_list_date", Order.created_at, Order.id, Order.number)
Index("ix_orders_list_status", Order.status, Order.created_at, Order.id)
Index("ix_orders_list_total", Order.total, Order.id)
Index("ix_remote_orders_list_date", RemoteOrder.created_at, RemoteOrder.id, RemoteOrder.number)
Index("ix_remote_orders_list_status", RemoteOrder.status, RemoteOrder.created_at,
      RemoteOrder.id)
Index("ix_remote_orders_list_total", RemoteOrder.total, RemoteOrder.id)
