"""Product images from the back office: a large photo is downscaled to 1200 pixels and kept
locally without its metadata, queued as one ``product.image`` small enough for a push; the same
photo twice is one image; a file that is not an image (whatever its name), a damaged one, and
staff without ``catalog:write`` are refused naming the field, with nothing written; and a
product edit made after an image counts the image's version."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.back_office.products.images import FULL_SIDE, MAX_PUSHED_BYTES, add_image, images_of
from app.catalog_edit import update_product
from app.domain.errors import InvalidInput, RuleViolation
from db.models import OutboxEntry, ProductImage
from tests.support.catalog import product as make_product
from tests.support.catalog import staff as make_staff


def photo(width: int = 3000, height: int = 2000, fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 50):  # some detail, so the encoder has work to do
        image.paste((x % 255, (x * 3) % 255, 90), (x, 0, x + 25, height))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make: must not survive
    out = io.BytesIO()
    image.save(out, format=fmt, **({"exif": exif} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_an_image_is_checked_downscaled_kept_and_queued(blank_shop):
    store = blank_shop
    with store.write() as s:
        manager, clerk = make_staff(s, "manager").id, make_staff(s, "stock_clerk").id
        product_id = make_product(s, "Lamp", 1500).product_id
    big = photo()
    with store.write() as s:
        added = add_image(s, staff_id=manager, product_id=product_id, data=big)
        again = add_image(s, staff_id=manager, product_id=product_id, data=big)
    assert again.image_id == added.image_id
    assert (added.width, added.height) == (FULL_SIDE, 800) and added.content_type == "image/jpeg"
    kept = Image.open(io.BytesIO(added.data))
    assert kept.size == (FULL_SIDE, 800) and 0x010F not in kept.getexif()
    with store.read() as s:
        assert [i.image_id for i in images_of(s, product_id)] == [added.image_id]
        entry = s.scalars(select(OutboxEntry)).one()
        payload = json.loads(entry.payload)
        assert entry.kind == "product.image" and payload["image_id"] == added.image_id
        assert base64.b64decode(payload["data"]) == added.data
        assert len(entry.payload) < MAX_PUSHED_BYTES * 4 // 3 + 1000
    bad = [(b"GIF89a not really", InvalidInput, "image"),
           (b"%PDF-1.4 a document named lamp.jpg", InvalidInput, "image"),
           (big[: len(big) // 3], InvalidInput, "image"),
           (photo(40, 40, "PNG"), RuleViolation, "staff")]
    for data, error, field in bad:
        with pytest.raises(error) as raised, store.write() as s:
            add_image(s, staff_id=clerk if field == "staff" else manager,
                      product_id=product_id, data=data)
        assert raised.value.field == field
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(ProductImage)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 1
    with store.write() as s:  # the image will be version 2 on the server: the edit says so
        update_product(s, staff_id=manager, product_id=product_id, changes={"name": "Desk Lamp"})
    with store.read() as s:
        edits = [json.loads(p) for p in s.scalars(
            select(OutboxEntry.payload).where(OutboxEntry.kind == "product.update"))]
    assert edits[0]["base_version"] == 2
