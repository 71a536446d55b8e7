"""``/api/v1/coupons`` in-process over the real database: create, list, read, edit with a
version check, deactivate, redemptions, the ``catalog`` feed entries and audit trail, and bad
input refused with 422 naming the field (writing nothing)."""

from __future__ import annotations

import uuid

import pytest

from server.coupons import service
from server.database import in_transaction
from tests.server.test_users import as_role

API = "/api/v1/coupons"


@pytest.fixture
def owner(client):
    return as_role(client, "owner")[1]


def body(**overrides) -> dict:
    return {"code": f"save-{uuid.uuid4().hex[:6]}", "kind": "percent", "value": "12.5",
            "valid_from": "2026-01-01T00:00:00+01:00", "valid_to": "2027-01-01T00:00:00Z",
            "min_spend": 1000, "usage_limit": 100, "per_customer_limit": 1,
            "description": "winter sale"} | overrides


def create(client, headers, **overrides) -> dict:
    response = client.post(API, json=body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def feed(client, coupon_id: str) -> list[dict]:
    db = client.app.state.mongo.db
    return list(db.change_log.find({"feed": "catalog", "entity": "coupon",
                                    "entity_id": coupon_id}).sort("seq", 1))


def test_create_read_and_sync_a_percent_coupon(client, owner):
    created = create(client, owner, code=" Winter-25 ")
    assert created["code"] == "WINTER-25" and created["kind"] == "percent"
    assert created["value"] == "12.5" and created["rate_ppm"] == 125_000
    assert created["valid_from"] == "2025-12-31T23:00:00+00:00"
    assert created["used"] == 0 and created["version"] == 1 and created["active"] is True
    assert client.get(f"{API}/{created['id']}", headers=owner).json() == created
    entries = feed(client, created["id"])
    assert [e["data"] for e in entries] == [created] and entries[0]["version"] == 1
    db = client.app.state.mongo.db
    assert db.audit_log.find_one({"action": "coupon.created", "target": created["id"]})
    stored = db.coupons.find_one({"_id": created["id"]})
    assert stored["value"] == 125_000 and stored["code"] == "WINTER-25"


def test_an_amount_coupon_keeps_minor_units_and_its_currency(client, owner):
    created = create(client, owner, kind="amount", value=500, currency="eur")
    assert created["value"] == 500 and created["rate_ppm"] is None
    assert created["currency"] == "EUR"


def test_a_taken_code_is_a_conflict_whatever_its_case(client, owner):
    create(client, owner, code="TWICE")
    again = client.post(API, json=body(code="twice"), headers=owner)
    assert again.status_code == 409 and again.json()["error"]["details"] == {"field": "code"}
    assert client.app.state.mongo.db.coupons.count_documents({"code": "TWICE"}) == 1


@pytest.mark.parametrize("overrides, field", [
    ({"code": "x"}, "code"), ({"code": "bad code!"}, "code"), ({"code": 12}, "code"),
    ({"kind": "bogo"}, "kind"), ({"value": 10}, "value"), ({"value": "abc"}, "value"),
    ({"value": "101"}, "value"), ({"value": "-5"}, "value"), ({"value": "0"}, "value"),
    ({"value": "12.34567"}, "value"), ({"value": 1.5}, "value"),
    ({"kind": "amount", "value": "5.00", "currency": "EUR"}, "value"),
    ({"kind": "amount", "value": 0, "currency": "EUR"}, "value"),
    ({"kind": "amount", "value": 500}, "currency"),
    ({"kind": "amount", "value": 500, "currency": "E1R"}, "currency"),
    ({"valid_from": "2026-01-01T00:00:00"}, "valid_from"), ({"valid_to": "soon"}, "valid_to"),
    ({"valid_to": "2025-06-01T00:00:00Z"}, "valid_to"), ({"min_spend": -1}, "min_spend"),
    ({"min_spend": "10"}, "min_spend"), ({"usage_limit": 0}, "usage_limit"),
    ({"per_customer_limit": True}, "per_customer_limit"), ({"active": "yes"}, "active"),
    ({"used": 5}, "used"), ({"code": {"$gt": ""}}, "code"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(client, owner, overrides,
                                                                  field):
    response = client.post(API, json=body(**overrides), headers=owner)
    assert response.status_code == 422, (overrides, response.text)
    error = response.json()["error"]
    fields = ([d["field"] for d in error["details"]] if isinstance(error["details"], list)
              else [error["details"]["field"]])
    assert any(f == field or f.startswith(field + ".") for f in fields), error
    assert client.app.state.mongo.db.coupons.count_documents({}) == 0


def test_edit_with_version_check_and_a_fixed_code(client, owner):
    created = create(client, owner)
    url = f"{API}/{created['id']}"
    edited = client.patch(url, json={"version": 1, "kind": "amount", "value": 250,
                                     "currency": "EUR", "usage_limit": None,
                                     "valid_to": None}, headers=owner)
    assert edited.status_code == 200, edited.text
    view = edited.json()
    assert (view["kind"], view["value"], view["usage_limit"], view["valid_to"]) == \
        ("amount", 250, None, None)
    assert view["version"] == 2 and view["code"] == created["code"]
    stale = client.patch(url, json={"version": 1, "description": "late"}, headers=owner)
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == 2
    for change, field in (({"code": "OTHER"}, "code"), ({"kind": "percent"}, "value"),
                          ({"active": None}, "active"), ({"currency": None}, "currency"),
                          ({"valid_from": "2099-01-01T00:00:00Z",
                            "valid_to": "2098-01-01T00:00:00Z"}, "valid_to"),
                          ({}, "version")):
        refused = client.patch(url, json={"version": 2, **change}, headers=owner)
        assert refused.status_code == 422, (change, refused.text)
        assert field in refused.text
    assert client.get(url, headers=owner).json() == view
    assert [e["version"] for e in feed(client, created["id"])] == [1, 2]


def test_delete_deactivates_idempotently_and_the_coupon_stops_working(client, owner):
    created = create(client, owner, valid_from=None, valid_to=None, min_spend=0)
    db = client.app.state.mongo.db
    service.terms_for(db, created["code"], customer_id="c1", currency="EUR")
    for _ in range(2):
        gone = client.delete(f"{API}/{created['id']}", headers=owner)
        assert gone.status_code == 200 and gone.json()["active"] is False
    assert gone.json()["version"] == 2 and len(feed(client, created["id"])) == 2
    with pytest.raises(Exception, match="no longer active"):
        service.terms_for(db, created["code"], customer_id="c1", currency="EUR")
    assert client.delete(f"{API}/{uuid.uuid4()}", headers=owner).status_code == 404
    assert client.get(f"{API}/{uuid.uuid4()}", headers=owner).status_code == 404


def test_list_filters_sorts_and_pages(client, owner):
    for code in ("ALPHA-1", "ALPHA-2", "BETA-1"):
        create(client, owner, code=code)
    off = create(client, owner, code="ALPHA-3")
    client.delete(f"{API}/{off['id']}", headers=owner)
    alpha = client.get(API, params={"code": "alpha", "active": "true"}, headers=owner).json()
    assert [c["code"] for c in alpha["items"]] == ["ALPHA-1", "ALPHA-2"]
    inactive = client.get(API, params={"active": "false"}, headers=owner).json()
    assert [c["code"] for c in inactive["items"]] == ["ALPHA-3"]
    first = client.get(API, params={"per_page": 2, "sort": "-code"}, headers=owner).json()
    assert [c["code"] for c in first["items"]] == ["BETA-1", "ALPHA-3"] and first["has_more"]
    second = client.get(API, params={"per_page": 2, "page": 2, "sort": "-code"},
                        headers=owner).json()
    assert [c["code"] for c in second["items"]] == ["ALPHA-2", "ALPHA-1"]
    assert not second["has_more"]
    for params, field in (({"sort": "used"}, "sort"), ({"colour": "red"}, "colour"),
                          ({"code": "a b"}, "code"), ({"per_page": 0}, "per_page")):
        refused = client.get(API, params=params, headers=owner)
        assert refused.status_code == 422 and field in refused.text, (params, refused.text)


def test_redemptions_are_listed_newest_first(client, owner):
    created = create(client, owner, valid_from=None, valid_to=None, min_spend=0,
                     per_customer_limit=None)
    db = client.app.state.mongo.db
    orders = [str(uuid.uuid4()) for _ in range(3)]
    for order_id in orders:
        in_transaction(db, lambda s: service.redeem(db, session=s, code=created["code"],
                                                    customer_id="c1", order_id=order_id,
                                                    currency="EUR"))
    listed = client.get(f"{API}/{created['id']}/redemptions", headers=owner).json()
    assert sorted(r["order_id"] for r in listed["items"]) == sorted(orders)
    ats = [r["at"] for r in listed["items"]]
    assert ats == sorted(ats, reverse=True)
    assert client.get(f"{API}/{created['id']}", headers=owner).json()["used"] == 3
    assert client.get(f"{API}/{uuid.uuid4()}/redemptions", headers=owner).status_code == 404


def test_only_coupon_managers_reach_the_routes(client):
    _, cashier = as_role(client, "cashier")
    assert client.get(API, headers=cashier).status_code == 403
    assert client.post(API, json=body(), headers=cashier).status_code == 403
    assert client.get(API).status_code == 401
