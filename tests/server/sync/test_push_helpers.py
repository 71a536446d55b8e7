"""Helpers for the push tests (no tests of their own): paired tills, staff, catalogue products
and stock through their real services, mutations and till payloads shaped as the till's
``order_to_dict`` / ``refund_to_dict`` / outbox write them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from itertools import count
from typing import Any

from pymongo.database import Database

from server.database import in_transaction
from server.devices import service as devices
from server.inventory import service as inventory
from server.users.service import create_user
from tests.server.inventory.fixtures import new_product, new_store, variant_of

API = "/api/v1"
_SEQ = count(1)


@dataclass
class Till:
    """A paired till: its credential header, ids and its own mutation sequence."""

    headers: dict[str, str]
    device_id: str
    store_id: str
    register_id: str
    store_code: str
    register_code: str

    def __post_init__(self) -> None:
        self._seq = count(1)

    def next_seq(self) -> int:
        return next(self._seq)


def pair(db: Database, store: dict[str, Any] | None = None, register: str = "R01") -> Till:
    issued = devices.issue_pairing_code(db, store_code=store["code"] if store else None,
                                        register_code=register, minutes=5, actor="test", ip=None)
    paired = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    return Till({"Authorization": f"Device {paired['device_id']}:{paired['device_key']}"},
                paired["device_id"], paired["store_id"], paired["register_id"],
                paired["store_code"], paired["register_code"])


def local_till(session: Any, device: Till) -> None:
    """The till's own store for ``device``: the same store and register ids as the server's,
    the shop's name and address (a label's sender)."""
    from app.sales.identity import REGISTER_KEY, STORE_KEY, set_local
    from db.models import Register, Store

    session.add(Store(id=device.store_id, code=device.store_code, name="Corner Shop",
                      currency="EUR", address="1 High Street, Bristol BS1 1AA"))
    session.flush()
    session.add(Register(id=device.register_id, store_id=device.store_id,
                         code=device.register_code, name="Till"))
    session.flush()
    set_local(session, STORE_KEY, device.store_id)
    set_local(session, REGISTER_KEY, device.register_id)


def staff(db: Database, role: str = "cashier", **fields: Any) -> str:
    user = create_user(db, email=f"{role}-{uuid.uuid4().hex[:8]}@example.com", role=role,
                       password="correct horse battery staple 9", verified=True,
                       actor="test", ip=None, rounds=4, **fields)
    return user["_id"]


def stocked_product(db: Database, store_id: str, quantity_milli: int = 10_000,
                    **fields: Any) -> dict[str, Any]:
    product = new_product(db, **fields)
    if quantity_milli:
        receive(db, store_id, product, quantity_milli)
    return product


def receive(db: Database, store_id: str, product: dict[str, Any], quantity_milli: int,
            n: int = 0) -> None:
    in_transaction(db, lambda s: inventory.record_movement(
        db, session=s, store_id=store_id, product_id=product["_id"],
        variant_id=variant_of(product, n), kind="receipt", quantity_milli=quantity_milli,
        actor="test"))


def on_hand(db: Database, store_id: str, variant_id: str) -> int:
    found = inventory.levels_for(db, store_id=store_id, variant_ids=[variant_id])
    return int(found[variant_id]["on_hand_milli"]) if variant_id in found else 0


def mutation(till: Till, kind: str, payload: dict[str, Any], *, entity_id: str | None = None,
             staff_id: str | None = None, mutation_id: str | None = None,
             seq: int | None = None) -> dict[str, Any]:
    return {"id": mutation_id or str(uuid.uuid4()), "seq": seq or till.next_seq(), "kind": kind,
            "entity_id": entity_id or str(payload.get("id") or uuid.uuid4()),
            "payload": payload, "created_at": "2026-03-02T10:00:00+00:00",
            "staff_id": staff_id}


def push(client, till: Till, mutations: list[dict[str, Any]]):
    # JSON escapes (ensure_ascii) as a till's client sends them: a lone surrogate travels
    body = json.dumps({"mutations": mutations})
    return client.post(f"{API}/sync/push", content=body,
                       headers={**till.headers, "Content-Type": "application/json"})


def pushed(client, till: Till, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = push(client, till, mutations)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def till_order(till: Till, items: list[tuple[dict[str, Any], int]], *, staff_id: str = "cashier-1",
               unit_price: int = 1299, customer_id: str | None = None,
               created_at: str = "2026-03-02T09:30:00+00:00") -> dict[str, Any]:
    """An ``order.created`` payload as the till writes it: ``items`` are (product, pieces)."""
    order_id = str(uuid.uuid4())
    number = f"{till.store_code}-{till.register_code}-{next(_SEQ):06d}"
    lines, movements = [], []
    for n, (product, pieces) in enumerate(items, start=1):
        gross = unit_price * pieces
        tax = gross - gross * 100 // 121
        variant = product["variants"][0]
        lines.append({"id": str(uuid.uuid4()), "line_no": n, "variant_id": variant["id"],
                      "sku": variant["sku"], "name": product["name"],
                      "quantity": str(pieces), "quantity_milli": pieces * 1000,
                      "unit_price": unit_price, "gross": gross, "line_discount": 0,
                      "order_discount": 0, "coupon_discount": 0, "tax": tax, "total": gross,
                      "refunded_quantity_milli": 0, "refunded_total": 0,
                      "taxes": [{"name": "VAT 21%", "rate_ppm": 210_000,
                                 "taxable": gross - tax, "tax": tax}]})
        movements.append({"id": str(uuid.uuid4()), "variant_id": variant["id"], "kind": "sale",
                          "quantity_milli": -pieces * 1000})
    total = sum(line["total"] for line in lines)
    return {"id": order_id, "number": number, "store_id": till.store_id,
            "register_id": till.register_id, "register_seq": 1, "staff_id": staff_id,
            "customer_id": customer_id, "shift_id": None, "channel": "till",
            "status": "delivered", "currency": "EUR", "prices_include_tax": True,
            "created_at": created_at, "coupon_code": None, "subtotal": total,
            "line_discount_total": 0, "order_discount_total": 0, "coupon_discount_total": 0,
            "tax_total": sum(line["tax"] for line in lines), "total": total,
            "total_display": "", "paid_total": total, "change_given": 0, "refunded_total": 0,
            "lines": lines,
            "payments": [{"id": str(uuid.uuid4()), "method": "card", "amount": total,
                          "tendered": None, "refunded": 0, "reference": "pi_test_1",
                          "card_brand": "visa", "card_last4": "4242"}],
            "stock_movements": movements}


def till_refund(order: dict[str, Any], lines: list[tuple[int, int]], *,
                staff_id: str = "cashier-1") -> dict[str, Any]:
    """A ``refund.created`` payload returning ``lines`` [(position, pieces)] of ``order`` to
    its first payment, with the return movements."""
    refund_id = str(uuid.uuid4())
    parts, movements = [], []
    for position, pieces in lines:
        line = order["lines"][position]
        amount = line["total"] * pieces * 1000 // line["quantity_milli"]
        tax = line["tax"] * pieces * 1000 // line["quantity_milli"]
        parts.append({"order_line_id": line["id"], "quantity": str(pieces),
                      "quantity_milli": pieces * 1000, "amount": amount, "tax": tax})
        movements.append({"id": str(uuid.uuid4()), "variant_id": line["variant_id"],
                          "kind": "return", "quantity_milli": pieces * 1000})
    amount = sum(p["amount"] for p in parts)
    payment = order["payments"][0]
    refund = {"id": refund_id, "number": order["number"].replace("-0", "-R0", 1),
              "order_id": order["id"], "order_number": order["number"],
              "order_status": "delivered", "currency": order["currency"], "amount": amount,
              "amount_display": "", "tax": sum(p["tax"] for p in parts),
              "reason": "changed their mind", "staff_id": staff_id,
              "created_at": "2026-03-03T11:00:00+00:00", "lines": parts,
              "payments": [{"payment_id": payment["id"], "method": payment["method"],
                            "amount": amount, "status": "done", "reference": None}]}
    return {"refund": refund, "order": order, "stock_movements": movements}


__all__ = ["new_store", "variant_of"]
