"""Tills against real servers: a pairing code from the server's own admin command, and the
``tillpoint`` command line run as a real process."""

from __future__ import annotations

import itertools
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator, Protocol

import pymongo
import pytest

from tests.support.server_fixtures import BIN, ServerProcess, start_server

REPO = Path(__file__).resolve().parents[2]


_registers = itertools.count(10)


class AdminTarget(Protocol):
    """What the server's admin commands need of a server: the environment naming its
    database (a :class:`ServerProcess`, or a database no server runs on yet)."""

    env: dict[str, str]


def new_register() -> str:
    """A register code no other test of the session uses (tests share a server)."""
    return f"R{next(_registers)}"


@pytest.fixture(scope="module")
def shared_server(mongo_uri, tmp_path_factory, smtp_sink) -> Iterator[ServerProcess]:
    """One real server process on its own database for a module's tests (each pairs its own
    register, so they stay apart): starting and seeding one per test would cost seconds each."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    server = start_server({"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": name,
                           "TILLPOINT_SMTP_HOST": "127.0.0.1",
                           "TILLPOINT_SMTP_PORT": str(smtp_sink.port)},
                          tmp_path_factory.mktemp("shared-server"))
    yield server
    server.stop()
    pymongo.MongoClient(mongo_uri).drop_database(name)


@pytest.fixture(scope="module")
def seeded_server(shared_server: ServerProcess) -> ServerProcess:
    """The shared server with the demo catalogue, stock and staff."""
    seed_server(shared_server)
    return shared_server


def issue_code(server: AdminTarget, register: str | None = None, store: str | None = None) -> str:
    """A one-time code for ``register`` (created if needed; a new one when not named) from
    ``tillpoint-server pairing-code`` on the server's database."""
    args = [str(BIN / "tillpoint-server"), "pairing-code", "--register",
            register or new_register()]
    if store:
        args += ["--store", store]
    done = subprocess.run(args, env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def tillpoint(data_dir: Path, *args: str, env: dict[str, str],
              timeout: float = 120) -> subprocess.CompletedProcess:
    """``python main.py --data-dir DIR ARGS`` (the same as the ``tillpoint`` script)."""
    return subprocess.run([sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir),
                           *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def spawn_tillpoint(data_dir: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir),
                             *args], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stocked_shop(store, *, products: int = 2, stock_milli: int = 100_000):  # noqa: ANN001, ANN201
    """A cashier and ``products`` products with stock in an initialised local store:
    ``(cashier_id, [variant_id, ...])``."""
    from tests.support import catalog

    with store.write() as session:
        cashier = catalog.staff(session)
        variants = [catalog.product(session, f"Item {n}", 250 + n, stock_milli=stock_milli).id
                    for n in range(products)]
        return cashier.id, variants


def sell(store, staff_id: str, variant_id: str, quantity_milli: int = 1000) -> str:  # noqa: ANN001
    """Ring up one real sale paid in cash (its outbox entry is written with it); its order id."""
    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout

    with store.write() as session:
        cart = Cart()
        cart.add(variant_id, quantity_milli)
        order = checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH, None)],
                         staff_id=staff_id)
        return order.id


def seed_server(server: AdminTarget, *, products: int = 20, customers: int = 5) -> None:
    """The demo catalogue, stock and staff on the server (``tillpoint-server seed-demo``)."""
    done = subprocess.run([str(BIN / "tillpoint-server"), "seed-demo", "--products", str(products),
                           "--customers", str(customers), "--staff-password-stdin"],
                          input="demo-password-123\n", env=server.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def sellable_variants(store, limit: int = 5) -> list[str]:  # noqa: ANN001
    """Ids of variants pulled from the server that have a price here."""
    from sqlalchemy import select

    from db.models import Variant

    with store.read() as session:
        return list(session.scalars(select(Variant.id).where(Variant.archived.is_(False),
                                                             Variant.price > 0)
                                    .order_by(Variant.sku).limit(limit)))


def pulled_cashier(store) -> str:  # noqa: ANN001
    from sqlalchemy import select

    from db.models import StaffUser

    with store.read() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier",
                                                         StaffUser.active.is_(True))
                              .order_by(StaffUser.email))
