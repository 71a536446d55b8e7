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

from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.coupons import CouponRules, check_coupon, normalise_code
from app.domain.errors import DomainError
from app.domain.pricing import CouponTerms, Discount
from server.coupons import repository as repo
from server.errors import ApiError

Doc = dict[str, Any]


def refuse(message: str, field: str = "coupon") -> ApiError:
    """The one way a coupon is refused: 422 naming the field."""
    return ApiError(422, "coupon_not_applicable", message, {"field": field})


def discount_of(coupon: Doc) -> Discount:
    if coupon["kind"] == "percent":
        return Discount.percent(int(coupon["value"]), field="coupon")
    return Discount.amount(int(coupon["value"]), field="coupon")


def rules_of(coupon: Doc) -> CouponRules:
    """The stored coupon as the domain's rules see it."""
    return CouponRules(code=coupon["code"], discount=discount_of(coupon),
                       valid_from=coupon.get("valid_from"), valid_to=coupon.get("valid_to"),
                       min_spend=int(coupon.get("min_spend", 0)),
                       usage_limit=coupon.get("usage_limit"),
                       per_customer_limit=coupon.get("per_customer_limit"),
                       active=bool(coupon.get("active")))


def _find(db: Database, code: str, session: ClientSession | None) -> Doc:
    try:
        normalised = normalise_code(code)
    except DomainError:
        raise refuse(f"there is no coupon {str(code)[:40]!r}") from None
    coupon = repo.by_code(db, normalised, session)
    if coupon is None:
        raise refuse(f"there is no coupon {normalised}")
    return coupon


def _check(coupon: Doc, *, customer_id: str | None, currency: str, now: datetime,
           used: int, used_by_customer: int) -> CouponTerms:
    """The domain's rules (window, limits, active), then the currency of an amount coupon."""
    try:
        terms = check_coupon(rules_of(coupon), now=now, used=used,
                             used_by_customer=used_by_customer,
                             customer_known=customer_id is not None)
    except DomainError as exc:
        raise refuse(exc.message) from None
    wanted = coupon.get("currency")
    if wanted and wanted != currency.upper():
        raise refuse(f"coupon {coupon['code']} is for sales in {wanted}, not {currency.upper()}")
    return terms


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def terms_for(db: Database, code: str, *, customer_id: str | None, currency: str,
              now: datetime | None = None,
              session: ClientSession | None = None) -> tuple[dict[str, Any], CouponTerms]:
    """Check that ``code`` may be used now by ``customer_id`` (a cart showing it, or an order
    about to redeem it) and return the coupon document and its pricing terms. Raises
    ``ApiError(422, ..., {"field": "coupon"})`` in words when it cannot (unknown, inactive,
    not yet / no longer valid, used up, per-customer limit reached, amount coupon in another
    currency). Does not count a use."""
    coupon = _find(db, code, session)
    by_customer = (repo.customer_uses(db, coupon["_id"], customer_id, session)
                   if customer_id else 0)
    terms = _check(coupon, customer_id=customer_id, currency=currency, now=_utc(now),
                   used=int(coupon.get("used", 0)), used_by_customer=by_customer)
    return coupon, terms


def redeem(db: Database, *, session: ClientSession, code: str, customer_id: str | None,
           order_id: str, currency: str) -> CouponTerms:
    """Count one use of ``code`` for ``order_id`` in the caller's transaction (exact under
    concurrency; idempotent per order) and return its terms; raises like ``terms_for`` when
    the coupon can no longer be used (e.g. the last use went to a concurrent order)."""
    coupon = _find(db, code, session)
    if repo.redemption(db, coupon["_id"], order_id, session) is not None:
        return CouponTerms(coupon["code"], discount_of(coupon), int(coupon.get("min_spend", 0)))
    by_customer = (repo.customer_uses(db, coupon["_id"], customer_id, session)
                   if customer_id else 0)
    terms = _check(coupon, customer_id=customer_id, currency=currency, now=_utc(None),
                   used=int(coupon.get("used", 0)), used_by_customer=by_customer)
    # The check above read a snapshot; the conditional $inc re-checks the limit against the
    # document itself, and a concurrent transaction that got there first makes this one fail
    # with a transient write conflict, whose retry reads the new count and is refused.
    if not repo.take_use(db, coupon, session):
        raise refuse(f"coupon {coupon['code']} has been used up")
    if customer_id is not None:
        if not repo.take_customer_use(db, coupon["_id"], customer_id,
                                      coupon.get("per_customer_limit"), session):
            repo.give_back_use(db, coupon["_id"], session)  # all or nothing, even if caught
            raise refuse(f"this customer has already used coupon {coupon['code']}")
    repo.insert_redemption(db, {"_id": repo.redemption_id(coupon["_id"], order_id),
                                "coupon_id": coupon["_id"], "code": coupon["code"],
                                "customer_id": customer_id, "order_id": order_id,
                                "at": datetime.now(timezone.utc)}, session)
    return terms


def unredeem(db: Database, *, session: ClientSession, order_id: str) -> None:
    """Give back the use counted for ``order_id`` (the order was cancelled before it was
    paid); idempotent."""
    for found in repo.redemptions_of_order(db, order_id, session):
        if not repo.delete_redemption(db, found["_id"], session):
            continue  # already given back
        repo.give_back_use(db, found["coupon_id"], session)
        if found.get("customer_id"):
            repo.give_back_customer_use(db, found["coupon_id"], found["customer_id"], session)


def record_offline_use(db: Database, *, session: ClientSession, code: str,
                       customer_id: str | None, order_id: str) -> str | None:
    """Count the use of ``code`` by a till sale that arrived by sync (beyond the contract, for
    ``record_till_order``). The sale happened, so the use is always counted, never refused;
    returns a flag for the order when it broke a rule the till could not check offline
    (``coupon_unknown``, ``coupon_over_limit``, ``coupon_over_customer_limit``), else
    ``None``. Idempotent per order."""
    try:
        coupon = _find(db, code, session)
    except ApiError:
        return "coupon_unknown"
    if repo.redemption(db, coupon["_id"], order_id, session) is not None:
        return None
    flag = None
    if not repo.take_use(db, coupon, session):
        repo.take_use(db, {**coupon, "usage_limit": None}, session)  # counted all the same
        flag = "coupon_over_limit"
    if customer_id is not None and not repo.take_customer_use(
            db, coupon["_id"], customer_id, coupon.get("per_customer_limit"), session):
        repo.take_customer_use(db, coupon["_id"], customer_id, None, session)
        flag = flag or "coupon_over_customer_limit"
    repo.insert_redemption(db, {"_id": repo.redemption_id(coupon["_id"], order_id),
                                "coupon_id": coupon["_id"], "code": coupon["code"],
                                "customer_id": customer_id, "order_id": order_id,
                                "at": datetime.now(timezone.utc), "offline": True}, session)
    return flag
