"""Sales rollups. CONTRACT used by orders (and, later, sync): called in the same transaction
as each order and refund, so the reports never disagree with the orders. The reports owner
implements these; their signatures stay.

Stored shape: ``sales_rollups``: ``{_id: "<store_id>|<day>|<dimension>|<key>", store_id,
day: "YYYY-MM-DD" (in the store's timezone), dimension: "total" | "product" | "category" |
"cashier" | "payment" | "channel", key: str, orders: int, quantity_milli: int, gross: int,
discount: int, tax: int, total: int, refunds: int, refunded_amount: int}`` — every figure an
exact integer ($inc), so any range is a sum of days.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database


def apply_order(db: Database, *, session: ClientSession, order: dict[str, Any]) -> None:
    """Add a new order (its stored document, see ``server.orders.service``) to the rollups."""
    raise NotImplementedError


def apply_refund(db: Database, *, session: ClientSession, order: dict[str, Any],
                 refund: dict[str, Any]) -> None:
    """Add a refund of ``order`` (see ``server.orders.service`` for both shapes)."""
    raise NotImplementedError
