"""An order as the API shows it: the stored document with ``id`` for ``_id`` and ISO dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Doc = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def order_view(order: Doc) -> Doc:
    """The staff view (also what a customer sees of their own orders)."""
    view = {"id": order["_id"], **{k: v for k, v in order.items() if k != "_id"}}
    return _plain(view)


def refund_view(refund: Doc) -> Doc:
    return _plain({"id": refund["_id"], **{k: v for k, v in refund.items() if k != "_id"}})
