"""Product images from the back office: the file picked is checked by its content (JPEG, PNG
or WebP, whatever its name says; a decompression bomb refused before decoding), downscaled to
``FULL_SIDE`` pixels on its longest side and re-encoded without its metadata (EXIF with GPS
positions …), kept in the local store, and queued as one ``product.image`` for the server's
image store — small enough for a push (``MAX_PUSHED_BYTES``). The same picture twice is one
image (content-addressed)."""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.models import Product, ProductImage

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
FULL_SIDE = 1200  # the server's stored size
MAX_PIXELS = 40_000_000
MAX_FILE_BYTES = 30_000_000
MAX_PUSHED_BYTES = 600_000  # base64 grows it by a third: a push carries at most 1,000,000
MAX_IMAGES = 20


@dataclass(frozen=True, slots=True)
class PreparedImage:
    image_id: str
    content_type: str
    width: int
    height: int
    data: bytes


def prepare(data: bytes) -> PreparedImage:
    """The picture checked and downscaled, or ``InvalidInput(field="image")`` saying why not."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidInput("the file is empty", field="image")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB",
                           field="image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in FORMATS:
                raise InvalidInput(f"a {fmt or 'unknown'} image: JPEG, PNG or WebP only",
                                   field="image")
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(f"{image.width}×{image.height} pixels is too many",
                                   field="image")
            image.load()
            image = ImageOps.exif_transpose(image)
        except UnidentifiedImageError:
            raise InvalidInput("this file is not an image (JPEG, PNG or WebP)",
                               field="image") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InvalidInput("too many pixels", field="image") from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise InvalidInput("the image is damaged and cannot be read", field="image") from None
    keep_alpha = image.mode in ("RGBA", "LA", "P") and fmt != "JPEG"
    out_format = "PNG" if keep_alpha else "JPEG"
    side, quality = FULL_SIDE, 85
    while True:
        copy = image.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)  # only ever shrinks
        if out_format == "JPEG" and copy.mode not in ("RGB", "L"):
            copy = copy.convert("RGB")
        buffer = io.BytesIO()
        copy.save(buffer, format=out_format, **({"quality": quality} if out_format == "JPEG"
                                                else {"optimize": True}))
        encoded = buffer.getvalue()
        if len(encoded) <= MAX_PUSHED_BYTES or side <= 300:
            break
        side, quality = int(side * 0.8), max(60, quality - 10)  # a busy picture: smaller
    if len(encoded) > MAX_PUSHED_BYTES:
        raise InvalidInput("the image stays too large even downscaled", field="image")
    # named as the server names it: the first 32 hex digits of the SHA-256 of the bytes sent
    return PreparedImage(hashlib.sha256(encoded).hexdigest()[:32], FORMATS[out_format],
                         copy.width, copy.height, encoded)


def add_image(session: Session, *, staff_id: str, product_id: str, data: bytes) -> PreparedImage:
    """Attach the picture to the product here and queue it for the server (``prepare`` then
    ``attach_image``, for callers without a worker of their own: the CLI, tests)."""
    return attach_image(session, staff_id=staff_id, product_id=product_id,
                        prepared=prepare(data))


def attach_image(session: Session, *, staff_id: str, product_id: str,
                 prepared: PreparedImage) -> PreparedImage:
    """The short write of a picture ``prepare`` made (on the io pool: reading, decoding,
    resizing and encoding never hold the database worker)."""
    if not isinstance(prepared, PreparedImage):
        raise InvalidInput("must be a prepared image", field="image")
    staff = active_staff(session, staff_id, Permission.CATALOG_WRITE)
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}", field="product")
    if session.get(ProductImage, (product_id, prepared.image_id)) is not None:
        return prepared  # the same picture again: nothing changes
    count = session.scalar(select(func.count()).select_from(ProductImage)
                           .where(ProductImage.product_id == product_id)) or 0
    if count >= MAX_IMAGES:
        raise RuleViolation(f"a product has at most {MAX_IMAGES} images", field="image")
    session.add(ProductImage(product_id=product_id, id=prepared.image_id,
                             content_type=prepared.content_type, width=prepared.width,
                             height=prepared.height, data=prepared.data, position=count))
    session.flush()
    outbox.enqueue(session, kind=MutationKind.PRODUCT_IMAGE.value, entity_id=product_id,
                   payload={"product_id": product_id, "image_id": prepared.image_id,
                            "content_type": prepared.content_type,
                            "data": base64.b64encode(prepared.data).decode("ascii"),
                            "staff_id": staff.id})
    audit.append(session, action="product.image_added", entity="product", entity_id=product_id,
                 actor_id=staff.id, details={"image_id": prepared.image_id,
                                             "width": prepared.width,
                                             "height": prepared.height})
    return prepared


def images_of(session: Session, product_id: str) -> list[PreparedImage]:
    return [PreparedImage(i.id, i.content_type, i.width, i.height, i.data)
            for i in session.scalars(select(ProductImage).where(
                ProductImage.product_id == product_id).order_by(ProductImage.position))]
