"""``sync.pull`` against the real server (in-process app over the real database, seeded with
the demo shop): a first pull brings everything, an idle one nothing; a pull cut off resumes
where it stopped; a cursor the server no longer keeps (410) takes a fresh snapshot that
retires what it did not name, even across a crash; a page that fails to apply leaves nothing
behind and the cursor where it was."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.domain.sync_protocol import decode_cursor, encode_cursor
from app.setup import initialise
from db.models import (Coupon, Customer, DeferredChange, Product, StaffUser, StockLevel,
                       StockMovement, SyncState, Variant)
from server.database import in_transaction
from server.devices import service as devices
from server.inventory.service import record_movement
from server.seed.runner import seed
from sync.errors import CursorGone, Offline, ProtocolError
from sync.pull import SERVER_FEED, SNAPSHOT_FEED, pull
from tests.support import catalog as local_catalog

API = "/api/v1"
PRODUCTS = 30


class InProcessFeed:
    """What ``sync.client.SyncClient.changes`` does, over the in-process app."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.calls = 0

    def changes(self, cursor: str | None, limit: int = 500) -> dict[str, Any]:
        self.calls += 1
        response = self.client.get(f"{API}/sync/changes", headers=self.headers,
                                   params={"cursor": cursor or "", "limit": limit})
        body = response.json()
        if response.status_code == 410:
            details = body["error"]["details"]
            raise CursorGone(body["error"]["message"], reason=details["reason"],
                             feed=details["feed"])
        if response.status_code != 200:
            raise ProtocolError(f"{response.status_code}: {response.text}")
        return body


class CutOff(InProcessFeed):
    """The network goes away after ``pages`` answered pages."""

    def __init__(self, client, headers, pages: int) -> None:
        super().__init__(client, headers)
        self.pages = pages

    def changes(self, cursor, limit=500):
        if self.calls >= self.pages:
            raise Offline("the network went away")
        return super().changes(cursor, limit)


@pytest.fixture
def server(client):
    db = client.app.state.mongo.db
    seed(db, products=PRODUCTS, customers=4, staff_password="correct-horse-battery-42",
         bcrypt_rounds=4)
    issued = devices.issue_pairing_code(db, store_code=None, register_code="R01", minutes=5,
                                        actor="test", ip=None)
    paired = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    headers = {"Authorization": f"Device {paired['device_id']}:{paired['device_key']}"}
    return db, paired, headers


@pytest.fixture
def till(store, server):
    """A till paired with the server's store (its ids, code and currency)."""
    db, paired, _ = server
    shop = db.stores.find_one({"_id": paired["store_id"]})
    with store.write() as session:
        initialise(session, store_id=shop["_id"], register_id=paired["register_id"],
                   store_code=shop["code"], store_name=shop["name"], currency=shop["currency"],
                   register_code=paired["register_code"])
    return store


def feed(client, server) -> InProcessFeed:
    return InProcessFeed(client, server[2])


def counts(local) -> dict[str, int]:
    with local.read() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Product, Variant, StockLevel, StaffUser, Customer)}


def cursor_of(local, row: str = SERVER_FEED) -> str | None:
    with local.read() as session:
        state = session.get(SyncState, row)
        return state.cursor if state else None


def test_a_first_pull_brings_the_shop_and_an_idle_one_nothing(client, server, till):
    db, paired, _ = server
    seen: list[int] = []
    result = pull(till, feed(client, server), limit=20, progress=seen.append)
    variants = sum(len(p["variants"]) for p in db.products.find())
    staff = db.users.count_documents({"role": {"$ne": "customer"}})
    assert counts(till) == {"products": PRODUCTS, "variants": variants, "stock_levels": variants,
                            "staff_users": staff, "customers": 4}
    assert result.pages == len(seen) > 1 and seen == sorted(seen) and seen[-1] == result.applied
    assert (result.snapshot, result.deferred_left) == (False, 0)
    with till.read() as session:
        on_hand = {lv["variant_id"]: lv["on_hand_milli"]
                   for lv in db.stock_levels.find({"store_id": paired["store_id"]})}
        assert dict(session.execute(select(StockLevel.variant_id, StockLevel.quantity_milli))
                    .all()) == on_hand
        assert session.scalar(select(func.count()).select_from(StaffUser)
                              .where(StaffUser.pin_hash.is_not(None))) >= 1
    idle = pull(till, feed(client, server))
    assert (idle.applied, idle.pages) == (0, 1)


def test_a_servers_change_arrives_with_this_tills_unsent_sale_on_top(client, server, till):
    db, paired, _ = server
    pull(till, feed(client, server))
    product = db.products.find_one()
    variant_id = product["variants"][0]["id"]
    before = db.stock_levels.find_one({"variant_id": variant_id})["on_hand_milli"]
    in_transaction(db, lambda s: record_movement(
        db, session=s, store_id=paired["store_id"], product_id=product["_id"],
        variant_id=variant_id, kind="receipt", quantity_milli=4000, actor="test"))
    with till.write() as session:  # sold here, not pushed yet
        session.add(StockMovement(store_id=paired["store_id"], variant_id=variant_id,
                                  quantity_milli=-1000, kind="sale"))
    result = pull(till, feed(client, server))
    assert result.applied == 1
    with till.read() as session:
        assert session.scalar(select(StockLevel.quantity_milli)
                              .where(StockLevel.variant_id == variant_id)) == before + 4000 - 1000


def test_a_pull_cut_off_midway_resumes_where_it_stopped(client, server, till, tmp_path):
    with pytest.raises(Offline):
        pull(till, CutOff(client, server[2], pages=2), limit=25)
    halfway = counts(till)  # 32 tax classes and categories first, then some products
    assert 0 < halfway["products"] < PRODUCTS and halfway["customers"] == 0
    assert cursor_of(till) is not None  # the two pages that arrived are kept with their cursor
    rest = feed(client, server)
    result = pull(till, rest, limit=25)
    assert counts(till) == counts_after_full_pull(client, server, tmp_path)
    assert result.pages == rest.calls and result.snapshot is False


def counts_after_full_pull(client, server, tmp_path) -> dict[str, int]:
    from db.engine import LocalStore
    db, paired, _ = server
    other = LocalStore.open(tmp_path / "other.sqlite3")
    try:
        shop = db.stores.find_one({"_id": paired["store_id"]})
        with other.write() as session:
            initialise(session, store_id=shop["_id"], register_id=paired["register_id"],
                       store_code=shop["code"], store_name=shop["name"],
                       currency=shop["currency"], register_code=paired["register_code"])
        pull(other, feed(client, server))
        return counts(other)
    finally:
        other.close()


def expire_cursor(local) -> None:
    """The cursor of a feed that was rebuilt on the server (another epoch)."""
    positions = decode_cursor(cursor_of(local))
    epoch, seq = positions["catalog"]
    positions["catalog"] = ("rebuilt-" + (epoch or ""), seq)
    with local.write() as session:
        session.get(SyncState, SERVER_FEED).cursor = encode_cursor(positions)


def local_leftovers(local) -> dict[str, str]:
    """Rows the server never had: made on this till before it was paired."""
    with local.write() as session:
        variant = local_catalog.product(session, "Local only", 350)
        staff = local_catalog.staff(session, "cashier")
        coupon = Coupon(code="LOCAL5", kind="amount", value=500)
        session.add(coupon)
        session.add(DeferredChange(feed="catalog", seq=999_999, entity="stock_level",
                                   entity_id="x:y", change="{}"))
        session.flush()
        return {"variant": variant.id, "product": variant.product_id, "staff": staff.id,
                "coupon": coupon.id}


def assert_retired(local, leftovers: dict[str, str]) -> None:
    with local.read() as session:
        assert session.get(Product, leftovers["product"]).archived is True
        assert session.get(Variant, leftovers["variant"]).archived is True
        assert session.get(StaffUser, leftovers["staff"]).active is False
        assert session.get(Coupon, leftovers["coupon"]).active is False
        assert session.scalar(select(func.count()).select_from(Product)
                              .where(Product.archived.is_(False))) == PRODUCTS
        assert session.scalars(select(DeferredChange)).all() == []
        assert session.get(SyncState, SNAPSHOT_FEED) is None


def test_a_cursor_the_server_no_longer_keeps_takes_a_snapshot_and_retires_the_rest(
        client, server, till):
    pull(till, feed(client, server))
    leftovers = local_leftovers(till)
    expire_cursor(till)
    result = pull(till, feed(client, server), limit=40)
    assert result.snapshot is True and result.pages > 1
    assert_retired(till, leftovers)
    assert counts(till)["products"] == PRODUCTS + 1  # archived, not deleted: sales name it


def test_a_snapshot_cut_off_by_a_crash_is_finished_next_time(client, server, till):
    pull(till, feed(client, server))
    leftovers = local_leftovers(till)
    expire_cursor(till)
    with pytest.raises(Offline):
        pull(till, CutOff(client, server[2], pages=2), limit=10)  # the 410, then one page
    assert cursor_of(till, SNAPSHOT_FEED) is not None
    with till.read() as session:
        assert session.get(Coupon, leftovers["coupon"]).active is True  # not swept yet
    result = pull(till, feed(client, server), limit=10)
    assert result.snapshot is True
    assert_retired(till, leftovers)


def test_a_page_that_fails_to_apply_leaves_nothing_and_the_cursor_stays(client, server, till):
    with till.write() as session:  # the disk fills up while the stock levels are written
        session.execute(text("CREATE TRIGGER full_disk BEFORE INSERT ON stock_levels "
                             "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"))
    with pytest.raises(Exception, match="disk is full"):
        pull(till, feed(client, server), limit=5000)  # one page: products and their levels
    assert counts(till)["products"] == 0 and cursor_of(till) is None
    with till.write() as session:
        session.execute(text("DROP TRIGGER full_disk"))
    assert pull(till, feed(client, server), limit=5000).pages == 1
    assert counts(till)["products"] == PRODUCTS


def test_a_reply_that_is_not_a_page_is_refused_and_nothing_moves(client, server, till):
    class Garbled(InProcessFeed):
        def changes(self, cursor, limit=500):
            page = super().changes(cursor, limit)
            del page["cursor"]
            return page

    with pytest.raises(ProtocolError, match="no cursor"):
        pull(till, Garbled(client, server[2]))
    assert counts(till)["products"] == 0 and cursor_of(till) is None
