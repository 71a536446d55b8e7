"""Orders and refunds as plain JSON-ready dicts: the shape printed by ``tillpoint sale`` and
``refund``, and pushed to the server through the outbox. Money stays in integer minor units
(with the formatted amount beside it for people), quantities as decimal text."""

from __future__ import annotations

from typing import Any

from app.domain.money import format_amount
from app.domain.quantity import format_quantity
from db.models import Order, Refund


def order_to_dict(order: Order) -> dict[str, Any]:
    cur = order.currency
    return {
        "id": order.id,
        "number": order.number,
        "store_id": order.store_id,
        "register_id": order.register_id,
        "register_seq": order.register_seq,
        "staff_id": order.staff_id,
        "customer_id": order.customer_id,
        "shift_id": order.shift_id,
        "channel": order.channel,
        "status": order.status,
        "currency": cur,
        "prices_include_tax": order.prices_include_tax,
        "created_at": order.created_at.isoformat(),
        "coupon_code": order.coupon_code,
        "subtotal": order.subtotal,
        "line_discount_total": order.line_discount_total,
        "order_discount_total": order.order_discount_total,
        "coupon_discount_total": order.coupon_discount_total,
        "tax_total": order.tax_total,
        "total": order.total,
        "total_display": format_amount(order.total, cur),
        "paid_total": order.paid_total,
        "change_given": order.change_given,
        "refunded_total": order.refunded_total,
        "fulfilment": order.fulfilment,
        "ship_to": order.ship_to,
        "lines": [{
            "id": line.id, "line_no": line.line_no, "variant_id": line.variant_id,
            "sku": line.sku, "name": line.name, "quantity": format_quantity(line.quantity_milli),
            "quantity_milli": line.quantity_milli, "unit_price": line.unit_price,
            "gross": line.gross, "line_discount": line.line_discount,
            "order_discount": line.order_discount, "coupon_discount": line.coupon_discount,
            "tax": line.tax, "total": line.total,
            "refunded_quantity_milli": line.refunded_quantity_milli,
            "refunded_total": line.refunded_total,
            "taxes": [{"name": t.name, "rate_ppm": t.rate_ppm, "taxable": t.taxable, "tax": t.tax}
                      for t in line.taxes],
        } for line in order.lines],
        "payments": [{
            "id": p.id, "method": p.method, "amount": p.amount, "tendered": p.tendered,
            "refunded": p.refunded, "reference": p.reference, "card_brand": p.card_brand,
            "card_last4": p.card_last4,
        } for p in order.payments],
    }


def refund_to_dict(refund: Refund, order: Order) -> dict[str, Any]:
    return {
        "id": refund.id,
        "number": refund.number,
        "order_id": order.id,
        "order_number": order.number,
        "order_status": order.status,
        "currency": order.currency,
        "amount": refund.amount,
        "amount_display": format_amount(refund.amount, order.currency),
        "tax": refund.tax,
        "reason": refund.reason,
        "staff_id": refund.staff_id,
        "created_at": refund.created_at.isoformat(),
        "lines": [{"order_line_id": l.order_line_id, "quantity": format_quantity(l.quantity_milli),
                   "quantity_milli": l.quantity_milli, "amount": l.amount, "tax": l.tax}
                  for l in refund.lines],
        "payments": [{"payment_id": p.payment_id, "method": p.method, "amount": p.amount,
                      "status": p.status, "reference": p.reference} for p in refund.payments],
    }
