"""Indexes of the back office's order list (no tables of its own): the list over every order
of two years filters by status and sorts by date, on this till's sales and on the orders the
server showed it alike, so both tables are read through an index in that order."""

from __future__ import annotations

from sqlalchemy import Index

from db.models.sales import Order
from db.models.system import RemoteOrder

Index("ix_orders_status_created_at", Order.status, Order.created_at)
Index("ix_remote_orders_created_at", RemoteOrder.created_at)
Index("ix_remote_orders_status_created_at", RemoteOrder.status, RemoteOrder.created_at)
