"""``receipt.email``: a customer asked for the receipt by email at the till. The order was
pushed before it (earlier in the till's order of events, perhaps in the same batch, whose
transaction this one is), so it is read from the server's own copy; its receipt is rendered
as plain text and queued in the mail outbox in the push's transaction, under the mutation's
id (a retried transaction queues it once). An order the server does not have, or one of
another store, is refused: the receipt would be someone else's or nobody's.

Only a card's brand and last four digits are shown, as the till has them: nothing else of a
card ever reaches Tillpoint."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.money import format_amount
from app.domain.quantity import MILLI, format_quantity
from app.domain.rates import format_percent
from app.domain.sync_protocol import Status
from server.errors import ApiError
from server.mail.outbox import enqueue
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, text
from server.users.service import normalise_email

WIDTH = 42
RULE = "-" * WIDTH
TENDER_NAMES = {"cash": "Cash", "card": "Card", "credit": "Store credit"}


def receipt_email(ctx: Context) -> Outcome:
    payload = ctx.payload
    order_id = identifier(payload.get("order_id") or ctx.mutation.entity_id, "payload.order_id")
    number = text(payload.get("number"), "payload.number", max_length=40)
    try:
        email = normalise_email(payload.get("email"), field="payload.email")
    except ApiError as exc:
        raise Refused(exc.message) from None
    order = ctx.db.orders.find_one({"_id": order_id}, session=ctx.session)
    if order is None:
        raise Refused(f"payload.order_id: no order {order_id} on the server (its sale was not "
                      "pushed from this till)")
    if order.get("store_id") != ctx.store_id:
        raise Refused(f"payload.order_id: order {order_id} belongs to another store")
    if number and number != order.get("number"):
        raise Refused(f"payload.number: {number} is not the number of order {order_id} "
                      f"({order.get('number')})")
    shop = str(ctx.batch.store.get("name") or "our shop")
    enqueue(ctx.db, to=email, subject=f"Your receipt {order.get('number')} from {shop}",
            text=receipt_text(ctx.batch.store, order), kind="receipt", session=ctx.session,
            mail_id=ctx.mutation.id)
    return Outcome(Status.APPLIED)


def receipt_text(store: Doc, order: Doc) -> str:
    """The receipt as plain text, 42 columns wide (what a receipt roll shows)."""
    currency = str(order.get("currency") or store.get("currency") or "EUR")

    def money(value: Any) -> str:
        return format_amount(value if is_int(value) else 0, currency)

    out = [str(store.get("name") or "")]
    out += [line for line in str(store.get("address") or "").splitlines() if line.strip()]
    if store.get("tax_number"):
        out.append(f"Tax number {store['tax_number']}")
    out += [f"Receipt {order.get('number')}", _when(store, order.get("created_at")), RULE]
    for line in order.get("lines") or []:
        out += _line(line, money)
    out.append(RULE)
    out.append(_row("Subtotal", money(order.get("subtotal"))))
    if is_int(order.get("discount_total")) and order["discount_total"]:
        out.append(_row("Discounts", "-" + money(order["discount_total"])))
    included = "included" if order.get("prices_include_tax", True) else "added"
    for (name, rate), tax in _taxes(order).items():
        label = f"{name} ({format_percent(rate)} %, {included})" if is_int(rate) else name
        out.append(_row(label, money(tax)))
    out.append(_row(f"TOTAL {currency}", money(order.get("total"))))
    out += _tenders(order, money)
    if is_int(order.get("change_given")) and order["change_given"] > 0:
        out.append(_row("Change", money(order["change_given"])))
    out += [RULE, f"Thank you for shopping at {store.get('name') or 'our shop'}.",
            f"Keep this receipt for returns: {order.get('number')}"]
    return "\n".join(out) + "\n"


def _row(left: str, right: str) -> str:
    room = WIDTH - len(right) - 1
    if len(left) > room:
        return f"{left}\n{right.rjust(WIDTH)}"
    return f"{left.ljust(room)} {right}"


def _line(line: Doc, money) -> list[str]:  # noqa: ANN001
    quantity = line.get("quantity_milli")
    quantity = quantity if is_int(quantity) else 0
    name = str(line.get("name") or line.get("sku") or "item")
    rows = [_row(f"{format_quantity(quantity)} × {name}", money(line.get("total")))]
    if quantity != MILLI and is_int(line.get("unit_price")):
        rows.append(f"   {money(line['unit_price'])} each")
    if is_int(line.get("discount")) and line["discount"]:
        rows.append(f"   discount -{money(line['discount'])}")
    return rows


def _taxes(order: Doc) -> dict[tuple[str, Any], int]:
    """Tax by name and rate over the lines, in the order they first appear."""
    found: dict[tuple[str, Any], int] = defaultdict(int)
    for line in order.get("lines") or []:
        for part in line.get("taxes") or []:
            if isinstance(part, dict) and is_int(part.get("tax")):
                found[(str(part.get("name") or "Tax"), part.get("rate_ppm"))] += part["tax"]
    if not found and is_int(order.get("tax_total")) and order["tax_total"]:
        found[("Tax", None)] = order["tax_total"]
    return dict(found)


def _tenders(order: Doc, money) -> list[str]:  # noqa: ANN001
    rows = []
    for payment in order.get("payments") or []:
        if not isinstance(payment, dict) or payment.get("status") == "failed":
            continue
        method = str(payment.get("method") or "")
        label = TENDER_NAMES.get(method, method.title() or "Paid")
        if method == "card":
            brand = str(payment.get("card_brand") or "").upper()[:20]
            last4 = str(payment.get("card_last4") or "")
            label = " ".join(p for p in (label, brand, f"•••• {last4}" if
                                         last4.isdigit() and len(last4) == 4 else "") if p)
        tendered = payment.get("tendered")
        if method == "cash" and is_int(tendered) and tendered > (payment.get("amount") or 0):
            label += f" (given {money(tendered)})"
        rows.append(_row(label, money(payment.get("amount"))))
    return rows


def _when(store: Doc, at: Any) -> str:
    if not isinstance(at, datetime):
        return ""
    try:
        zone = ZoneInfo(str(store.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
