"""Coupons. CONTRACT used by carts and orders (the coupons owner implements it and may add
more, but changes none of these signatures without updating every caller).

Stored shapes:
- ``coupons``: ``{_id: str (uuid4), code: str (normalised, unique), kind: "percent" |
  "amount", value: int (ppm for percent, minor units for amount), currency: str | None (for
  amount), valid_from: datetime | None, valid_to: datetime | None, min_spend: int (minor),
  usage_limit: int | None, per_customer_limit: int | None, active: bool, used: int,
  description: str, version, created_at, updated_at}``
- ``coupon_redemptions``: ``{_id: "<coupon_id>:<order_id>", coupon_id, code, customer_id |
  None, order_id, at}``; ``coupon_usage``: ``{_id: "<coupon_id>:<customer_id>", count}``.

Counting is exact under concurrent use: ``redeem`` increments ``used`` with a conditional
update (``used < usage_limit``) inside the order's transaction, so two checkouts racing for
the last use cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.pricing import CouponTerms


def terms_for(db: Database, code: str, *, customer_id: str | None, currency: str,
              now: datetime | None = None,
              session: ClientSession | None = None) -> tuple[dict[str, Any], CouponTerms]:
    """Check that ``code`` may be used now by ``customer_id`` (a cart showing it, or an order
    about to redeem it) and return the coupon document and its pricing terms. Raises
    ``ApiError(422, ..., {"field": "coupon"})`` in words when it cannot (unknown, inactive,
    not yet / no longer valid, used up, per-customer limit reached, amount coupon in another
    currency). Does not count a use."""
    raise NotImplementedError


def redeem(db: Database, *, session: ClientSession, code: str, customer_id: str | None,
           order_id: str, currency: str) -> CouponTerms:
    """Count one use of ``code`` for ``order_id`` in the caller's transaction (exact under
    concurrency; idempotent per order) and return its terms; raises like ``terms_for`` when
    the coupon can no longer be used (e.g. the last use went to a concurrent order)."""
    raise NotImplementedError


def unredeem(db: Database, *, session: ClientSession, order_id: str) -> None:
    """Give back the use counted for ``order_id`` (the order was cancelled before it was
    paid); idempotent."""
    raise NotImplementedError
