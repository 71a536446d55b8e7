"""The coupon contract used by carts and orders (``terms_for`` / ``redeem`` / ``unredeem``),
over the real database: the domain's rules, and exact counting when many transactions race
for the last uses. Orders' checkout is built in parallel, so each racer here is a real
transaction of its own (``in_transaction`` + ``redeem``), as checkout will run it."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from server.coupons import service
from server.coupons.indexes import ensure_indexes
from server.database import in_transaction
from server.errors import ApiError

NOW = datetime.now(timezone.utc).replace(microsecond=0)  # what BSON keeps, exactly


def put_coupon(db, **fields) -> dict:
    """A coupon in the documented stored shape."""
    doc = {"_id": str(uuid.uuid4()), "code": f"C{uuid.uuid4().hex[:8].upper()}",
           "kind": "percent", "value": 100_000, "currency": None, "valid_from": None,
           "valid_to": None, "min_spend": 0, "usage_limit": None, "per_customer_limit": None,
           "active": True, "used": 0, "description": "", "version": 1, "created_at": NOW,
           "updated_at": NOW} | fields
    db.coupons.insert_one(doc)
    return doc


@pytest.fixture
def db(mongo):
    ensure_indexes(mongo.db)
    return mongo.db


def redeem_once(db, code: str, *, customer_id: str | None = None, order_id: str | None = None,
                currency: str = "EUR"):
    order_id = order_id or str(uuid.uuid4())
    return in_transaction(db, lambda s: service.redeem(db, session=s, code=code,
                                                       customer_id=customer_id,
                                                       order_id=order_id, currency=currency))


def refusal(call) -> str:
    with pytest.raises(ApiError) as caught:
        call()
    assert caught.value.status == 422 and caught.value.details == {"field": "coupon"}
    return caught.value.message


def race(db, code: str, threads: int, *, customer_id: str | None = None) -> tuple[int, list]:
    """``threads`` concurrent checkouts, each its own transaction; returns (wins, refusals)."""
    barrier = threading.Barrier(threads)
    wins: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def one() -> None:
        order_id = str(uuid.uuid4())
        barrier.wait()
        try:
            redeem_once(db, code, customer_id=customer_id, order_id=order_id)
            wins.append(order_id)
        except ApiError as exc:
            refused.append(exc.message)
        except BaseException as exc:  # anything else is a bug the test must show
            errors.append(exc)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    return len(wins), refused


def test_terms_follow_the_domain_rules(db):
    coupon = put_coupon(db, kind="percent", value=125_000, min_spend=2_000)
    found, terms = service.terms_for(db, coupon["code"].lower(), customer_id=None,
                                     currency="EUR")
    assert found["_id"] == coupon["_id"]
    assert terms.code == coupon["code"] and terms.discount.value == 125_000
    assert terms.min_spend == 2_000
    amount = put_coupon(db, kind="amount", value=500, currency="EUR")
    assert service.terms_for(db, amount["code"], customer_id=None, currency="eur")[1] \
        .discount.value == 500
    assert "USD" in refusal(lambda: service.terms_for(db, amount["code"], customer_id=None,
                                                      currency="USD"))


@pytest.mark.parametrize("fields, words", [
    ({"active": False}, "no longer active"),
    ({"valid_from": NOW + timedelta(days=1)}, "not valid before"),
    ({"valid_to": NOW - timedelta(days=1)}, "expired"),
    ({"usage_limit": 3, "used": 3}, "used up"),
    ({"per_customer_limit": 1}, "needs a customer"),
])
def test_a_coupon_that_cannot_be_used_is_refused_in_words(db, fields, words):
    coupon = put_coupon(db, **fields)
    assert words in refusal(lambda: service.terms_for(db, coupon["code"], customer_id=None,
                                                      currency="EUR"))
    assert words in refusal(lambda: redeem_once(db, coupon["code"]))
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == coupon["used"]
    assert db.coupon_redemptions.count_documents({}) == 0


def test_the_window_is_checked_at_the_given_time(db):
    coupon = put_coupon(db, valid_from=NOW, valid_to=NOW + timedelta(days=7))
    for at in (NOW, NOW + timedelta(days=3), NOW + timedelta(days=7)):
        service.terms_for(db, coupon["code"], customer_id=None, currency="EUR", now=at)
    for at, words in ((NOW - timedelta(seconds=1), "not valid before"),
                      (NOW + timedelta(days=7, seconds=1), "expired")):
        assert words in refusal(lambda: service.terms_for(db, coupon["code"], customer_id=None,
                                                          currency="EUR", now=at))


def test_unknown_and_malformed_codes_are_refused(db):
    assert "no coupon" in refusal(lambda: service.terms_for(db, "NOPE-123", customer_id=None,
                                                            currency="EUR"))
    assert "no coupon" in refusal(lambda: service.terms_for(db, "$where", customer_id=None,
                                                            currency="EUR"))
    assert "no coupon" in refusal(lambda: redeem_once(db, "x"))


def test_redeem_is_idempotent_per_order_and_unredeem_gives_the_use_back(db):
    coupon = put_coupon(db, usage_limit=2, per_customer_limit=2)
    order = str(uuid.uuid4())
    for _ in range(3):
        terms = redeem_once(db, coupon["code"], customer_id="cust-1", order_id=order)
        assert terms.code == coupon["code"]
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == 1
    assert db.coupon_usage.find_one({"_id": f"{coupon['_id']}:cust-1"})["count"] == 1
    redemption = db.coupon_redemptions.find_one({"order_id": order})
    assert redemption["_id"] == f"{coupon['_id']}:{order}"
    assert redemption["customer_id"] == "cust-1" and redemption["code"] == coupon["code"]
    for _ in range(2):
        in_transaction(db, lambda s: service.unredeem(db, session=s, order_id=order))
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == 0
    assert db.coupon_usage.find_one({"_id": f"{coupon['_id']}:cust-1"})["count"] == 0
    assert db.coupon_redemptions.count_documents({"order_id": order}) == 0
    in_transaction(db, lambda s: service.unredeem(db, session=s, order_id="never-redeemed"))


def test_a_refused_per_customer_use_does_not_keep_the_overall_use(db):
    """Even if a caller caught the refusal and committed, nothing of the attempt is kept."""
    coupon = put_coupon(db, usage_limit=10, per_customer_limit=1)
    redeem_once(db, coupon["code"], customer_id="c")

    def attempt_and_swallow(session):
        with pytest.raises(ApiError):
            service.redeem(db, session=session, code=coupon["code"], customer_id="c",
                           order_id=str(uuid.uuid4()), currency="EUR")

    in_transaction(db, attempt_and_swallow)
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == 1
    assert db.coupon_usage.find_one({"_id": f"{coupon['_id']}:c"})["count"] == 1
    assert db.coupon_redemptions.count_documents({"coupon_id": coupon["_id"]}) == 1


def test_concurrent_checkouts_never_overuse_the_overall_limit(db):
    limit = 4
    coupon = put_coupon(db, usage_limit=limit)
    wins, refused = race(db, coupon["code"], 12)
    assert wins == limit and len(refused) == 12 - limit
    assert all("used up" in m for m in refused)
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == limit
    assert db.coupon_redemptions.count_documents({"coupon_id": coupon["_id"]}) == limit


def test_concurrent_checkouts_of_one_customer_never_overuse_their_limit(db):
    coupon = put_coupon(db, per_customer_limit=2)
    wins, refused = race(db, coupon["code"], 10, customer_id="shopper")
    assert wins == 2 and all("already used" in m for m in refused)
    assert db.coupon_usage.find_one({"_id": f"{coupon['_id']}:shopper"})["count"] == 2
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == 2
    # another customer still has their own two uses
    redeem_once(db, coupon["code"], customer_id="someone-else")


def test_an_offline_till_use_is_always_counted_and_flagged_when_over_a_limit(db):
    coupon = put_coupon(db, usage_limit=1, per_customer_limit=1)

    def offline(order_id: str, customer_id: str | None = "c"):
        return in_transaction(db, lambda s: service.record_offline_use(
            db, session=s, code=coupon["code"], customer_id=customer_id, order_id=order_id))

    assert offline("till-1") is None
    assert offline("till-1") is None  # a sync retry counts nothing twice
    assert offline("till-2") == "coupon_over_limit"
    assert offline("till-3", customer_id=None) == "coupon_over_limit"
    assert db.coupons.find_one({"_id": coupon["_id"]})["used"] == 3
    assert db.coupon_usage.find_one({"_id": f"{coupon['_id']}:c"})["count"] == 2
    assert db.coupon_redemptions.count_documents({"coupon_id": coupon["_id"]}) == 3
    assert in_transaction(db, lambda s: service.record_offline_use(
        db, session=s, code="NOPE-1", customer_id=None, order_id="till-4")) == "coupon_unknown"
    other = put_coupon(db, per_customer_limit=1)
    for order_id, flag in (("t-a", None), ("t-b", "coupon_over_customer_limit")):
        assert in_transaction(db, lambda s: service.record_offline_use(
            db, session=s, code=other["code"], customer_id="c", order_id=order_id)) == flag
