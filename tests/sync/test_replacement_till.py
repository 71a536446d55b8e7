"""A till that replaces another on its register (a broken laptop swapped) goes on from the
highest order and refund numbers the server saw there: a number is never handed out twice."""

from __future__ import annotations

from pathlib import Path

from app.config.paths import Paths
from app.sales.refunds import refund
from db.engine import LocalStore
from db.models import Order, Register
from sync.engine import SyncEngine
from sync.pairing import pair
from tests.support.file_keyring import file_keyring  # noqa: F401
from tests.support.tills import (issue_code, new_register, pulled_cashier,  # noqa: F401
                                 seeded_server, sell, sellable_variants, shared_server)


def _till(path: Path) -> LocalStore:
    return LocalStore.open(path / "tillpoint.sqlite3")


def test_a_replacement_till_continues_the_registers_numbers(seeded_server, tmp_path,
                                                            file_keyring):
    register = new_register()
    first = _till(tmp_path / "a")
    pair(first, server=seeded_server.base_url, code=issue_code(seeded_server, register))
    engine = SyncEngine(first, Paths.resolve(tmp_path / "a"))
    assert engine.run_round().succeeded
    cashier, variant = pulled_cashier(first), sellable_variants(first, 1)[0]
    orders = [sell(first, cashier, variant) for _ in range(3)]
    with first.write() as session:
        refund(session, order_ref=orders[0], staff_id=cashier)
    assert engine.run_round().succeeded
    first.close()

    second = _till(tmp_path / "b")  # the same register, a new machine
    pair(second, server=seeded_server.base_url, code=issue_code(seeded_server, register))
    with second.read() as session:
        counters = session.query(Register.next_order_seq, Register.next_refund_seq).one()
    assert tuple(counters) == (4, 2)
    assert SyncEngine(second, Paths.resolve(tmp_path / "b")).run_round().succeeded
    number = sell(second, pulled_cashier(second), sellable_variants(second, 1)[0])
    with second.read() as session:
        assert session.get(Order, number).number.endswith("-000004")
    second.close()
