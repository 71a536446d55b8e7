"""Products often bought together. CONTRACT used by orders: ``record_order`` is called in the
same transaction as each new order. The recommendations owner implements it; its signature
stays.

Stored shape: ``co_purchases``: ``{_id: "<product_a>|<product_b>", a, b, count}`` for each
ordered pair of distinct products bought in one order (both directions, capped per order).
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database


def record_order(db: Database, *, session: ClientSession, order: dict[str, Any]) -> None:
    """Count the product pairs of a new order (its stored document)."""
    raise NotImplementedError
