"""``tillpoint-server seed-demo`` as a real process on a test database: the demo shop's
catalogue (valid EAN-13s, reserved codes, categories, tax classes, brands), opening stock in
the default store, staff with till PINs, customers, every entity on its feed, served by the
API; a second run refuses a catalogue that is not empty, in one line."""

from __future__ import annotations

import json

from app.domain.barcodes import is_valid_gtin
from app.domain.demo_recipe import DEMO_STAFF
from app.local_auth import verify_pin
from server.changes import log as change_log
from server.security.passwords import verify_password
from tests.server.test_cli_admin import run
from tests.server.test_users import API

STAFF_PASSWORD = "demo-staff-password"


def test_seed_demo_fills_the_shop_and_refuses_a_second_time(mongo_uri, db_name, client, tmp_path):
    done = run(mongo_uri, db_name, tmp_path, "seed-demo", "--products", "40", "--customers", "5",
               "--staff-password-stdin", stdin=STAFF_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "40/40 products" in done.stderr  # the progress bar
    summary = json.loads(done.stdout)
    assert summary["products"] == 40 and summary["customers"] == 5
    assert "staff_password" not in summary
    db = client.app.state.mongo.db
    products = list(db.products.find())
    variants = [v for p in products for v in p["variants"]]
    assert len(products) == 40 and len(variants) == summary["variants"] > 40
    barcodes = [b for v in variants for b in v["barcodes"]]
    assert all(is_valid_gtin(b) for b in barcodes) and len(set(barcodes)) == len(barcodes)
    assert db.codes.count_documents({}) == 2 * len(variants)
    store = db.stores.find_one({"code": "S01"})
    assert db.stock_levels.count_documents({"store_id": store["_id"]}) == len(variants)
    assert db.stock_movements.count_documents({"kind": "receipt"}) == len(variants)
    level = db.stock_levels.find_one({"variant_id": variants[0]["id"]})
    movement = db.stock_movements.find_one({"variant_id": variants[0]["id"]})
    assert level["on_hand_milli"] == movement["quantity_milli"] >= 0
    assert db.categories.count_documents({"parent_id": None}) == 8
    assert db.tax_classes.count_documents({}) == 3
    assert change_log.state(db, "catalog").seq == 40 + db.categories.count_documents({}) + 3
    assert change_log.state(db, change_log.store_feed(store["_id"])).seq == len(variants)
    assert change_log.state(db, "customers").seq == 5 == db.customers.count_documents({})
    for name, email, role, pin in DEMO_STAFF:
        user = db.users.find_one({"email": email})
        assert user["role"] == role and verify_pin(pin, user["pin_hash"])
        assert verify_password(STAFF_PASSWORD, user["password_hash"])

    scanned = client.get(f"{API}/products/by-code/{barcodes[0]}")
    assert scanned.status_code == 200 and scanned.json()["variant_id"] == variants[0]["id"]
    assert "cost" not in scanned.json() and scanned.json()["prices"]["EUR"] > 0
    brands = client.get(f"{API}/brands").json()["items"]
    assert sum(b["product_count"] for b in brands) == 40
    top = db.categories.find_one({"name": "Groceries"})
    listed = client.get(f"{API}/products?category_id={top['_id']}&per_page=200").json()["items"]
    assert listed and all(p["category_id"] != top["_id"] for p in listed)  # from its leaves

    again = run(mongo_uri, db_name, tmp_path, "seed-demo", "--products", "5")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert again.stderr.strip().count("\n") == 0 and "not empty" in again.stderr
    assert db.products.count_documents({}) == 40


def test_seed_demo_prints_a_generated_password_when_none_is_given(mongo_uri, db_name, mongo,
                                                                  tmp_path):
    done = run(mongo_uri, db_name, tmp_path, "seed-demo", "--products", "2", "--customers", "0")
    assert done.returncode == 0, done.stderr
    password = json.loads(done.stdout)["staff_password"]
    owner = mongo.db.users.find_one({"email": DEMO_STAFF[0][1]})
    assert len(password) >= 12 and verify_password(password, owner["password_hash"])
