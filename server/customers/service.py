"""Customers. CONTRACT used by carts and orders (the customers owner implements it and may add
more, but changes none of these signatures without updating every caller).

Stored shape: ``customers``: ``{_id: str (uuid4), user_id: str | None (an online account),
email: str | None, name: str, phone: str, addresses: [{id, label, name, line1, line2, city,
postcode, region, country, phone}], marketing_opt_in: bool, notes: str, erased: bool,
version, created_at, updated_at}`` — till-born customers have no ``user_id``. Every write
appends a ``customer`` entry to the ``customers`` feed of ``server.changes.log``.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database


def customer_for_user(db: Database, user: dict[str, Any], *,
                      session: ClientSession | None = None) -> dict[str, Any]:
    """The customer record of an online account (``user`` is its ``users`` document), created
    on first use (idempotent: one record per user, even when two requests race)."""
    raise NotImplementedError
