"""What a card attempt may keep of the card and the sale: checked when the cashier types it,
filtered when a provider sends it (nothing but a brand and four digits is ever stored)."""

from __future__ import annotations

import logging

from app.domain.errors import InvalidInput

log = logging.getLogger(__name__)


def check_sale_id(sale_id: object) -> str:
    if not isinstance(sale_id, str) or not sale_id.strip() or len(sale_id) > 36:
        raise InvalidInput(f"{sale_id!r} is not a sale id", field="pay")
    return sale_id


def check_last4(last4: object) -> str | None:
    if last4 is None or (isinstance(last4, str) and not last4.strip()):
        return None
    if not (isinstance(last4, str) and len(last4.strip()) == 4 and last4.strip().isascii()
            and last4.strip().isdigit()):
        raise InvalidInput(f"{str(last4)[:20]!r} is not the card's last four digits",
                           field="last4")
    return last4.strip()


def check_brand(brand: object) -> str | None:
    if brand is None or (isinstance(brand, str) and not brand.strip()):
        return None
    if not isinstance(brand, str) or len(brand.strip()) > 20 or not brand.strip().isprintable():
        raise InvalidInput(f"{str(brand)[:30]!r} is not a card brand", field="brand")
    return brand.strip().upper()


def safe_last4(last4: str | None) -> str | None:
    """A provider's last four digits, kept only when they are exactly that."""
    try:
        return check_last4(last4)
    except InvalidInput:
        log.warning("card provider sent %r as the last four digits: not kept", last4)
        return None


def safe_brand(brand: str | None) -> str | None:
    try:
        return check_brand(brand)
    except InvalidInput:
        return None
