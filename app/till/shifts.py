"""Shifts at a register: opened with a float, cash put in or taken out with a reason, closed
with the cash counted — expected against counted, and the Z-report frozen at that moment.

One open shift per register. Each function runs inside the caller's write (or read)
transaction and checks the member of staff's permission itself, so the window, scripts and
tests get the same rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.money import exponent, parse_amount
from app.domain.permissions import Permission
from app.sales.identity import this_register
from app.staff import active_staff
from app.till.format import money
from app.till.views import ZReport
from app.till.zreport import build_report, drawer_figures, report_from_json, report_to_json
from db.models import CashMovement, Shift

MAX_REASON = 200
IN, OUT = "in", "out"
#: no drawer holds more than this (major units): a larger float, count or movement is a slip
#: (a barcode scanned into the field, a count typed in cents)
MAX_DRAWER_MAJOR = 100_000


def drawer_amount(text: object, currency: str, *, field: str) -> int:
    """An amount of cash in the drawer: exact, not negative, and not absurd."""
    amount = parse_amount(text, currency, field=field)
    limit = MAX_DRAWER_MAJOR * 10 ** exponent(currency)
    if amount > limit:
        raise InvalidInput(f"{money(amount, currency)} is more than {money(limit, currency)}: "
                           "is that right?", field=field)
    return amount


def open_shift_of(session: Session, register_id: str) -> Shift | None:
    """The register's open shift, if any."""
    return session.scalar(select(Shift).where(Shift.register_id == register_id,
                                              Shift.closed_at.is_(None))
                          .order_by(Shift.opened_at.desc()).limit(1))


def open_shift(session: Session, *, staff_id: str, float_text: object, now: datetime) -> Shift:
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.SHIFT_OPERATE)
    opening = drawer_amount(float_text, store.currency, field="float")
    if open_shift_of(session, register.id) is not None:
        raise RuleViolation(f"a shift is already open on {register.code}: close it first",
                            field="shift")
    shift = Shift(register_id=register.id, opened_by=staff.id, opened_at=now,
                  opening_float=opening)
    session.add(shift)
    session.flush()
    audit.append(session, action="shift.opened", entity="shift", entity_id=shift.id,
                 actor_id=staff.id, details={"register": register.code, "float": opening,
                                             "currency": store.currency}, at=now)
    return shift


def _shift(session: Session, shift_id: str) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"no shift {shift_id}", field="shift")
    return shift


def _open(session: Session, shift_id: str) -> Shift:
    shift = _shift(session, shift_id)
    if shift.closed_at is not None:
        raise RuleViolation("this shift is closed already", field="shift")
    return shift


def clean_reason(reason: object) -> str:
    if not isinstance(reason, str):
        raise InvalidInput("must be text", field="reason")
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("say why the cash goes in or out", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"is longer than {MAX_REASON} characters", field="reason")
    if not text.isprintable():
        raise InvalidInput("holds control characters", field="reason")
    return text


def cash_movement(session: Session, *, shift_id: str, staff_id: str, amount_text: object,
                  direction: str, reason: object, now: datetime) -> CashMovement:
    """Cash put into (``in``) or taken out of (``out``) the drawer, with the reason. Cash out
    can never exceed what the drawer should hold."""
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.CASH_DRAWER)
    if direction not in (IN, OUT):
        raise InvalidInput(f"{direction!r} is neither in nor out", field="direction")
    amount = drawer_amount(amount_text, store.currency, field="amount")
    if amount == 0:
        raise InvalidInput("must be greater than zero", field="amount")
    why = clean_reason(reason)
    shift = _open(session, shift_id)
    if direction == OUT:
        expected = drawer_figures(session, shift).expected
        if amount > expected:
            raise RuleViolation(f"the drawer should hold {money(expected, store.currency)}: "
                                f"{money(amount, store.currency)} cannot be taken out",
                                field="amount")
    movement = CashMovement(shift_id=shift.id, amount=amount if direction == IN else -amount,
                            reason=why, staff_id=staff.id, at=now)
    session.add(movement)
    session.flush()
    audit.append(session, action=f"shift.cash_{direction}", entity="shift", entity_id=shift.id,
                 actor_id=staff.id, details={"amount": amount, "reason": why,
                                             "register": register.code}, at=now)
    return movement


def shift_report(session: Session, shift_id: str) -> ZReport:
    """The running figures of an open shift, or the frozen report of a closed one."""
    shift = _shift(session, shift_id)
    if shift.z_report:
        return report_from_json(shift.z_report)
    store, register = this_register(session)
    return build_report(session, shift, currency=store.currency, register_code=register.code)


def close_shift(session: Session, *, shift_id: str, staff_id: str, counted_text: object,
                now: datetime) -> ZReport:
    """Close with the cash counted: expected, counted and difference recorded, the Z-report
    frozen into the shift (a reprint shows the same figures), audit ``shift.closed``."""
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.SHIFT_OPERATE)
    counted = drawer_amount(counted_text, store.currency, field="counted")
    shift = _open(session, shift_id)
    report = build_report(session, shift, currency=store.currency, register_code=register.code,
                          closed_at=now, closed_by=staff.id, counted=counted)
    shift.closed_at, shift.closed_by = now, staff.id
    shift.expected_cash, shift.counted_cash = report.expected_cash, counted
    shift.z_report = report_to_json(report)
    audit.append(session, action="shift.closed", entity="shift", entity_id=shift.id,
                 actor_id=staff.id,
                 details={"register": register.code, "expected": report.expected_cash,
                          "counted": counted, "difference": report.difference,
                          "sales": report.sales_count, "net_sales": report.net_sales}, at=now)
    session.flush()
    return report
