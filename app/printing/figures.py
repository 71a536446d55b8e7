"""What every printed document reads off a sale or a refund the same way: the store's local
time, which lines were weighed, the taxes per rate, and how a tender is named (of a card only
its brand and last four digits). One place, so a receipt and an invoice of the same sale can
never tell it differently.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import allocate
from db.models import OrderLine, Payment, Product, Refund, RefundPayment, Variant

METHOD_NAMES = {"cash": "Cash", "card": "Card", "credit": "Store credit"}
COPY_MARK = "COPY"

#: (tax name, rate in ppm, taxable amount, tax) — one rate of a document's taxes
TaxByRate = tuple[str, int, int, int]


def local_time(at: datetime, zone_name: str, *, with_time: bool = True) -> str:
    """``at`` in the store's time zone (UTC when the zone is unknown)."""
    try:
        zone = ZoneInfo(zone_name) if zone_name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)  # SQLite gives datetimes back naive, in UTC
    local = at.astimezone(zone)
    if not with_time:
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def weighed_variants(session: Session, lines: Iterable[OrderLine]) -> frozenset[str]:
    """The variants among ``lines`` sold by weight (their quantities are kilograms)."""
    ids = {line.variant_id for line in lines}
    if not ids:
        return frozenset()
    return frozenset(session.scalars(
        select(Variant.id).join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids), Product.sold_by_weight.is_(True))))


def _by_rate(taxable: dict[tuple[str, int], int],
             tax: dict[tuple[str, int], int]) -> list[TaxByRate]:
    return [(name, rate, taxable[(name, rate)], tax[(name, rate)])
            for name, rate in sorted(tax, key=lambda k: (-k[1], k[0]))]


def taxes_by_rate(lines: Iterable[OrderLine]) -> list[TaxByRate]:
    """The sale's taxes per rate, highest rate first, as recorded on its lines."""
    taxable: dict[tuple[str, int], int] = defaultdict(int)
    tax: dict[tuple[str, int], int] = defaultdict(int)
    for line in lines:
        for part in line.taxes:
            taxable[(part.name, part.rate_ppm)] += part.taxable
            tax[(part.name, part.rate_ppm)] += part.tax
    return _by_rate(taxable, tax)


def refund_taxes_by_rate(record: Refund, lines: Iterable[OrderLine]) -> list[TaxByRate]:
    """The taxes a refund gives back per rate (positive), highest rate first: each returned
    line's tax shared among its rates as the sale charged them, every rate on the line's whole
    amount without tax."""
    by_id = {line.id: line for line in lines}
    taxable: dict[tuple[str, int], int] = defaultdict(int)
    tax: dict[tuple[str, int], int] = defaultdict(int)
    for returned in record.lines:
        line = by_id[returned.order_line_id]
        shares = allocate(returned.tax, [p.tax for p in line.taxes]) if line.taxes else []
        for part, share in zip(line.taxes, shares):
            taxable[(part.name, part.rate_ppm)] += returned.amount - returned.tax
            tax[(part.name, part.rate_ppm)] += share
    return _by_rate(taxable, tax)


def tender_label(payment: Payment) -> str:
    """"Cash", "Store credit", "Card Visa •••• 4242": a card by its brand and last four only."""
    if payment.method == "card":
        card = " ".join(p for p in (payment.card_brand,
                                    f"•••• {payment.card_last4}" if payment.card_last4 else None)
                        if p)
        return f"Card {card}".strip()
    return METHOD_NAMES.get(payment.method, payment.method)


def refund_tender_label(paid_back: RefundPayment, payments: Iterable[Payment]) -> str:
    """What money given back went to: the tender it came from when it went back the same way
    (the same card), else just how it was paid back."""
    source = next((p for p in payments if p.id == paid_back.payment_id), None)
    if source is not None and paid_back.method == source.method:
        return tender_label(source)
    return METHOD_NAMES.get(paid_back.method, paid_back.method)
