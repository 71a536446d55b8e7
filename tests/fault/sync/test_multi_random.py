"""The randomised test: three tills of one store sell (random variants and quantities, some
with a coupon), refund, post stock, edit customers and products, while the owner edits the
catalogue and receives stock on the server; the tills sync at random moments, one at a time
or all at once, each through its own bad network (a seeded FlakyProxy with random faults),
and some ``tillpoint sync`` processes are SIGKILLed part-way. At the end the faults are
switched off, the tills settle, and the invariants must hold: the orders (and refunds) on the
server are exactly the union of the tills', each applied once; every stock level equals its
start plus the sum of its movements; every till agrees with the server on levels, catalogue
(versions and names), customers and what each order was refunded.

``TILLPOINT_FAULT_SEED`` replays a run; ``TILLPOINT_FAULT_ROUNDS`` (default 1) multiplies its
length."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from typing import Callable

import pytest
import requests
from sqlalchemy import select

from app.catalog_edit import update_product
from app.customers import update_customer
from app.domain.errors import DomainError
from app.domain.tenders import TenderMethod
from app.inventory import post_movement
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from db.models import Coupon, Customer, Order, Product, Refund, StaffUser, Variant
from tests.support.flaky_proxy import FaultPlan
from tests.support.sync_harness import Shop, Till, assert_converged, make_tills, settle

SEED = int(os.environ.get("TILLPOINT_FAULT_SEED", "0")) or random.randrange(1, 10**6)
SCALE = max(1, int(os.environ.get("TILLPOINT_FAULT_ROUNDS", "1")))
STEPS = 120 * SCALE
KILLS = 5 * SCALE
COUPON = "RANDOM10"
OWNER = ("owner@demo.tillpoint", "demo-password-123")  # seed-demo's owner (tests.support.tills)
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "notes")


class Owner:
    """The owner at the back office of the server itself (never through a faulty network)."""

    def __init__(self, shop: Shop) -> None:
        self.shop, self.http = shop, requests.Session()
        login = self.http.post(self.url("/auth/login"), timeout=30,
                               json={"email": OWNER[0], "password": OWNER[1]})
        assert login.status_code == 200, login.text
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    def url(self, path: str) -> str:
        return self.shop.process.url(f"/api/v1{path}")

    def call(self, method: str, path: str, body: dict) -> dict:
        response = self.http.request(method, self.url(path), json=body, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def rename(self, rng: random.Random) -> None:
        product_id = rng.choice([p["_id"] for p in self.shop.db.products.find({}, {"_id": 1})])
        suffix = rng.randint(1, 999)
        for _ in range(3):  # a killed till's push may still be committing an edit of it
            product = self.shop.db.products.find_one({"_id": product_id})
            response = self.http.patch(self.url(f"/products/{product_id}"), timeout=30, json={
                "version": product["version"], "name": f"{product['name'][:150]} ({suffix})"})
            if response.status_code != 409:
                break
        assert response.status_code == 200, response.text

    def receive(self, rng: random.Random, variant_id: str) -> None:
        self.call("POST", "/inventory/movements", {
            "kind": "receipt", "store_id": self.shop.store_id, "variant_id": variant_id,
            "quantity_milli": 1000 * rng.randint(1, 5)})


def staff_of(till: Till, role: str) -> str:
    with till.store.read() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.role == role,
                                                         StaffUser.active.is_(True)))


class Activity:
    """What the staff do at the tills, drawn from one seeded generator; counts what it did."""

    def __init__(self, rng: random.Random, tills: list[Till]) -> None:
        self.rng, self.tills, self.done = rng, tills, Counter()
        self.staff = {t.name: {r: staff_of(t, r) for r in ("manager", "stock_clerk")}
                      for t in tills}

    def sell(self, till: Till) -> None:
        cart = Cart()
        for variant_id in self.rng.sample(till.variants(), self.rng.randint(1, 3)):
            cart.add(variant_id, 1000 * self.rng.randint(1, 3))
        with till.store.write() as session:
            if self.rng.random() < 0.25 and session.scalar(
                    select(Coupon.id).where(Coupon.code == COUPON)):
                cart.coupon_code = COUPON
                self.done["sales with the coupon"] += 1
            checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                     staff_id=till.cashier)
        self.done["sales"] += 1

    def refund(self, till: Till) -> None:
        with till.store.write() as session:
            candidates = [o for o in session.scalars(select(Order).where(
                Order.channel == "till", Order.status == "delivered")) if any(
                    line.refunded_quantity_milli < line.quantity_milli for line in o.lines)]
            if not candidates:
                return
            order = self.rng.choice(candidates)
            lines = None
            if self.rng.random() < 0.6:
                line = self.rng.choice([ln for ln in order.lines
                                        if ln.refunded_quantity_milli < ln.quantity_milli])
                lines = [ReturnRequest(line.line_no, 1000)]
            refund(session, order_ref=order.id, staff_id=till.cashier, lines=lines,
                   reason="random return")
        self.done["refunds"] += 1

    def post_stock(self, till: Till) -> None:
        kind = self.rng.choice(("receipt", "adjustment"))
        quantity = 1000 * self.rng.randint(1, 4) * (1 if kind == "receipt" else -1)
        with till.store.write() as session:
            post_movement(session, staff_id=self.staff[till.name]["stock_clerk"],
                          variant_id=self.rng.choice(till.variants()), quantity_milli=quantity,
                          kind=kind, reason="random")
        self.done["stock posted at a till"] += 1

    def edit_customer(self, till: Till) -> None:
        field = self.rng.choice(("phone", "notes", "address"))
        value = f"+32 470 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}" \
            if field == "phone" else f"{field} from {till.name} #{self.rng.randint(1, 999)}"
        with till.store.write() as session:
            customer_id = self.rng.choice(list(session.scalars(select(Customer.id))))
            update_customer(session, staff_id=till.cashier, customer_id=customer_id,
                            changes={field: value})
        self.done["customer edits"] += 1

    def edit_product(self, till: Till) -> None:
        with till.store.write() as session:
            variant = session.get(Variant, self.rng.choice(till.variants()))
            update_product(session, staff_id=self.staff[till.name]["manager"],
                           product_id=variant.product_id, changes={},
                           variant_changes=[{"id": variant.id,
                                             "price": variant.price + self.rng.randint(1, 50)}])
        self.done["back office edits"] += 1


def random_plan(rng: random.Random) -> FaultPlan:
    """A network from fine to awful; a long delay outlasts the client's read timeout (2 s)."""
    return FaultPlan(refuse=rng.choice((0, 0.05, 0.15)), drop_request=rng.choice((0, 0.05, 0.1)),
                     drop_reply=rng.choice((0, 0.1, 0.25)), cut_reply=rng.choice((0, 0.05, 0.15)),
                     delay=rng.choice((0, 0.05, 0.1)), delay_s=rng.choice((0.1, 2.2)))


class Network:
    """One proxy per till in front of the shop's door; rounds through it, counted."""

    def __init__(self, shop: Shop, tills: list[Till], seed: int) -> None:
        self.tills = tills
        self.proxies = {t.name: shop.proxy(seed + n) for n, t in enumerate(tills)}
        self.rounds: Counter[str] = Counter()
        self._lock = threading.Lock()

    def round(self, till: Till, rng: random.Random) -> None:
        proxy = self.proxies[till.name]
        proxy.set_plan(random_plan(rng))
        result = till.round(till.client(proxy.url, attempts=rng.randint(1, 3)),
                            pull_limit=rng.choice((25, 100, 500)))
        with self._lock:
            self.rounds["ok" if result.succeeded else f"failed at {result.failed_step}"] += 1

    def all_at_once(self, rng: random.Random, meanwhile: Callable[[], object]) -> None:
        """Every till syncs at the same time while ``meanwhile`` runs (sales go on)."""
        seeds = [rng.randrange(10**9) for _ in self.tills]
        threads = [threading.Thread(target=self.round, args=(t, random.Random(s)))
                   for t, s in zip(self.tills, seeds)]
        for thread in threads:
            thread.start()
        meanwhile()
        for thread in threads:
            thread.join(120)
            assert not thread.is_alive(), "a sync round hung"

    def fates(self) -> dict[str, dict[str, int]]:
        return {name: dict(proxy.fates) for name, proxy in self.proxies.items()}

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()


def killed_sync(shop: Shop, till: Till, rng: random.Random, activity: Activity) -> str:
    """``tillpoint sync`` of ``till`` as a process over a slow, lossy door, SIGKILLed at a
    random moment (the till keeps selling meanwhile); how it ended."""
    # every reply through the door held 0.4 s, some lost (retried after a backoff): the
    # process lives about 1.5 s, the last second of it with a push or a page on the wire
    shop.faults(FaultPlan(delay=0.9, delay_s=0.4, drop_reply=0.1))
    try:
        process = till.spawn_sync()
        began = time.monotonic()
        deadline = time.monotonic() + rng.uniform(0.5, 1.8)
        while time.monotonic() < deadline and process.poll() is None:
            if rng.random() < 0.3:
                activity.sell(till)
            time.sleep(0.1)
        if process.poll() is not None:
            process.communicate()
            return "finished before the kill"
        process.kill()
        process.communicate()
        return f"killed after {time.monotonic() - began:.0f} s"
    finally:
        shop.faults(None)


def agreement_problems(shop: Shop, tills: list[Till]) -> list[str]:
    """The catalogue (versions, names, prices), customers, refunds and coupons of each till
    against the server's."""
    db, problems = shop.db, []
    currency = db.stores.find_one({"_id": shop.store_id})["currency"]
    products = {p["_id"]: (p["version"], p["name"], {
        v["id"]: (v.get("prices") or p.get("prices") or {}).get(currency) for v in p["variants"]})
        for p in db.products.find()}
    customers = {c["_id"]: {f: c.get(f) or "" for f in CUSTOMER_FIELDS}
                 for c in db.customers.find()}
    orders = {o["_id"]: (o.get("refunded_total", 0), o.get("coupon_code"))
              for o in db.orders.find({"store_id": shop.store_id, "channel": "till"})}
    refunds = {r["_id"] for r in db.refunds.find({"store_id": shop.store_id})}
    till_refunds: set[str] = set()
    for till in tills:
        with till.store.read() as session:
            here = {p.id: (p.version, p.name, {v.id: v.price for v in p.variants})
                    for p in session.scalars(select(Product))}
            people = {c.id: {f: getattr(c, f) or "" for f in CUSTOMER_FIELDS}
                      for c in session.scalars(select(Customer))}
            sold = {o.id: (o.refunded_total, o.coupon_code)
                    for o in session.scalars(select(Order).where(Order.channel == "till"))}
            till_refunds |= set(session.scalars(select(Refund.id)))
        for name, (ours, theirs) in (("products", (here, products)),
                                     ("customers", (people, customers))):
            differ = [k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)]
            if differ:
                problems.append(f"{till.name}: {len(differ)} {name} differ from the server's, "
                                f"e.g. {differ[0]}: {ours.get(differ[0])} != {theirs.get(differ[0])}")
        wrong = [o for o in sold if orders.get(o) != sold[o]]
        if wrong:
            problems.append(f"{till.name}: refunded total or coupon differs on {len(wrong)} "
                            f"orders, e.g. {sold[wrong[0]]} != {orders.get(wrong[0])}")
    if refunds != till_refunds:
        problems.append(f"refunds only on the tills {sorted(till_refunds - refunds)[:3]}, only "
                        f"on the server {sorted(refunds - till_refunds)[:3]}")
    return problems


@pytest.fixture
def three_tills(shop, tmp_path):
    Owner(shop).call("POST", "/coupons", {"code": COUPON, "kind": "percent", "value": "10"})
    made = make_tills(shop, 3, tmp_path)
    yield made
    for till in made:
        till.close()


def test_random_sales_faults_and_kills_converge(shop, three_tills):
    rng = random.Random(SEED)
    tills, owner = three_tills, Owner(shop)
    activity, network = Activity(rng, tills), Network(shop, tills, SEED)
    kill_at = set(rng.sample(range(STEPS), KILLS))
    endings: Counter[str] = Counter()

    def owner_renames(_: Till) -> None:
        owner.rename(rng)
        activity.done["owner renames"] += 1

    def owner_receives(till: Till) -> None:
        owner.receive(rng, rng.choice(till.variants()))
        activity.done["owner receipts"] += 1

    def everyone_syncs(_: Till) -> None:
        network.all_at_once(rng, lambda: [activity.sell(rng.choice(tills))
                                          for _ in range(rng.randint(0, 3))])

    steps = {activity.sell: 40, activity.refund: 7, activity.post_stock: 4,
             activity.edit_customer: 4, activity.edit_product: 3, owner_renames: 3,
             owner_receives: 2, everyone_syncs: 5, lambda till: network.round(till, rng): 22}
    try:
        for step in range(STEPS):
            till = rng.choice(tills)
            if step in kill_at:
                endings[killed_sync(shop, till, rng, activity)] += 1
                continue
            action = rng.choices(list(steps), list(steps.values()))[0]
            try:
                action(till)
            except DomainError as refused:  # e.g. a refund of what was returned already
                activity.done[f"refused: {type(refused).__name__}"] += 1
    finally:
        network.stop()
        shop.faults(None)
    passes = settle(tills)
    print(f"seed {SEED}: {STEPS} steps; {dict(activity.done)}; rounds {dict(network.rounds)}; "
          f"sync processes {dict(endings)}; settled in {passes} passes; fates "
          f"{network.fates()}")

    assert_converged(shop, tills)
    problems = agreement_problems(shop, tills)
    assert not problems, "\n".join(problems)
    statuses = Counter(m["status"] for m in shop.db.sync_mutations.find({}, {"status": 1}))
    issues = Counter(i.kind for t in tills for i in t.issues())
    print(f"mutations on the server {dict(statuses)}; issues at the tills {dict(issues)}")
    assert statuses["rejected"] == 0 and set(issues) <= {"conflict", "overridden"}
    assert activity.done["sales"] > 0 and network.rounds["ok"] > 0
