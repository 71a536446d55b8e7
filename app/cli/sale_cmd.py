"""``tillpoint sale`` and ``tillpoint refund``: the same services as the window, headless."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog import find_code
from app.cli.card_sale import (CardOutcomeUnknown, CardShare, card_payments, give_back,
                               take_cards, wait_seconds)
from app.config.paths import Paths
from app.config.settings import Settings
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.domain.money import parse_amount
from app.domain.permissions import Permission, can
from app.domain.pricing import Discount
from app.domain.quantity import parse_quantity
from app.domain.rates import parse_percent
from app.domain.tenders import TenderMethod, parse_method
from app.payments import card_refunds
from app.payments.terminal import provider_for
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout, price_now, settle_tenders
from app.sales.identity import this_register
from app.sales.refunds import ReturnRequest, refund
from app.sales.serialize import order_to_dict, refund_to_dict
from app.shipping.address import normalise_ship_to
from db.base import new_id, utcnow
from db.engine import LocalStore
from db.models import Customer, Order, Refund, StaffUser


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    sale = add("sale", "ring up a sale without the window; prints the order as JSON", cmd_sale)
    sale.add_argument("--item", action="append", required=True, metavar="CODE[:QTY]",
                      help="barcode or SKU, optionally with a quantity (repeatable)")
    sale.add_argument("--pay", action="append", required=True, metavar="METHOD[:AMOUNT]",
                      help="cash, card or credit, with an amount (left out: the rest due)")
    sale.add_argument("--customer", metavar="ID", help="customer id or email")
    sale.add_argument("--coupon", metavar="CODE")
    sale.add_argument("--discount", metavar="PERCENT%|AMOUNT",
                      help="order discount, e.g. 10%% or 2.50")
    sale.add_argument("--staff", metavar="EMAIL", help="who sells (default: the first cashier)")
    sale.add_argument("--ship-to", metavar='"NAME, STREET, CITY"',
                      help="send the sale to this address (it waits in processing for its "
                           "label) instead of handing it over")

    ref = add("refund", "return lines of a sale to their original tenders; prints the refund",
              cmd_refund)
    ref.add_argument("order", metavar="ORDER", nargs="?",
                     help="order number, e.g. S01-R01-000042")
    ref.add_argument("--line", action="append", default=[], metavar="N[:QTY]",
                     help="line number and quantity to return (all lines when none named)")
    ref.add_argument("--to", choices=["original", "cash", "credit"], default="original",
                     help="where the money goes (default: the original tenders)")
    ref.add_argument("--reason", default="")
    ref.add_argument("--staff", metavar="EMAIL", help="who refunds (default: the first manager)")
    ref.add_argument("--retry-cards", action="store_true",
                     help="send again every card refund still pending (no ORDER needed)")


def _split(text: str, field: str) -> tuple[str, str | None]:
    head, sep, tail = text.partition(":")
    if not head:
        raise InvalidInput(f"{text!r} has nothing before the colon", field=field)
    if sep and not tail:
        raise InvalidInput(f"{text!r} has nothing after the colon", field=field)
    return head, tail if sep else None


def staff_member(session: Session, email: str | None, permission: Permission,
           preferred_roles: tuple[str, ...]) -> StaffUser:
    if email:
        staff = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
        if staff is None or not staff.active:
            raise NotFound(f"no active member of staff {email}", field="staff")
    else:
        candidates = session.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                                     .order_by(StaffUser.email)).all()
        ranked = sorted((s for s in candidates if can(s.role, permission)),
                        key=lambda s: preferred_roles.index(s.role)
                        if s.role in preferred_roles else len(preferred_roles))
        if not ranked:
            raise NotFound("no member of staff may do this: create one first", field="staff")
        staff = ranked[0]
    if not can(staff.role, permission):
        raise RuleViolation(f"a {staff.role} may not do this", field="staff")
    return staff


def _customer(session: Session, ref: str) -> Customer:
    customer = session.get(Customer, ref) or session.scalar(
        select(Customer).where(Customer.email == ref.strip().lower()))
    if customer is None or customer.erased:
        raise NotFound(f"no customer {ref}", field="customer")
    return customer


def _discount(text: str, currency: str) -> Discount:
    if text.strip().endswith("%"):
        return Discount.percent(parse_percent(text, field="discount"), field="discount")
    return Discount.amount(parse_amount(text, currency, field="discount"), field="discount")


def build_sale(session: Session, args: argparse.Namespace) -> tuple[Cart, list[Tender], StaffUser]:
    shop, _register = this_register(session)
    cart = Cart()
    for index, item in enumerate(args.item):
        field = f"item[{index}]"
        code, qty_text = _split(item, field)
        match = find_code(session, code, field=field)
        if qty_text is not None:
            qty = parse_quantity(qty_text, field=f"{field}.quantity",
                                 allow_fraction=match.variant.product.sold_by_weight)
        else:
            qty = match.quantity_milli or 1000
        cart.add(match.variant.id, qty, unit_price=match.unit_price,
                 price_source="label" if match.unit_price is not None else "catalogue")
    tenders: list[Tender] = []
    for index, pay in enumerate(args.pay):
        field = f"pay[{index}]"
        method_text, amount_text = _split(pay, field)
        method = parse_method(method_text, field=field)
        amount = None if amount_text is None else parse_amount(amount_text, shop.currency,
                                                               field=f"{field}.amount")
        tenders.append(Tender(method, amount))
    if args.customer:
        cart.customer_id = _customer(session, args.customer).id
    if args.coupon:
        cart.coupon_code = args.coupon
    if args.discount:
        cart.order_discount = _discount(args.discount, shop.currency)
    staff = staff_member(session, args.staff, Permission.SELL, ("cashier", "manager", "owner"))
    if getattr(args, "ship_to", None) is not None:  # refused before a card is taken
        normalise_ship_to(args.ship_to, field="ship_to")
    return cart, tenders, staff


def cmd_sale(args: argparse.Namespace, paths: Paths) -> int:
    store = LocalStore.open(paths.store)
    try:
        with store.read() as session:
            cart, tenders, staff = build_sale(session, args)
        if any(t.method is TenderMethod.CARD for t in tenders):
            try:
                result = _sale_with_cards(store, Settings(paths.settings), cart, tenders,
                                          staff.id, ship_to=getattr(args, "ship_to", None))
            except CardOutcomeUnknown as exc:
                sys.stderr.write(f"tillpoint: {exc}\n")
                return EXIT_CARD_OUTCOME_UNKNOWN
        else:
            with store.write() as session:
                order = checkout(session, cart=cart, tenders=tenders, staff_id=staff.id,
                                 ship_to=getattr(args, "ship_to", None))
                result = order_to_dict(order)
    finally:
        store.close()
    return _print_recorded(result, f"sale {result['number']}")


def _sale_with_cards(store: LocalStore, settings: Settings, cart: Cart, tenders: list[Tender],
                     staff_id: str, *, ship_to: str | None = None) -> dict:
    """Price the sale once, take its card shares on the reader, then record it as priced
    (what the customer paid for); a sale that cannot be recorded gives the cards back."""
    with store.read() as session:
        shop, _register = this_register(session)
        priced = price_now(session, cart, shop, utcnow())[0].priced
        # everything checkout would refuse about the tenders is refused before a card is taken
        settlement = settle_tenders(session, cart, priced.total, tenders, shop.currency)
    shares = [CardShare(a.request_index, a.amount) for a in settlement.tenders
              if a.method is TenderMethod.CARD and a.amount > 0]
    payments = card_payments(store, settings)
    sale_id = new_id()
    taken = {a.tender_index: a for a in take_cards(payments, sale_id, shares, shop.currency,
                                                   staff_id=staff_id, wait_s=wait_seconds())}
    paid = [replace(t, amount=taken[i].amount, reference=taken[i].reference,
                    card_brand=taken[i].card_brand, card_last4=taken[i].card_last4)
            if i in taken else t for i, t in enumerate(tenders)
            if t.method is not TenderMethod.CARD or i in taken]
    try:
        with store.write() as session:
            order = checkout(session, cart=cart, tenders=paid, staff_id=staff_id,
                             order_id=sale_id, priced=priced, ship_to=ship_to)
            return order_to_dict(order)
    except DomainError as exc:
        said = give_back(payments, list(taken.values()), staff_id=staff_id)
        raise type(exc)(f"{exc.message}; the sale was not recorded ({said})",
                        field=exc.field) from None


def _return_requests(lines: list[str]) -> list[ReturnRequest] | None:
    if not lines:
        return None
    requests = []
    for index, text in enumerate(lines):
        field = f"line[{index}]"
        number, qty_text = _split(text, field)
        if not number.isdigit() or int(number) < 1:
            raise InvalidInput(f"{number!r} is not a line number", field=field)
        qty = None if qty_text is None else parse_quantity(qty_text, field=f"{field}.quantity")
        requests.append(ReturnRequest(int(number), qty))
    return requests


def cmd_refund(args: argparse.Namespace, paths: Paths) -> int:
    if args.retry_cards:
        if args.order or args.line:
            raise InvalidInput("--retry-cards takes no ORDER nor --line", field="order")
        return _retry_card_refunds(paths)
    if not args.order:
        raise InvalidInput("which sale? give its ORDER number", field="order")
    store = LocalStore.open(paths.store)
    try:
        with store.write() as session:
            staff = staff_member(session, args.staff, Permission.REFUND,
                                 ("manager", "owner", "cashier"))
            record = refund(session, order_ref=args.order, staff_id=staff.id,
                            lines=_return_requests(args.line), reason=args.reason,
                            to_method=args.to)
            refund_id = record.id
            pending = any(p.status == card_refunds.PENDING for p in record.payments)
        outcomes = {}
        if pending:  # recorded first: money never leaves for a refund the till did not keep
            outcomes = card_refunds.send(store, _refund_provider(paths), refund_id,
                                         settings=Settings(paths.settings))
        with store.read() as session:
            record = session.get(Refund, refund_id)
            result = refund_to_dict(record, session.get(Order, record.order_id))
    finally:
        store.close()
    code = _print_recorded(result, f"refund {result['number']}")
    failed = [o.message for o in outcomes.values() if not o.succeeded]
    if failed and code == 0:
        sys.stderr.write(f"tillpoint: refund {result['number']} is recorded, but its card "
                         f"refund did not go through ({'; '.join(failed)}): it stays pending; "
                         "send it again with `tillpoint refund --retry-cards`\n")
        return EXIT_CARD_REFUND_PENDING
    return code


def _refund_provider(paths: Paths):  # noqa: ANN202 - a PaymentProvider or None
    try:
        return provider_for(Settings(paths.settings))
    except DomainError:
        return None


def _retry_card_refunds(paths: Paths) -> int:
    store = LocalStore.open(paths.store)
    try:
        outcomes = card_refunds.send_pending(store, _refund_provider(paths),
                                             settings=Settings(paths.settings))
    finally:
        store.close()
    print(json.dumps({share: {"succeeded": o.succeeded, "message": o.message,
                              "reference": o.reference} for share, o in outcomes.items()},
                     indent=2, ensure_ascii=False))
    return EXIT_CARD_REFUND_PENDING if any(not o.succeeded for o in outcomes.values()) else 0


#: Exit code for "committed, but the JSON could not be written": a script must not retry.
EXIT_RECORDED_OUTPUT_FAILED = 3
#: Exit code for "the refund is recorded, but a card share of it is still owed" (retry it with
#: ``tillpoint refund --retry-cards``, never by refunding again)
EXIT_CARD_REFUND_PENDING = 4
#: Exit code for "no sale recorded, but the card may have been charged": never retry blindly
EXIT_CARD_OUTCOME_UNKNOWN = 5


def _print_recorded(result: dict, what: str) -> int:
    try:
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    except OSError as exc:
        sys.stderr.write(f"tillpoint: {what} is recorded, but its JSON could not be written "
                         f"({exc.strerror or exc}); do not ring it up again\n")
        return EXIT_RECORDED_OUTPUT_FAILED
    return 0
