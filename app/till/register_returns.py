"""Returns at the till, and what comes after a sale: the receipt, emailing it, the drawer.

A return starts from the original sale, found by scanning its receipt's barcode (the order
number in Code 128) or by typing the number. Without the receipt a manager approves; so does
money going back as cash or store credit for a sale paid by card (the card is where it
belongs). The refund itself is :func:`app.sales.refunds.refund`, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import DomainError, InvalidInput, NotFound
from app.domain.permissions import Permission
from app.domain.quantity import parse_quantity
from app.payments import card_refunds
from app.payments.base import RefundOutcome
from app.sales import refunds
from app.sales.checkout import credit_balance
from app.sales.receipt_code import check_matches, readings
from app.till.cart_pricing import refield
from app.till.format import customer_ref, money, return_sale_view, tender_label
from app.till.register_core import RegisterCore
from app.till.views import RefundResult, ReturnSaleView
from db.base import new_id
from db.models import Customer, Order, Payment, Product, Refund, Variant


DESTINATIONS = ("original", "cash", "credit")
MAX_REF = 40
#: refunds remembered by request id (a double press comes seconds later, not hundreds later)
KEPT_REFUND_REQUESTS = 100


@dataclass(frozen=True, slots=True)
class _RefundDone:
    order_id: str
    order_number: str
    refund_id: str
    result: RefundResult | None = None


class ReturnsMixin(RegisterCore):
    # -- finding the sale ---------------------------------------------------------------------
    def find_sale(self, ref: str) -> ReturnSaleView:
        """The sale by its receipt's barcode, or by its number typed in — a return without the
        receipt then: only the barcode carries the check of :mod:`app.sales.receipt_code`."""
        self._require_staff(Permission.REFUND)
        text = _clean_ref(ref)
        with self.store.read() as session:
            order, scanned = self._sale_of(session, text)
            view = return_sale_view(order, customer=self._customer_of(session, order),
                                    scanned=scanned, sold_by_weight=_weighed(session, order))
        if scanned:
            self._scanned_orders.add(order.id)
        # a fresh id per look-up: the window sends it with the refund, so a double-pressed
        # Refund (or a retry after a lost answer) cannot give the money back twice
        return replace(view, request_id=new_id())

    def _sale_of(self, session: Session, text: str) -> tuple[Order, bool]:
        """The order ``text`` names and whether it came with the receipt's check."""
        for ref, check in readings(text):
            try:
                order = self._order(session, ref)
            except NotFound:
                continue
            if check is None:
                return order, False
            if check_matches(order.id, check):
                return order, True
            raise InvalidInput(f"this barcode does not match sale {order.number}: a damaged or "
                               "altered receipt (type the sale's number instead)", field="order")
        raise NotFound(f"no sale {text}: check the number on the receipt", field="order")

    def _order(self, session: Session, ref: str) -> Order:
        try:
            return refunds.find_order(session, ref)
        except NotFound:
            if ref.upper() != ref:
                return refunds.find_order(session, ref.upper())
            raise

    def _customer_of(self, session: Session, order: Order):  # noqa: ANN202 - CustomerRef | None
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        if customer is None or customer.erased:
            return None
        return customer_ref(customer, credit_balance(session, customer.id), order.currency)

    # -- the refund ----------------------------------------------------------------------------
    def refund(self, order_id: str, lines: list[tuple[int, str | None]], to: str = "original",
               approver_id: str | None = None, reason: str = "", *,
               request_id: str | None = None) -> RefundResult:
        """Return ``lines`` (line number, quantity text or None for all that is left) and pay
        the money back ``to`` the original tenders, or as cash or store credit.
        ``request_id`` (from :meth:`find_sale`): a second refund with the same id answers the
        first one's result and records nothing."""
        staff = self._require_staff(Permission.REFUND)
        key = _check_request_id(request_id)
        if key is not None and key in self._refund_requests:
            return self._refund_again(key, _clean_ref(order_id))
        shift = self._require_shift()
        if to not in DESTINATIONS:
            raise InvalidInput(f"{to!r}: refund to original, cash or credit", field="to")
        if not isinstance(reason, str):
            raise InvalidInput("must be text", field="reason")
        with self.store.read() as session:
            order = self._order(session, _clean_ref(order_id))
            requests = _requests(session, order, lines)
            paid_by_card = any(p.method == "card" for p in order.payments)
        no_receipt = other_tender = None
        if order.id not in self._scanned_orders:
            no_receipt = self._approved_by(Permission.REFUND_WITHOUT_RECEIPT, approver_id,
                                           "a return without the receipt", field="order")
        if to in ("cash", "credit") and paid_by_card:
            other_tender = self._approved_by(Permission.REFUND_TO_OTHER_TENDER, approver_id,
                                             f"a card sale refunded as {to}", field="to")
        approved = no_receipt or other_tender
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
            cash_back = any(p.method == "cash" and p.status == "done" for p in record.payments)
        self._used(no_receipt, Permission.REFUND_WITHOUT_RECEIPT)
        self._used(other_tender, Permission.REFUND_TO_OTHER_TENDER)
        if key is not None:  # recorded: from here on a repeat must not refund again
            self._keep_refund(key, _RefundDone(order.id, order.number, refund_id))
        outcomes = card_refunds.send(self.store, getattr(self.payments, "provider", None),
                                     refund_id, settings=self.settings)
        with self.store.read() as session:
            result = _refund_result(session, session.get(Refund, refund_id), order.currency,
                                    outcomes)
        if key is not None:
            self._keep_refund(key, _RefundDone(order.id, order.number, refund_id, result))
        if cash_back:
            self._open_drawer_safely()
        return result

    def _keep_refund(self, key: str, done: "_RefundDone") -> None:
        self._refund_requests[key] = done
        self._refund_requests.move_to_end(key)
        while len(self._refund_requests) > KEPT_REFUND_REQUESTS:
            self._refund_requests.popitem(last=False)

    def _refund_again(self, key: str, ref: str) -> RefundResult:
        """The refund already made under ``key``, as it was answered (or, when its answer was
        lost half-way, as recorded)."""
        done = self._refund_requests[key]
        if ref not in (done.order_id, done.order_number) and ref.upper() != done.order_number:
            raise InvalidInput(f"this return was made for sale {done.order_number}: find the "
                               "sale again", field="order")
        if done.result is not None:
            return done.result
        with self.store.read() as session:
            record = session.get(Refund, done.refund_id)
            currency = session.get(Order, done.order_id).currency
            return _refund_result(session, record, currency, {})

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


def _check_request_id(request_id: object) -> str | None:
    if request_id is None or request_id == "":
        return None
    if not isinstance(request_id, str) or len(request_id) > 36 or not request_id.isprintable():
        raise InvalidInput(f"{str(request_id)[:40]!r} is not a refund request", field="order")
    return request_id


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
