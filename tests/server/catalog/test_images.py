"""Product images over HTTP: real PNG/JPEG/WebP made with Pillow are accepted, resized (longest
side 1200 px, 300 px thumbnail) and served publicly with a long-lived ETag; text named .png, a
declared type that is not an image type, damaged files and too many pixels are refused; a body
over ``max_image_bytes`` is 413 while other routes keep the global body limit."""

from __future__ import annotations

import io
import os
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from server.app import create_app
from server.database import Mongo
from tests.server.catalog.helpers import create, writer
from tests.server.test_users import API

LIMIT = 400_000


@pytest.fixture
def small_limit_client(settings, mongo):
    app = create_app(replace(settings, max_image_bytes=LIMIT),
                     Mongo.open(settings.mongodb_uri, settings.database))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.mongo.close()


def picture(fmt: str, size: tuple[int, int], *, noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 60))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def upload(client, headers, product, data: bytes, content_type: str, **params):
    return client.post(f"{API}/products/{product['id']}/images", content=data, params=params,
                       headers={**headers, "Content-Type": content_type})


def test_png_and_jpeg_are_resized_stored_and_served_with_caching(small_limit_client):
    client = small_limit_client
    staff = writer(client)
    product = create(client, staff)
    done = upload(client, staff, product, picture("PNG", (2400, 1600)), "image/png", version=1)
    assert done.status_code == 201, done.text
    [image] = done.json()["images"]
    assert (image["width"], image["height"], image["content_type"]) == (1200, 800, "image/png")
    assert done.json()["version"] == 2
    full = client.get(image["url"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(full.content)).size == (1200, 800)
    assert "immutable" in full.headers["cache-control"] and "public" in full.headers["cache-control"]
    thumb = client.get(image["thumb_url"])
    assert Image.open(io.BytesIO(thumb.content)).size == (300, 200)
    assert client.get(image["url"], headers={"If-None-Match": full.headers["etag"]}).status_code == 304
    jpeg = upload(client, staff, product, picture("JPEG", (640, 960)), "image/jpeg")
    assert jpeg.status_code == 201
    second = jpeg.json()["images"][1]
    assert (second["width"], second["height"], second["content_type"]) == (640, 960, "image/jpeg")
    webp = upload(client, staff, product, picture("WEBP", (100, 50)), "image/webp")
    assert webp.status_code == 201 and webp.json()["images"][2]["content_type"] == "image/webp"
    public = client.get(f"{API}/products/{product['id']}").json()
    assert [i["id"] for i in public["images"]] == [i["id"] for i in webp.json()["images"]]


def test_not_an_image_damaged_or_wrong_type_is_refused(client):
    staff = writer(client)
    product = create(client, staff)
    renamed = upload(client, staff, product, b"just some text, saved as photo.png\n", "image/png")
    assert renamed.status_code == 415 and "not an image" in renamed.json()["error"]["message"]
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    assert upload(client, staff, product, gif.getvalue(), "image/png").status_code == 415
    assert upload(client, staff, product, picture("PNG", (10, 10)), "text/plain").status_code == 415
    cut = picture("PNG", (300, 300), noise=True)[:5000]
    damaged = upload(client, staff, product, cut, "image/png")
    assert damaged.status_code == 422 and "damaged" in damaged.json()["error"]["message"]
    assert upload(client, staff, product, b"", "image/png").status_code == 422
    assert client.get(f"{API}/products/{product['id']}").json()["images"] == []


def test_a_decompression_bomb_is_refused_before_decoding(client):
    staff = writer(client)
    product = create(client, staff)
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, format="PNG")  # 100 Mpx in a few kB
    assert len(bomb.getvalue()) < 100_000
    refused = upload(client, staff, product, bomb.getvalue(), "image/png")
    assert refused.status_code == 422 and "pixels" in refused.json()["error"]["message"]


def test_too_large_is_413_and_other_routes_keep_the_global_limit(small_limit_client):
    client = small_limit_client
    staff = writer(client)
    product = create(client, staff)
    big = picture("PNG", (500, 500), noise=True)
    assert len(big) > LIMIT
    too_large = upload(client, staff, product, big, "image/png")
    assert too_large.status_code == 413 and too_large.json()["error"]["details"]["limit"] == LIMIT
    medium = picture("PNG", (300, 300), noise=True)
    assert len(medium) < LIMIT
    assert upload(client, staff, product, medium, "image/png").status_code == 201
    padded = {"name": "x", "description": "y" * 2_000_000, "variants": [{"sku": "BIG-1"}]}
    assert client.post(f"{API}/products", json=padded, headers=staff).status_code == 413


def test_delete_an_image_with_its_version(client):
    staff = writer(client)
    product = create(client, staff)
    added = upload(client, staff, product, picture("PNG", (50, 50)), "image/png").json()
    image = added["images"][0]
    stale = client.delete(f"{API}/products/{product['id']}/images/{image['id']}?version=1",
                          headers=staff)
    assert stale.status_code == 409
    gone = client.delete(f"{API}/products/{product['id']}/images/{image['id']}?version=2",
                         headers=staff)
    assert gone.status_code == 200 and gone.json()["images"] == [] and gone.json()["version"] == 3
    assert client.get(image["url"]).status_code == 404
    db = client.app.state.mongo.db
    assert db["images.files"].count_documents({}) == 0
    assert client.post(f"{API}/products/{product['id']}/images", content=b"x",
                       headers={"Content-Type": "image/png"}).status_code == 401
