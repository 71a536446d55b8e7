"""Image checks and resizing with Pillow: the content decides what a file is (never its header
or name), oversized pixel counts are refused before decoding (decompression bombs), and what is
kept is re-encoded, bounded in size and stripped of metadata (EXIF with GPS positions …)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import ApiError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ACCEPTED_TYPES = frozenset(FORMATS.values())
FULL_SIDE = 1200  # longest side of the stored image, pixels
THUMB_SIDE = 300
MAX_PIXELS = 40_000_000  # 40 megapixels: any camera; a bomb claims far more


@dataclass(frozen=True, slots=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    image_id: str  # content-addressed: the hash of the uploaded bytes
    content_type: str
    full: Rendition
    thumb: Rendition


def _refuse(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message, {"field": "body"})


def _encode(image: Image.Image, fmt: str, side: int) -> Rendition:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)  # only ever shrinks
    if fmt == "JPEG" and copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 85} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    copy.save(out, format=fmt, **options)
    return Rendition(out.getvalue(), copy.width, copy.height)


def process(data: bytes, declared_type: str) -> ProcessedImage:
    """Check ``data`` is a JPEG, PNG or WebP image and make its stored renditions; 415 when it
    is not an image (or not one of those), 422 when it is damaged or absurdly large."""
    if declared_type not in ACCEPTED_TYPES:
        raise _refuse(415, "unsupported_media_type", "send the image itself as the body with "
                      "Content-Type image/jpeg, image/png or image/webp")
    if not data:
        raise _refuse(422, "validation_error", "body: the image is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in FORMATS:
                raise _refuse(415, "unsupported_media_type", f"body: a {fmt or 'unknown'} image; "
                              "only JPEG, PNG and WebP are accepted")
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(422, "validation_error", f"body: {image.width}×{image.height} "
                              f"pixels is more than {MAX_PIXELS:,} (a decompression bomb?)")
            image.load()
            image = ImageOps.exif_transpose(image)
        except UnidentifiedImageError:
            raise _refuse(415, "unsupported_media_type", "body: this is not an image (JPEG, PNG "
                          "or WebP), whatever its name or Content-Type says") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(422, "validation_error", "body: too many pixels (a decompression "
                          "bomb?)") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise _refuse(422, "validation_error", f"body: the image is damaged or truncated "
                          f"({str(exc)[:100]})") from None
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    return ProcessedImage(hashlib.sha256(data).hexdigest()[:32], FORMATS[fmt],
                          _encode(image, fmt, FULL_SIDE), _encode(image, fmt, THUMB_SIDE))
