"""Products over HTTP, in-process over the real database: CRUD, versions (two editors, one
wins), archive/unarchive, the public view without cost, scan lookup, list filters and sorts,
ETag/304, brands, and the catalog feed written in the same transaction as each write."""

from __future__ import annotations

from server.changes import log as change_log
from tests.server.catalog.helpers import create, ean, product_body, writer
from tests.server.test_users import API, as_role


def feed(client) -> list[dict]:
    return change_log.read(client.app.state.mongo.db, change_log.CATALOG_FEED, after=0, limit=1000)


def test_create_read_replace_patch_and_the_feed(client):
    staff = writer(client)
    made = create(client, staff)
    assert made["version"] == 1 and made["cost"] == {"EUR": 800} and made["archived"] is False
    variant = made["variants"][0]
    assert variant["attributes"] == {"size": "M", "colour": "Navy"} and variant["cost"] is None
    got = client.get(f"{API}/products/{made['id']}", headers=staff)
    assert got.status_code == 200 and got.json() == made
    body = product_body(name="Crew Tee", version=1,
                        variants=[{**{k: variant[k] for k in ("id", "sku", "barcodes")},
                                   "name": "M / Navy", "prices": {"EUR": 2199}}])
    replaced = client.put(f"{API}/products/{made['id']}", json=body, headers=staff).json()
    assert replaced["version"] == 2 and replaced["name"] == "Crew Tee"
    assert replaced["variants"][0]["id"] == variant["id"]
    assert replaced["variants"][0]["prices"] == {"EUR": 2199}
    patched = client.patch(f"{API}/products/{made['id']}", headers=staff,
                           json={"version": 2, "prices": {"EUR": 2499, "usd": 2599}}).json()
    assert patched["version"] == 3 and patched["prices"] == {"EUR": 2499, "USD": 2599}
    assert patched["name"] == "Crew Tee"
    entries = [e for e in feed(client) if e["entity_id"] == made["id"]]
    assert [e["version"] for e in entries] == [1, 2, 3]
    assert entries[-1]["data"] == patched and entries[-1]["entity"] == "product"


def test_two_editors_one_wins_the_other_gets_409_with_the_current_version(client):
    staff = writer(client)
    made = create(client, staff)
    first = client.patch(f"{API}/products/{made['id']}", json={"version": 1, "name": "A"},
                         headers=staff)
    second = client.patch(f"{API}/products/{made['id']}", json={"version": 1, "name": "B"},
                          headers=staff)
    assert first.status_code == 200 and second.status_code == 409
    assert second.json()["error"]["details"]["current_version"] == 2
    stale_put = client.put(f"{API}/products/{made['id']}", headers=staff,
                           json=product_body(version=1))
    assert stale_put.status_code == 409
    assert client.get(f"{API}/products/{made['id']}").json()["name"] == "A"


def test_archive_keeps_codes_reserved_and_patch_unarchives(client):
    staff = writer(client)
    made = create(client, staff)
    code = made["variants"][0]["barcodes"][0]
    archived = client.delete(f"{API}/products/{made['id']}", headers=staff)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert client.delete(f"{API}/products/{made['id']}", headers=staff).json()["version"] == 2
    listed = client.get(f"{API}/products?brand=Fjord").json()["items"]
    assert made["id"] not in [p["id"] for p in listed]
    assert made["id"] in [p["id"] for p in
                          client.get(f"{API}/products?brand=Fjord&archived=true").json()["items"]]
    reuse = client.post(f"{API}/products", headers=staff, json=product_body(
        variants=[{"sku": "OTHER-1", "barcodes": [code]}]))
    assert reuse.status_code == 409 and reuse.json()["error"]["details"]["product_id"] == made["id"]
    back = client.patch(f"{API}/products/{made['id']}", json={"version": 2, "archived": False},
                        headers=staff)
    assert back.status_code == 200 and back.json()["archived"] is False


def test_public_view_has_no_cost_and_staff_view_has(client):
    staff = writer(client)
    made = create(client, staff, variants=[{"sku": "C-1", "cost": {"EUR": 5}, "barcodes": []}])
    anonymous = client.get(f"{API}/products/{made['id']}")
    assert anonymous.status_code == 200
    assert "cost" not in anonymous.json() and "cost" not in anonymous.json()["variants"][0]
    assert anonymous.headers["cache-control"].startswith("public")
    _, customer = as_role(client, "customer")
    assert "cost" not in client.get(f"{API}/products/{made['id']}", headers=customer).json()
    seen = client.get(f"{API}/products/{made['id']}", headers=staff)
    assert seen.json()["cost"] == {"EUR": 800} and seen.json()["variants"][0]["cost"] == {"EUR": 5}
    assert seen.headers["cache-control"].startswith("private")
    assert "Authorization" in seen.headers["vary"]
    listed = client.get(f"{API}/products").json()["items"]
    assert listed and all("cost" not in p for p in listed)


def test_etag_gives_304_until_the_product_changes(client):
    staff = writer(client)
    made = create(client, staff)
    first = client.get(f"{API}/products/{made['id']}")
    tag = first.headers["etag"]
    again = client.get(f"{API}/products/{made['id']}", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    client.patch(f"{API}/products/{made['id']}", json={"version": 1, "name": "Renamed"},
                 headers=staff)
    after = client.get(f"{API}/products/{made['id']}", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    listing = client.get(f"{API}/products")
    assert client.get(f"{API}/products", headers={
        "If-None-Match": listing.headers["etag"]}).status_code == 304


def test_scan_lookup_by_barcode_and_sku(client):
    staff = writer(client)
    code = ean()
    made = create(client, staff, variants=[{"sku": "SCAN-A", "barcodes": [code]},
                                           {"sku": "SCAN/B", "name": "L"}])
    by_barcode = client.get(f"{API}/products/by-code/{code}").json()
    assert by_barcode["id"] == made["id"] and by_barcode["variant_id"] == made["variants"][0]["id"]
    by_sku = client.get(f"{API}/products/by-code/SCAN/B").json()
    assert by_sku["variant_id"] == made["variants"][1]["id"]
    assert client.get(f"{API}/products/by-code/4006381333931").status_code == 404


def test_a_variant_left_out_of_a_put_is_archived_and_keeps_its_codes(client):
    staff = writer(client)
    made = create(client, staff, variants=[{"sku": "KEEP-1"}, {"sku": "DROP-1"}])
    body = product_body(version=1, variants=[{"id": made["variants"][0]["id"], "sku": "KEEP-1"}])
    after = client.put(f"{API}/products/{made['id']}", json=body, headers=staff).json()
    assert [(v["sku"], v["archived"]) for v in after["variants"]] == [("KEEP-1", False),
                                                                      ("DROP-1", True)]
    assert client.get(f"{API}/products/by-code/DROP-1").json()["id"] == made["id"]


def test_list_filters_sorts_and_pages(client):
    staff = writer(client)
    top = client.post(f"{API}/categories", json={"name": "Clothing"}, headers=staff).json()
    sub = client.post(f"{API}/categories", json={"name": "Socks", "parent_id": top["id"]},
                      headers=staff).json()
    a = create(client, staff, name="Alpha", brand="Zeta", category_id=sub["id"],
               prices={"EUR": 300}, tags=["warm"])
    b = create(client, staff, name="Beta", brand="Zeta", category_id=top["id"],
               prices={"EUR": 100})
    create(client, staff, name="Gamma", brand="Other")
    in_top = client.get(f"{API}/products?category_id={top['id']}&sort=name").json()
    assert [p["id"] for p in in_top["items"]] == [a["id"], b["id"]]
    by_price = client.get(f"{API}/products?brand=Zeta&sort=-price&currency=EUR").json()
    assert [p["id"] for p in by_price["items"]] == [a["id"], b["id"]]
    assert [p["id"] for p in client.get(f"{API}/products?tag=warm").json()["items"]] == [a["id"]]
    paged = client.get(f"{API}/products?per_page=2&sort=name").json()
    assert len(paged["items"]) == 2 and paged["has_more"] is True
    since = client.get(f"{API}/products", params={"updated_since": b["updated_at"]}).json()
    assert b["id"] not in [p["id"] for p in since["items"]]
    brands = {x["name"]: x["product_count"] for x in client.get(f"{API}/brands").json()["items"]}
    assert brands["Zeta"] == 2 and brands["Other"] == 1
    client.delete(f"{API}/products/{b['id']}", headers=staff)
    client.patch(f"{API}/products/{a['id']}", json={"version": 1, "brand": "Other"}, headers=staff)
    brands = {x["name"]: x["product_count"] for x in client.get(f"{API}/brands").json()["items"]}
    assert "Zeta" not in brands and brands["Other"] == 2


def test_writes_need_catalog_write_and_unknown_ids_are_404(client):
    _, cashier = as_role(client, "cashier")
    assert client.post(f"{API}/products", json=product_body(), headers=cashier).status_code == 403
    assert client.post(f"{API}/products", json=product_body()).status_code == 401
    staff = writer(client)
    assert client.get(f"{API}/products/nope").status_code == 404
    assert client.patch(f"{API}/products/nope", json={"version": 1, "name": "x"},
                        headers=staff).status_code == 404


def test_a_barcode_removed_from_a_variant_is_freed_and_unknown_variant_ids_are_422(client):
    staff = writer(client)
    code = ean()
    made = create(client, staff, variants=[{"sku": "FREE-1", "barcodes": [code]}])
    variant_id = made["variants"][0]["id"]
    unknown = client.patch(f"{API}/products/{made['id']}", headers=staff, json={
        "version": 1, "variants": [{"id": "not-a-variant", "sku": "FREE-1"}]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["field"] == "variants.0.id"
    dropped = client.patch(f"{API}/products/{made['id']}", headers=staff, json={
        "version": 1, "variants": [{"id": variant_id, "sku": "FREE-1", "barcodes": []}]})
    assert dropped.status_code == 200 and dropped.json()["variants"][0]["barcodes"] == []
    assert client.get(f"{API}/products/by-code/{code}").status_code == 404
    create(client, staff, variants=[{"sku": "FREE-2", "barcodes": [code]}])
