"""Payment at the till (being written: begin_payment, tenders, card, complete)."""

from __future__ import annotations

from app.till.register_core import RegisterCore


class PaymentState:
    """The payment in progress (being written)."""


class PaymentMixin(RegisterCore):
    def cancel_payment(self):  # noqa: ANN201 - filled in with the payment part
        self._payment = None
        return self._view()  # type: ignore[attr-defined]
