"""Returns, receipts and the cash drawer at the till (being written)."""

from __future__ import annotations

from app.till.register_core import RegisterCore


class ReturnsMixin(RegisterCore):
    pass
