"""Returns at the till, and what comes after a sale: the receipt, emailing it, the drawer.

A return starts from the original sale, found by scanning its receipt's barcode (the order
number in Code 128) or by typing the number. Without the receipt a manager approves; so does
money going back as cash or store credit for a sale paid by card (the card is where it
belongs). The refund itself is :func:`app.sales.refunds.refund`, in one transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import DomainError, InvalidInput, NotFound
from app.domain.permissions import Permission
from app.domain.quantity import parse_quantity
from app.payments.base import RefundOutcome
from app.sales import refunds
from app.sales.checkout import credit_balance
from app.till.cart_pricing import refield
from app.till.format import customer_ref, money, return_sale_view, tender_label
from app.till.register_core import RegisterCore
from app.till.views import RefundResult, ReturnSaleView
from db.models import Customer, Order, Payment, Product, Refund, Variant

log = logging.getLogger(__name__)

DESTINATIONS = ("original", "cash", "credit")
MAX_REF = 40


class ReturnsMixin(RegisterCore):
    # -- finding the sale ---------------------------------------------------------------------
    def find_sale(self, ref: str, *, scanned: bool) -> ReturnSaleView:
        """The sale by its receipt's barcode (``scanned``) or its number typed in."""
        self._require_staff(Permission.REFUND)
        text = _clean_ref(ref)
        with self.store.read() as session:
            order = self._order(session, text)
            view = return_sale_view(order, customer=self._customer_of(session, order),
                                    scanned=scanned, sold_by_weight=_weighed(session, order))
        if scanned:
            self._scanned_orders.add(order.id)
        return view

    def _order(self, session: Session, ref: str) -> Order:
        try:
            return refunds.find_order(session, ref)
        except NotFound:
            if ref.upper() != ref:
                return refunds.find_order(session, ref.upper())
            raise NotFound(f"no sale {ref}: check the number on the receipt", field="order")

    def _customer_of(self, session: Session, order: Order):  # noqa: ANN202 - CustomerRef | None
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        if customer is None or customer.erased:
            return None
        return customer_ref(customer, credit_balance(session, customer.id), order.currency)

    # -- the refund ----------------------------------------------------------------------------
    def refund(self, order_id: str, lines: list[tuple[int, str | None]], to: str = "original",
               approver_id: str | None = None, reason: str = "") -> RefundResult:
        """Return ``lines`` (line number, quantity text or None for all that is left) and pay
        the money back ``to`` the original tenders, or as cash or store credit."""
        staff = self._require_staff(Permission.REFUND)
        shift = self._require_shift()
        if to not in DESTINATIONS:
            raise InvalidInput(f"{to!r}: refund to original, cash or credit", field="to")
        if not isinstance(reason, str):
            raise InvalidInput("must be text", field="reason")
        with self.store.read() as session:
            order = self._order(session, _clean_ref(order_id))
            requests = _requests(session, order, lines)
            paid_by_card = any(p.method == "card" for p in order.payments)
        approved = None
        if order.id not in self._scanned_orders:
            approved = self._approved_by(Permission.REFUND_WITHOUT_RECEIPT, approver_id,
                                         "a return without the receipt", field="order")
        if to in ("cash", "credit") and paid_by_card:
            approved = self._approved_by(Permission.REFUND_WITHOUT_RECEIPT, approver_id,
                                         f"a card sale refunded as {to}", field="to") or approved
        with self.store.write() as session:
            self._still_open(session, shift.id)
            try:
                record = refunds.refund(session, order_ref=order.id, staff_id=staff.id,
                                        lines=requests, reason=" ".join(reason.split()),
                                        to_method=to, shift_id=shift.id, now=self.clock(),
                                        approved_by=approved)
            except DomainError as exc:
                raise refield(exc, _field_of(exc)) from None
            refund_id = record.id
            cards = [(p.id, session.get(Payment, p.payment_id).reference, p.amount)
                     for p in record.payments if p.status == "pending" and p.payment_id]
            cash_back = any(p.method == "cash" and p.status == "done" for p in record.payments)
        self._used(approved, Permission.REFUND_WITHOUT_RECEIPT)
        outcomes = self._refund_cards(cards, order.currency)
        with self.store.write() as session:
            record = session.get(Refund, refund_id)
            for part in record.payments:
                outcome = outcomes.get(part.id)
                if outcome is not None and outcome.succeeded:
                    part.status, part.reference = "done", outcome.reference
            result = _refund_result(session, record, order.currency, outcomes)
        if cash_back:
            self._open_drawer_safely()
        return result

    def _refund_cards(self, parts: list[tuple[str, str | None, int]],
                      currency: str) -> dict[str, RefundOutcome]:
        """Card shares go back through the card provider after the refund was recorded (money
        must never leave for a refund the till failed to record); one that fails stays
        ``pending``, owed, and says why."""
        provider = getattr(self.payments, "provider", None)
        outcomes: dict[str, RefundOutcome] = {}
        for part_id, reference, amount in parts:
            if provider is None or not reference:
                outcomes[part_id] = RefundOutcome(False, "no card provider to refund through")
                continue
            try:
                outcomes[part_id] = provider.refund(reference, amount, currency, part_id)
            except Exception as exc:  # noqa: BLE001 - the refund stays owed, in words
                log.warning("card refund %s failed: %s", part_id, exc)
                outcomes[part_id] = RefundOutcome(False, f"the card refund failed: {exc}")
        return outcomes

    # -- after the sale ------------------------------------------------------------------------
    def receipt_pdf(self, order_id: str) -> bytes:
        from app.printing.receipt import render_receipt

        self._require_staff()
        with self.store.read() as session:
            order = self._order(session, _clean_ref(order_id))
            return render_receipt(session, order.id, width=self.settings.get("receipt.width"),
                                  footer=self.settings.get("receipt.footer"))

    def email_receipt(self, order_id: str, email: str) -> str:
        from app.till.receipts import email_receipt

        staff = self._require_staff()
        with self.store.write() as session:
            return email_receipt(session, order_id=order_id, email=email, staff_id=staff.id)

    def open_drawer(self) -> bool:
        """Open the drawer without a sale (journalled: a drawer opened for no sale is where
        cash goes missing)."""
        staff = self._require_staff(Permission.CASH_DRAWER)
        if self.drawer is None:
            return False
        ctx = self._context()
        with self.store.write() as session:
            audit.append(session, action="till.drawer_opened", entity="register",
                         entity_id=ctx.register_id, actor_id=staff.id,
                         details={"reason": "no sale"}, at=self.clock())
        return self._open_drawer_safely()


def _clean_ref(ref: object) -> str:
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput("scan the receipt or type the sale's number", field="order")
    text = ref.strip()
    if len(text) > MAX_REF or not all(33 <= ord(c) < 127 for c in text):
        raise InvalidInput(f"{text[:MAX_REF]!r} is not a sale number", field="order")
    return text


def _weighed(session: Session, order: Order) -> dict[str, bool]:
    ids = sorted({line.variant_id for line in order.lines})
    rows = session.execute(select(Variant.id, Product.sold_by_weight).join(Product)
                           .where(Variant.id.in_(ids)))
    return {variant_id: by_weight for variant_id, by_weight in rows}


def _requests(session: Session, order: Order,
              lines: object) -> list[refunds.ReturnRequest]:
    if not isinstance(lines, (list, tuple)) or not lines:
        raise InvalidInput("choose at least one line to return", field="lines")
    weighed = _weighed(session, order)
    by_no = {line.line_no: line for line in order.lines}
    requests = []
    for entry in lines:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise InvalidInput(f"{entry!r} is not (line number, quantity)", field="lines")
        line_no, text = entry
        line = by_no.get(line_no) if isinstance(line_no, int) else None
        if line is None:
            raise NotFound(f"sale {order.number} has no line {line_no}", field="lines")
        quantity = None
        if text is not None and str(text).strip():
            quantity = parse_quantity(text, field="lines",
                                      allow_fraction=weighed.get(line.variant_id, False))
        requests.append(refunds.ReturnRequest(line_no, quantity))
    return requests


def _field_of(exc: DomainError) -> str:
    if exc.field and exc.field.startswith("lines"):
        return "lines"
    return exc.field if exc.field in ("to", "order", "staff") else "lines"


def _refund_result(session: Session, record: Refund, currency: str,
                   outcomes: dict[str, RefundOutcome]) -> RefundResult:
    parts = []
    for part in record.payments:
        payment = session.get(Payment, part.payment_id) if part.payment_id else None
        card = payment if payment is not None and part.method == "card" else None
        label = tender_label(part.method, card.card_brand if card else None,
                             card.card_last4 if card else None)
        text = f"{label} {money(part.amount, currency)}"
        if part.status == "pending":
            text += " (pending)"
        outcome = outcomes.get(part.id)
        if outcome is not None and outcome.message:
            text += f": {outcome.message}"
        parts.append(text)
    return RefundResult(record.id, record.number, record.amount, money(record.amount, currency),
                        tuple(parts))
