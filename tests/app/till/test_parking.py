"""Parking a cart and resuming it, on this till and as the store feed brings other tills'
ones: real local stores, the real pull writer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.identity import this_register
from app.till.parking import list_parked, park_cart, take_parked
from app.till.receipts import email_receipt
from db.base import new_id
from db.models import AuditEntry, OutboxEntry, ParkedCart, Register
from sync.apply import BadEntry, apply_entity
from sync.apply.parked import sweep_parked
from tests.support import catalog

NOON = datetime(2024, 5, 1, 12, 5, tzinfo=timezone.utc)


@pytest.fixture
def till(blank_shop):
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        tea = catalog.product(s, "Tea", 450, stock_milli=10_000)
        cake = catalog.product(s, "Cake", 1210, stock_milli=5_000)
        store, register = this_register(s)
        ids = {"cashier": cashier.id, "tea": tea.id, "cake": cake.id, "store": store.id,
               "register": register.id}
    return blank_shop, ids


def _cart(ids) -> Cart:
    cart = Cart(coupon_code="SPRING", customer_id=None)
    cart.add(ids["tea"], 2000)
    cart.add(ids["cake"], 1000, unit_price=999, price_source="override")
    cart.set_line_discount(0, Discount.percent(100_000), approved_by=ids["cashier"])
    cart.order_discount = Discount.amount(50)
    return cart


def _counts(s) -> tuple[int, int, int]:
    return tuple(s.scalar(select(func.count()).select_from(m))
                 for m in (ParkedCart, OutboxEntry, AuditEntry))


def _outbox(s) -> list[tuple[str, str, dict]]:
    return [(e.kind, e.entity_id, json.loads(e.payload))
            for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]


def test_a_parked_cart_is_stored_queued_and_journalled_in_one_go(till):
    store, ids = till
    with store.write() as s:
        parked = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"],
                           label="  Anna\t— on\nhold ", now=NOON)
        parked_id = parked.id
    with store.read() as s:
        row = s.get(ParkedCart, parked_id)
        assert (row.label, row.store_id, row.register_id, row.staff_id) == (
            "Anna — on hold", ids["store"], ids["register"], ids["cashier"])
        assert Cart.from_json(row.payload) == _cart(ids)
        [(kind, entity_id, payload)] = _outbox(s)
        assert (kind, entity_id) == ("cart.parked", parked_id)
        assert payload == {"id": parked_id, "store_id": ids["store"],
                           "register_id": ids["register"], "register_code": "R01",
                           "staff_id": ids["cashier"], "label": "Anna — on hold",
                           "cart": json.loads(_cart(ids).to_json()),
                           "created_at": "2024-05-01T12:05:00+00:00"}
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "cart.parked"))
        assert (entry.entity_id, entry.actor_id) == (parked_id, ids["cashier"])


def test_labels_are_cleaned_and_default_to_the_time_in_the_stores_zone(till):
    store, ids = till
    with store.write() as s:
        this_register(s)[0].timezone = "Europe/Brussels"
        default = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label="", now=NOON)
        long = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label="x" * 300, now=NOON)
        assert default.label == "Parked 14:05"
        assert len(long.label) == 100 and long.label.endswith("…")
        with pytest.raises(InvalidInput) as bad:
            park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label=42, now=NOON)
        assert bad.value.field == "label"


def test_nothing_to_park_or_nobody_to_park_it_changes_nothing(till):
    store, ids = till
    with store.write() as s:
        before = _counts(s)
        with pytest.raises(RuleViolation) as empty:
            park_cart(s, cart=Cart(), staff_id=ids["cashier"], label="", now=NOON)
        assert empty.value.field == "lines"
        with pytest.raises(RuleViolation) as nobody:
            park_cart(s, cart=_cart(ids), staff_id="no-such-staff", label="", now=NOON)
        assert nobody.value.field == "staff"
        assert _counts(s) == before


def test_parked_carts_of_any_register_are_listed_oldest_first(till):
    store, ids = till
    with store.write() as s:
        other = Register(id=new_id(), store_id=ids["store"], code="R02", name="Till 2")
        s.add(other)
        s.flush()
        later = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label="later",
                          now=NOON + timedelta(minutes=5)).id
        s.add(ParkedCart(id=new_id(), store_id=ids["store"], register_id=other.id, label="earlier",
                         payload=_cart(ids).to_json(), created_at=NOON))
    with store.read() as s:
        assert [p.label for p in list_parked(s)] == ["earlier", "later"]
        assert list_parked(s)[1].id == later


def test_taking_a_parked_cart_gives_it_back_and_tells_the_server(till):
    store, ids = till
    with store.write() as s:
        parked_id = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label="Bob",
                              now=NOON).id
    with store.write() as s:
        cart = take_parked(s, parked_id, staff_id=ids["cashier"], now=NOON + timedelta(hours=1))
        assert cart == _cart(ids)
    with store.read() as s:
        assert s.get(ParkedCart, parked_id) is None
        assert _outbox(s)[1] == ("cart.resumed", parked_id, {
            "id": parked_id, "register_id": ids["register"], "staff_id": ids["cashier"],
            "label": "Bob", "at": "2024-05-01T13:05:00+00:00"})
        assert s.scalar(select(AuditEntry.entity_id).where(AuditEntry.action == "cart.resumed")) \
            == parked_id
    with store.write() as s:  # taken already (here, or elsewhere and synced since)
        before = _counts(s)
        with pytest.raises(NotFound) as gone:
            take_parked(s, parked_id, staff_id=ids["cashier"], now=NOON)
        assert gone.value.field == "parked" and "another till" in gone.value.message
        assert _counts(s) == before


@pytest.mark.parametrize("payload", ["{not json", '{"lines": [{"variant_id": "x"}]}',
                                     '{"lines": [{"variant_id": "x", "quantity_milli": -5, '
                                     '"discount": null, "unit_price": null, "price_source": '
                                     '"catalogue", "approved_by": null}], "order_discount": null, '
                                     '"coupon_code": null, "customer_id": null}', "[]"])
def test_a_damaged_parked_cart_is_refused_by_name_and_left_alone(till, payload):
    store, ids = till
    with store.write() as s:
        s.add(ParkedCart(id="damaged", store_id=ids["store"], register_id=ids["register"],
                         label="Kept for Eve", payload=payload, created_at=NOON))
    with store.write() as s:
        before = _counts(s)
        with pytest.raises(RuleViolation) as refused:
            take_parked(s, "damaged", staff_id=ids["cashier"], now=NOON)
        assert refused.value.field == "parked"
        assert "“Kept for Eve” is damaged and cannot be resumed" in refused.value.message
        assert _counts(s) == before


# -- the store feed's parked carts ------------------------------------------------------------

def _view(ids, cart_id: str, **changes) -> dict:
    view = {"id": cart_id, "store_id": ids["store"], "register_id": "reg-two",
            "register_code": "R02", "staff_id": ids["cashier"], "label": "From till 2",
            "cart": json.loads(_cart(ids).to_json()), "created_at": NOON.isoformat(),
            "version": 1}
    return {**view, **changes}


def _pull(s, ids, cart_id: str, op: str = "upsert", data: dict | None = None) -> bool:
    return apply_entity(s, "parked_cart", cart_id, op, data, store_id=ids["store"],
                        currency="EUR")


def test_a_pulled_parked_cart_is_listed_with_its_register_and_a_delete_removes_it(till):
    store, ids = till
    with store.write() as s:
        assert _pull(s, ids, "p-1", data=_view(ids, "p-1"))
    with store.read() as s:
        [row] = list_parked(s)
        assert (row.id, row.label, row.staff_id) == ("p-1", "From till 2", ids["cashier"])
        assert s.get(Register, row.register_id).code == "R02"
    with store.write() as s:  # a newer copy, from a staff member not here yet
        assert _pull(s, ids, "p-1", data=_view(ids, "p-1", label="Renamed", staff_id="new"))
    with store.read() as s:
        [row] = list_parked(s)
        assert (row.label, row.staff_id) == ("Renamed", None)
    with store.write() as s:
        assert _pull(s, ids, "p-1", op="delete")
    with store.read() as s:
        assert list_parked(s) == []


def test_a_cart_resumed_here_is_not_brought_back_by_a_pull_before_the_server_heard(till):
    store, ids = till
    with store.write() as s:
        _pull(s, ids, "p-2", data=_view(ids, "p-2"))
    with store.write() as s:
        assert take_parked(s, "p-2", staff_id=ids["cashier"], now=NOON) == _cart(ids)
    with store.write() as s:
        assert _pull(s, ids, "p-2", data=_view(ids, "p-2"))  # the page read before the push
    with store.read() as s:
        assert list_parked(s) == []


@pytest.mark.parametrize("change, field", [({"store_id": "elsewhere"}, "store_id"),
                                           ({"cart": "not a cart"}, "cart"),
                                           ({"label": "x" * 101}, "label")])
def test_a_bad_pulled_parked_cart_is_refused_naming_the_field(till, change, field):
    store, ids = till
    with store.write() as s:
        with pytest.raises(BadEntry) as bad:
            _pull(s, ids, "p-3", data=_view(ids, "p-3", **change))
        assert bad.value.field == field
        assert list_parked(s) == []


def test_a_fresh_snapshot_drops_carts_it_did_not_name_but_not_unsent_ones(till):
    store, ids = till
    with store.write() as s:
        _pull(s, ids, "p-4", data=_view(ids, "p-4"))
        mine = park_cart(s, cart=_cart(ids), staff_id=ids["cashier"], label="mine", now=NOON).id
        since = datetime.now(timezone.utc) + timedelta(seconds=1)
        assert sweep_parked(s, since=since) == 1
        assert [p.id for p in list_parked(s)] == [mine]


# -- emailed receipts -------------------------------------------------------------------------

def test_an_emailed_receipt_is_queued_behind_its_sale(till):
    store, ids = till
    with store.write() as s:
        cart = Cart()
        cart.add(ids["tea"], 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH, None)],
                         staff_id=ids["cashier"])
        order_id, number = order.id, order.number
    with store.write() as s:
        assert email_receipt(s, order_id=order_id, email=" Ada@Example.com ",
                             staff_id=ids["cashier"]) == "Receipt queued for ada@example.com"
        assert [(k, e) for k, e, _ in _outbox(s)] == [("order.created", order_id),
                                                       ("receipt.email", order_id)]
        assert _outbox(s)[1][2] == {"order_id": order_id, "number": number,
                                    "email": "ada@example.com", "staff_id": ids["cashier"]}


@pytest.mark.parametrize("email, order, field", [("not an address", True, "email"),
                                                 ("", True, "email"), (None, True, "email"),
                                                 ("a@b.example", False, "order")])
def test_a_bad_receipt_request_names_its_field_and_queues_nothing(till, email, order, field):
    store, ids = till
    with store.write() as s:
        cart = Cart()
        cart.add(ids["tea"], 1000)
        order_id = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH, None)],
                            staff_id=ids["cashier"]).id
    with store.write() as s:
        before = _counts(s)
        with pytest.raises((InvalidInput, NotFound)) as bad:
            email_receipt(s, order_id=order_id if order else "nope", email=email,
                          staff_id=ids["cashier"])
        assert bad.value.field == field
        assert _counts(s) == before
