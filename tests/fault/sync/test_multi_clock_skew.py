"""Tills whose clocks are hours off the server's, one ahead and one behind (and one stepped back
mid-session, as an NTP correction does): their sales and edits carry those times, and nothing
that matters depends on them. The server orders a till's mutations by its sequence, settles
customer fields by arrival, pages its feed by its own sequence numbers, and stamps what it
received with its own clock; every sale arrives once, also when a reply is lost."""

from __future__ import annotations

import contextlib
import time
import types
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from sqlalchemy import select

import db.base
import sync.apply
import sync.pull
from app.customers import update_customer
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from db.models import Customer, Order, Product
from server.catalog.schemas import ProductPatch
from server.catalog.service import patch_product
from tests.support.flaky_proxy import FaultPlan
from tests.support.sync_harness import Till, assert_converged, mutation_counts

AHEAD, BEHIND = timedelta(hours=5), timedelta(hours=-7)


@contextlib.contextmanager
def till_clock(monkeypatch: pytest.MonkeyPatch, offset: timedelta) -> Iterator[None]:
    """The till's clock reads ``offset`` off the real time: every timestamp and time-ordered id
    the local store writes, and the pull's own stamps (the server is another process: its
    clock stays right)."""
    class Skewed(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's signature
            return datetime.now(tz) + offset

    real_ns = time.time_ns
    clock = types.SimpleNamespace(time_ns=lambda: real_ns() + int(offset.total_seconds() * 1e9))
    with monkeypatch.context() as patch:
        patch.setattr(db.base, "datetime", Skewed)
        patch.setattr(db.base, "time", clock)
        patch.setattr(sync.pull, "datetime", Skewed)
        patch.setattr(sync.apply, "datetime", Skewed)
        yield


def sell_at(till: Till, variant_id: str, at: datetime) -> str:
    with till.store.write() as session:
        cart = Cart()
        cart.add(variant_id, 1000)
        return checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                        staff_id=till.cashier, now=at).id


def edit_customer(till: Till, customer_id: str, **changes: str) -> None:
    with till.store.write() as session:
        update_customer(session, staff_id=till.cashier, customer_id=customer_id,
                        changes=changes)


def local(till: Till, model, entity_id: str, field: str):  # noqa: ANN001, ANN201
    with till.store.read() as session:
        return getattr(session.get(model, entity_id), field)


def naive_utc(moment: datetime) -> datetime:
    """How the server's database hands a time back (UTC, naive, milliseconds)."""
    moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_hours_of_clock_skew_change_nothing(shop, two_tills, monkeypatch):
    ahead, behind = two_tills
    db, real_start = shop.db, datetime.now(timezone.utc)
    variants = ahead.variants()
    with ahead.store.read() as session:
        customer_id = session.scalar(select(Customer.id).order_by(Customer.name))
    sold_at: dict[str, datetime] = {}
    for n in range(6):  # interleaved in real time, hours apart on the tills' clocks
        for till, offset in ((ahead, AHEAD), (behind, BEHIND)):
            with till_clock(monkeypatch, offset):
                at = datetime.now(timezone.utc) + offset
                sold_at[sell_at(till, variants[n % len(variants)], at)] = at
    with till_clock(monkeypatch, AHEAD):  # first in real time, hours later on its own clock
        edit_customer(ahead, customer_id, phone="+32 470 55 55 01", notes="ahead, first")
        # its clock is stepped back 12 hours (NTP): its next edit is stamped before the last
        with till_clock(monkeypatch, BEHIND):
            edit_customer(ahead, customer_id, notes="ahead, second")
    with till_clock(monkeypatch, BEHIND):  # last in real time, earliest on its own clock
        edit_customer(behind, customer_id, phone="+32 470 55 55 02")
    with ahead.store.read() as session:
        stamps = [o.created_at for o in session.scalars(select(Order).order_by(Order.created_at))]
    assert stamps[0] > real_start + timedelta(hours=4)
    # what travels carries the till's time too (the last edit after the step back)
    queued = [e.created_at > real_start + timedelta(hours=4) for e in ahead.outbox()]
    assert queued == [True] * 7 + [False]

    # the ahead till's push is applied but its reply lost: every retry is answered again
    shop.faults(FaultPlan(drop_reply=1.0))
    with till_clock(monkeypatch, AHEAD):
        lost = ahead.round()
    shop.faults(None)
    assert lost.failed_step == "push" and ahead.pending() == 8
    assert sorted(mutation_counts(db, shop.store_id).values()) == [1] * 6
    for till, offset in ((ahead, AHEAD), (behind, BEHIND), (ahead, AHEAD)):
        with till_clock(monkeypatch, offset):
            done = till.round()
        assert done.ok and not done.pull.snapshot, done.problem()
    owner_edit = db.products.find_one({}, sort=[("name", 1)])
    patch_product(db, product_id=owner_edit["_id"], actor="test",
                  body=ProductPatch(version=owner_edit["version"], name="Renamed by the owner"))
    for till, offset in ((behind, BEHIND), (ahead, AHEAD)):
        with till_clock(monkeypatch, offset):
            done = till.round()
        assert done.ok and (done.pull.applied, done.pull.snapshot) == (1, False), done.summary()
        assert local(till, Product, owner_edit["_id"], "name") == "Renamed by the owner"
    real_end = datetime.now(timezone.utc)

    assert_converged(shop, two_tills)
    assert sorted(mutation_counts(db, shop.store_id).values()) == [1] * 12
    window = (naive_utc(real_start) - timedelta(seconds=1), naive_utc(real_end))
    for order in db.orders.find({"store_id": shop.store_id, "channel": "till"}):
        assert order["created_at"] == naive_utc(sold_at[order["_id"]])  # the till's, as told
        assert window[0] <= order["received_at"] <= window[1]  # the server's own
    for record in db.sync_mutations.find({"store_id": shop.store_id}):
        assert window[0] <= record["at"] <= window[1]

    kept = db.customers.find_one({"_id": customer_id})
    assert (kept["phone"], kept["notes"]) == ("+32 470 55 55 02", "ahead, second")
    assert window[0] <= kept["updated_at"] <= window[1]
    [conflict] = db.sync_conflicts.find({"entity_id": customer_id})
    assert (conflict["field"], conflict["overwritten"], conflict["device_id"]) == \
        ("phone", "+32 470 55 55 01", behind.device_id)
    for till in two_tills:
        assert local(till, Customer, customer_id, "phone") == "+32 470 55 55 02"
        assert local(till, Customer, customer_id, "notes") == "ahead, second"
    assert [i.kind for i in behind.issues()] == ["overridden"] and ahead.issues() == []
