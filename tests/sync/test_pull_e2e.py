"""The whole way: a real ``tillpoint-server`` process seeded with the demo shop, the real HTTP
client (``sync.client.SyncClient``) with a paired device's credential, and ``sync.pull`` into
a fresh till; then a catalogue edit on the server reaches the till in the next pull."""

from __future__ import annotations

from sqlalchemy import func, select

from app.setup import initialise
from db.models import Barcode, Product, StockLevel, Variant
from server.catalog.schemas import ProductPatch
from server.catalog.service import patch_product
from server.database import Mongo
from server.devices import service as devices
from server.seed.runner import seed
from sync.client import SyncClient
from sync.pull import pull

PRODUCTS = 120


def test_a_real_server_fills_a_fresh_till_over_http(server_factory, mongo_uri, store):
    server = server_factory()
    mongo = Mongo.open(mongo_uri, server_factory.database)
    try:
        db = mongo.db
        seed(db, products=PRODUCTS, customers=3, staff_password="correct-horse-battery-42",
             bcrypt_rounds=4)
        issued = devices.issue_pairing_code(db, store_code=None, register_code="R01",
                                            minutes=5, actor="test", ip=None)
        paired = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
        shop = db.stores.find_one({"_id": paired["store_id"]})
        with store.write() as session:
            initialise(session, store_id=shop["_id"], register_id=paired["register_id"],
                       store_code=shop["code"], store_name=shop["name"],
                       currency=shop["currency"], register_code=paired["register_code"])
        with SyncClient(server.base_url, device_id=paired["device_id"],
                        device_key=paired["device_key"]) as client:
            first = pull(store, client, limit=100)
            variants = sum(len(p["variants"]) for p in db.products.find())
            with store.read() as session:
                assert session.scalar(select(func.count()).select_from(Product)) == PRODUCTS
                assert session.scalar(select(func.count()).select_from(Variant)) == variants
                assert session.scalar(select(func.count()).select_from(Barcode)) == variants
                assert session.scalar(select(func.count()).select_from(StockLevel)) == variants
            assert first.pages > 1 and first.deferred_left == 0

            product = db.products.find_one()
            patch_product(db, product_id=product["_id"], actor="test",
                          body=ProductPatch(version=product["version"], name="Renamed"))
            second = pull(store, client)
            assert (second.applied, second.pages) == (1, 1)
            with store.read() as session:
                assert session.get(Product, product["_id"]).name == "Renamed"
    finally:
        mongo.close()
