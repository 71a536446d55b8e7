"""What every part of the register session shares: the till's identity, who is signed in, the
open shift, the cart's state, and the rules for asking a manager.

:class:`~app.till.register.RegisterSession` is assembled from this core and its mixins
(``register_cart``, ``register_payment``, ``register_returns``), split along those seams.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy.orm import Session

from app.config.settings import Settings
from app.domain.errors import RuleViolation
from app.domain.permissions import Permission, can
from app.domain.pricing import CouponTerms, Discount, DiscountKind, PricedOrder, TaxRate
from app.domain.rates import PPM, parse_percent
from app.sales.cart import Cart
from app.sales.identity import this_register
from app.till import ApprovalNeeded
from app.till.cart_pricing import ItemInfo, manual_discount_share
from app.till.format import shift_view
from app.till.shifts import open_shift_of
from app.till.signin import PinGuard
from app.till.views import CustomerRef, SaleResult, ShiftView, StaffCard
from db.base import utcnow
from db.engine import LocalStore
from db.models import Shift, StaffUser

if TYPE_CHECKING:
    from app.till.register_payment import PaymentState

#: an approval a manager gave with their PIN is good for the one action it was asked for,
#: repeated within this long
APPROVAL_TTL = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class TillContext:
    store_id: str
    store_code: str
    register_id: str
    register_code: str
    currency: str
    prices_include_tax: bool


class RegisterCore:
    def __init__(self, store: LocalStore, settings: Settings, *, payments: Any = None,
                 drawer: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.settings = settings
        self.payments = payments
        self.drawer = drawer
        self.clock = clock
        self._guard = PinGuard(clock)
        self._ctx: TillContext | None = None
        self._staff: StaffCard | None = None
        self._shift: ShiftView | None = None
        self._grants: dict[tuple[str, Permission], datetime] = {}
        # the cart and what pricing it needs, kept in memory between calls
        self._cart = Cart()
        self._items: dict[str, ItemInfo] = {}
        self._tax_cache: dict[str, tuple[TaxRate, ...]] = {}
        self._priced: PricedOrder | None = None
        self._coupon: CouponTerms | None = None
        self._coupon_applies = True
        self._customer: CustomerRef | None = None
        self._notice: str | None = None
        # the payment in progress, and the last sale completed (a second Pay returns it)
        self._payment: PaymentState | None = None
        self._pay_lock = threading.RLock()  # card calls come from the window's io pool
        self._completed: SaleResult | None = None
        # orders found by scanning their receipt (a return with a receipt)
        self._scanned_orders: set[str] = set()
        # refunds made, by the request id find_sale issued (a second Refund answers the first)
        self._refund_requests: OrderedDict[str, Any] = OrderedDict()

    # -- identity of the till -------------------------------------------------------------
    def _context(self) -> TillContext:
        if self._ctx is None:
            with self.store.read() as session:
                store, register = this_register(session)
                self._ctx = TillContext(store.id, store.code, register.id, register.code,
                                        store.currency, store.prices_include_tax)
        return self._ctx

    @property
    def currency(self) -> str:
        return self._context().currency

    # -- who is signed in, and what they may do ------------------------------------------
    def _require_staff(self, permission: Permission = Permission.SELL) -> StaffCard:
        if self._staff is None:
            raise RuleViolation("nobody is signed in at this till", field="staff")
        if not can(self._staff.role, permission):
            raise RuleViolation(f"a {self._staff.role} may not do this ({permission.value})",
                                field="staff")
        return self._staff

    def _may(self, permission: Permission) -> bool:
        return self._staff is not None and can(self._staff.role, permission)

    def _require_shift(self) -> ShiftView:
        if self._shift is None:
            self._shift = self._load_shift()
        if self._shift is None:
            raise RuleViolation("open a shift first", field="shift")
        return self._shift

    def _load_shift(self) -> ShiftView | None:
        ctx = self._context()
        with self.store.read() as session:
            shift = open_shift_of(session, ctx.register_id)
            if shift is None:
                return None
            opener = session.get(StaffUser, shift.opened_by)
            return shift_view(shift, ctx.register_code, opener.name if opener else "",
                              ctx.currency)

    def _still_open(self, session: Session, shift_id: str) -> None:
        """Inside a write: the shift this session remembers was not closed meanwhile (by
        another window on this register)."""
        shift = session.get(Shift, shift_id)
        if shift is None or shift.closed_at is not None:
            self._shift = None
            raise RuleViolation("this shift was closed: open a new shift", field="shift")

    def _selling(self) -> StaffCard:
        """The cashier, when the cart may be changed: signed in, shift open, not paying."""
        staff = self._require_staff()
        self._require_shift()
        if self._payment is not None:
            raise RuleViolation("finish or cancel the payment first", field="pay")
        return staff

    # -- manager approval -------------------------------------------------------------------
    def _grant(self, manager_id: str, permission: Permission) -> None:
        self._grants[(manager_id, permission)] = self.clock()

    def _approved_by(self, permission: Permission, approver_id: str | None, what: str, *,
                     field: str | None = None) -> str | None:
        """``None`` when the signed-in person may do this; the approving manager's id when one
        approved it just now; otherwise :class:`ApprovalNeeded`."""
        if self._may(permission):
            return None
        if approver_id is not None:
            granted = self._grants.get((approver_id, permission))
            if granted is not None and self.clock() - granted <= APPROVAL_TTL:
                return approver_id
        raise ApprovalNeeded(f"{what}: a manager must approve", permission=permission,
                             field=field)

    def _used(self, approver_id: str | None, permission: Permission) -> None:
        """An approval is for one action: once that action succeeded it is spent."""
        if approver_id is not None:
            self._grants.pop((approver_id, permission), None)

    def _discount_limit_ppm(self) -> int:
        return parse_percent(self.settings.get("till.approval_discount_percent"),
                             field="till.approval_discount_percent")

    def _over_limit(self, discount: Discount | None, amount: int, base: int) -> bool:
        """Whether ``discount`` (worth ``amount`` on ``base``) is above the approval limit. A
        percentage is judged as typed: 10 % of 18.07 rounds to 1.81, which must not count as
        more than 10 %."""
        if discount is None or base <= 0:
            return False
        if discount.kind is DiscountKind.PERCENT:
            return discount.value > self._discount_limit_ppm()
        return amount * PPM > self._discount_limit_ppm() * base

    def _stacked_over_limit(self, before: Cart, after: Cart) -> bool:
        """Whether ``after`` takes more of the cart by its line and order discounts together
        than the approval limit allows, and more than ``before`` did (stacking 10 % on a line
        and 10 % on the order is 19 %; lowering a discount never needs a manager)."""
        limit = Fraction(self._discount_limit_ppm(), PPM)
        share = manual_discount_share(after, self._items)
        return share > limit and share > manual_discount_share(before, self._items)

    def _open_drawer_safely(self) -> bool:
        # the sale is recorded already: a drawer that does not open must not undo or hide it
        try:
            return bool(self.drawer.open()) if self.drawer is not None else False
        except Exception:  # noqa: BLE001 - any device failure means "did not open"
            return False

    # -- the cart's state ---------------------------------------------------------------------
    def _reset_cart(self) -> None:
        self._cart = Cart()
        self._items.clear()
        # cached per cart: a price or tax change that sync brought applies from the next one
        self._tax_cache.clear()
        self._priced = None
        self._coupon = None
        self._coupon_applies = True
        self._customer = None
        self._notice = None
