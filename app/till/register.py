"""The façade the till window drives: one register, one signed-in cashier, one cart, one
payment at a time. See ``/app/till/__init__.py`` for the threading and error rules.

Assembled from its seams: identity, shift and parking here; the cart in
:mod:`app.till.register_cart`; payment in :mod:`app.till.register_payment` and its card part
in :mod:`app.till.register_card`; returns, receipts and the drawer in
:mod:`app.till.register_returns`.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.domain.errors import DomainError, InvalidInput, RuleViolation
from app.domain.permissions import ROLE_PERMISSIONS, Permission, Role, can
from app.sales.cart import price_cart
from app.till import shifts, signin
from app.till.format import count_text, items_in, money, shift_view
from app.till.parking import list_parked, park_cart, read_cart, take_parked
from app.till.register_cart import CartMixin, Restored
from app.till.register_card import CardMixin
from app.till.register_returns import ReturnsMixin
from app.till.views import (CartView, ItemHit, ParkedView, SearchResult, ShiftView, SignedIn,
                            StaffCard, ZReport)
from db.models import Register, StaffUser, Store

log = logging.getLogger(__name__)

HOLD_SUFFIX = "— on hold"


class RegisterSession(CartMixin, CardMixin, ReturnsMixin):
    """See the module docstring; constructed once per window."""

    # -- sign-in ---------------------------------------------------------------------------
    def staff_for_signin(self) -> list[StaffCard]:
        with self.store.read() as session:
            return signin.staff_for_signin(session)

    def managers(self) -> list[StaffCard]:
        with self.store.read() as session:
            return signin.managers(session)

    @property
    def signed_in(self) -> SignedIn | None:
        if self._staff is None:
            return None
        return SignedIn(self._staff, self._shift, self._permissions(self._staff))

    @staticmethod
    def _permissions(staff: StaffCard) -> frozenset[str]:
        return frozenset(p.value for p in ROLE_PERMISSIONS[Role(staff.role)])

    def _holder(self, staff_id: str, pin: str) -> signin.PinHolder:
        """Read the person, then check the PIN outside any transaction (it is slow)."""
        ctx = self._context()
        with self.store.read() as session:
            holder = signin.pin_holder(session, staff_id)
        try:
            signin.check_pin(self._guard, holder, pin)
        except signin.LockedOut:
            with self.store.write() as session:
                signin.record_lockout(session, holder, register_id=ctx.register_id,
                                      now=self.clock())
            raise
        return holder

    def sign_in(self, staff_id: str, pin: str) -> SignedIn:
        """Wrong PIN: ``InvalidInput(field="pin")``; five in a row lock the person out for a
        minute. A cart this person left on hold comes back."""
        ctx = self._context()
        holder = self._holder(staff_id, pin)
        if not can(holder.role, Permission.SELL):
            raise RuleViolation(f"a {holder.role} may not sell at the till", field="staff")
        if self._staff is not None and self._staff.id != holder.id:
            self.lock()
        staff = StaffCard(holder.id, holder.name, holder.role)
        shift = self._load_shift()
        restored = None
        with self.store.write() as session:
            signin.record_signin(session, holder, register_id=ctx.register_id, now=self.clock())
            if self._cart.is_empty and self._payment is None:
                restored = self._take_held(session, holder)
        # only now that the sign-in is recorded: a refused one leaves nobody signed in
        self._staff, self._shift = staff, shift
        cart = self._adopt(restored) if restored is not None else None
        return SignedIn(staff, shift, self._permissions(staff), cart)

    def _take_held(self, session: Session, holder: signin.PinHolder) -> Restored | None:
        """This person's cart on hold at this till, taken back. A held cart that cannot be
        read stays listed with the parked carts (a manager looks at it) rather than keep the
        cashier from signing in."""
        ctx = self._context()
        for parked in list_parked(session):
            if (parked.staff_id == holder.id and parked.register_id == ctx.register_id
                    and parked.label.endswith(HOLD_SUFFIX)):
                try:
                    read_cart(parked)
                except DomainError as exc:
                    log.warning("held cart %s left parked: %s", parked.id, exc.message)
                    continue
                cart = take_parked(session, parked.id, staff_id=holder.id, now=self.clock())
                return self._restore(session, cart)
        return None

    def lock(self) -> None:
        """The cart (if any) is parked for this cashier, and nobody is signed in."""
        if self._staff is None:
            return
        if self._payment is not None:
            self.cancel_payment()  # refused once a card was captured: finish the sale first
        if not self._cart.is_empty:
            with self.store.write() as session:
                park_cart(session, cart=self._cart, staff_id=self._staff.id,
                          label=f"{self._staff.name} {HOLD_SUFFIX}", now=self.clock())
        self._reset_cart()
        self._staff = None
        self._grants.clear()
        self._scanned_orders.clear()

    def sign_out(self) -> None:
        self.lock()

    def approve(self, manager_id: str, pin: str, permission: Permission | str) -> str:
        """A manager's PIN on the spot: returns their id, to repeat the action with."""
        try:
            wanted = Permission(permission)
        except ValueError:
            raise InvalidInput(f"{permission!r} is not a permission", field="permission") from None
        holder = self._holder(manager_id, pin)
        signin.check_approver(holder, wanted)
        ctx = self._context()
        with self.store.write() as session:
            signin.record_approval(session, holder, wanted,
                                   for_staff=self._staff.id if self._staff else None,
                                   register_id=ctx.register_id, now=self.clock())
        self._grant(holder.id, wanted)
        return holder.id

    # -- the shift -----------------------------------------------------------------------------
    def current_shift(self) -> ShiftView | None:
        self._shift = self._load_shift()
        return self._shift

    def open_shift(self, float_text: str) -> ShiftView:
        staff = self._require_staff(Permission.SHIFT_OPERATE)
        ctx = self._context()
        with self.store.write() as session:
            shift = shifts.open_shift(session, staff_id=staff.id, float_text=float_text,
                                      now=self.clock())
            self._shift = shift_view(shift, ctx.register_code, staff.name, ctx.currency)
        return self._shift

    def cash_movement(self, amount_text: str, direction: str, reason: str) -> ZReport:
        staff = self._require_staff(Permission.CASH_DRAWER)
        shift = self._require_shift()
        with self.store.write() as session:
            shifts.cash_movement(session, shift_id=shift.id, staff_id=staff.id,
                                 amount_text=amount_text, direction=direction, reason=reason,
                                 now=self.clock())
            return shifts.shift_report(session, shift.id)

    def shift_report(self) -> ZReport:
        self._require_staff()
        shift = self._require_shift()
        with self.store.read() as session:
            return shifts.shift_report(session, shift.id)

    def close_shift(self, counted_text: str) -> ZReport:
        staff = self._require_staff(Permission.SHIFT_OPERATE)
        shift = self._require_shift()
        if not self._cart.is_empty or self._payment is not None:
            raise RuleViolation("finish, park or void the sale before closing the shift",
                                field="counted")
        with self.store.write() as session:
            report = shifts.close_shift(session, shift_id=shift.id, staff_id=staff.id,
                                        counted_text=counted_text, now=self.clock())
        self._shift = None
        return report

    # -- parking ---------------------------------------------------------------------------
    def park(self, label: str = "") -> list[ParkedView]:
        """Put the cart aside (any till of the store may resume it); the cart empties."""
        staff = self._selling()
        shift = self._require_shift()
        with self.store.write() as session:
            self._still_open(session, shift.id)
            park_cart(session, cart=self._cart, staff_id=staff.id, label=label,
                      now=self.clock())
            views = self._parked_views(session)
        self._reset_cart()
        return views

    def parked(self) -> list[ParkedView]:
        with self.store.read() as session:
            return self._parked_views(session)

    def resume(self, parked_id: str) -> CartView:
        staff = self._selling()
        if not self._cart.is_empty:
            raise RuleViolation("park or finish this cart before resuming another", field="cart")
        with self.store.write() as session:
            cart = take_parked(session, parked_id, staff_id=staff.id, now=self.clock())
            restored = self._restore(session, cart)
        return self._adopt(restored)

    def _parked_views(self, session: Session) -> list[ParkedView]:
        ctx = self._context()
        store = session.get(Store, ctx.store_id)
        views = []
        for parked in list_parked(session):
            staff = session.get(StaffUser, parked.staff_id) if parked.staff_id else None
            register = session.get(Register, parked.register_id) if parked.register_id else None
            try:
                cart = read_cart(parked)
                priced = price_cart(session, cart, store)
                count = count_text(items_in(cart, [v.product.sold_by_weight
                                                   for v in priced.variants]))
                total = money(priced.priced.total, ctx.currency)
            except DomainError:  # damaged, or an item no longer sold: still listed
                count, total = "", ""
            views.append(ParkedView(parked.id, parked.label, staff.name if staff else "",
                                    register.code if register else "", parked.created_at,
                                    count, total))
        return views

    # -- search (app.till.search) -----------------------------------------------------------
    def search(self, text: str, limit: int = 20) -> SearchResult:
        from app.till import search

        self._require_staff()
        with self.store.read() as session:
            return search.search(session, text, limit=limit, store_id=self._context().store_id)

    def favourites(self) -> list[ItemHit]:
        from app.till import search

        with self.store.read() as session:
            return search.favourites(session)

    def categories(self) -> list[tuple[str, str]]:
        from app.till import search

        with self.store.read() as session:
            return search.categories(session)

    def category_items(self, category_id: str) -> list[ItemHit]:
        from app.till import search

        with self.store.read() as session:
            return search.category_items(session, category_id)
