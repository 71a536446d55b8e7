"""Tax classes and their rates, added and edited in the back office (``settings:manage``) and
pushed as ``tax_class.upsert``. Rates are typed as percentages and kept exactly, in parts per
million (``app.domain.rates``): "8.875" is 88 750 ppm, never a float.

Taxes are the catalogue's, so the server wins: an edit carries the version it was based on
(0 for a class born here) and is applied only if nobody changed the class meanwhile; otherwise
it comes back as a ``conflict`` (a sync issue says so) and the pull brings the server's class.
The local version moves on to the one the server will give the edit, so the next edit after it
is applied needs no pull first; a second edit while one still waits to be sent is refused
(were the first not kept, the second's base would name a version this till never saw).
An edit also carries the name and rates it replaced (``before``): if the server refuses it,
``sync.resolution`` puts them back with the base version, so the till never taxes a sale at
rates the server did not accept (a refused class born here is removed if nothing uses it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.rates import format_percent, parse_percent
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.base import new_id
from db.engine import LocalStore
from db.models import OutboxEntry, TaxClass, TaxRate

MAX_NAME = 100
MAX_RATES = 5  # as the server's tax classes


@dataclass(frozen=True, slots=True)
class RateView:
    name: str
    rate_ppm: int

    @property
    def percent(self) -> str:
        return format_percent(self.rate_ppm)


@dataclass(frozen=True, slots=True)
class TaxClassView:
    id: str
    name: str
    version: int
    rates: tuple[RateView, ...]
    waiting: bool  # an edit of it waits in the outbox

    def describe(self) -> str:
        rates = ", ".join(f"{r.name} {r.percent} %" for r in self.rates) or "no tax"
        return f"{self.name} — {rates}"


@dataclass(frozen=True, slots=True)
class RateInput:
    """A rate as typed: its name and a percentage such as ``"20"`` or ``"8.875%"``."""

    name: str
    percent: str


def _waiting_ids(session: Session) -> set[str]:
    return set(session.scalars(select(OutboxEntry.entity_id).where(
        OutboxEntry.kind == MutationKind.TAX_CLASS_UPSERT.value)))


def tax_classes(session: Session) -> list[TaxClassView]:
    """Every tax class, by name (a shop has a handful)."""
    waiting = _waiting_ids(session)
    found = session.scalars(select(TaxClass).order_by(TaxClass.name, TaxClass.id))
    return [TaxClassView(c.id, c.name, c.version,
                         tuple(RateView(r.name, r.rate_ppm) for r in c.rates), c.id in waiting)
            for c in found]


def _name(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=field)
    text = value.strip()
    if not text:
        raise InvalidInput("is required", field=field)
    if len(text) > MAX_NAME:
        raise InvalidInput(f"is longer than {MAX_NAME} characters", field=field)
    if not text.isprintable():
        raise InvalidInput("holds control characters", field=field)
    return text


def check_rates(rates: Sequence[RateInput]) -> list[tuple[str, int]]:
    """The rates as (name, ppm); fields are named ``rates[N].name`` / ``rates[N].percent``."""
    if len(rates) > MAX_RATES:
        raise InvalidInput(f"a tax class has at most {MAX_RATES} rates", field="rates")
    found: list[tuple[str, int]] = []
    for n, rate in enumerate(rates):
        name = _name(rate.name, f"rates[{n}].name")
        if any(name == other for other, _ in found):
            raise InvalidInput(f"{name!r} is named twice", field=f"rates[{n}].name")
        found.append((name, parse_percent(rate.percent, field=f"rates[{n}].percent")))
    return found


def save_tax_class(session: Session, *, staff_id: str, name: str, rates: Sequence[RateInput],
                   tax_class_id: str | None = None) -> TaxClassView:
    """Add a tax class (``tax_class_id`` None) or replace an existing one's name and rates;
    queue ``tax_class.upsert`` and audit it, in the caller's write transaction."""
    active_staff(session, staff_id, Permission.SETTINGS_MANAGE)
    clean_name = _name(name, "name")
    clean_rates = check_rates(rates)
    same_name = session.scalar(select(TaxClass.id).where(
        func.lower(TaxClass.name) == clean_name.lower()))
    if same_name is not None and same_name != tax_class_id:
        raise InvalidInput(f"another tax class is called {clean_name!r}", field="name")
    if tax_class_id is None:
        tax_class = TaxClass(id=new_id(), name=clean_name, version=0)
        session.add(tax_class)
        before = None
    else:
        tax_class = session.get(TaxClass, tax_class_id)
        if tax_class is None:
            raise NotFound(f"no tax class {tax_class_id}", field="tax_class")
        if tax_class_id in _waiting_ids(session):
            raise RuleViolation(f"an earlier change to {tax_class.name} has not reached the "
                                "server yet: sync first, then change it again",
                                field="tax_class")
        before = {"name": tax_class.name,
                  "rates": [[r.name, r.rate_ppm] for r in tax_class.rates]}
        if before == {"name": clean_name, "rates": [list(r) for r in clean_rates]}:
            return _view(session, tax_class)  # nothing changed: nothing to send
    base_version = tax_class.version
    tax_class.name = clean_name
    for old in list(tax_class.rates):
        session.delete(old)
    session.flush()
    for position, (rate_name, ppm) in enumerate(clean_rates):
        session.add(TaxRate(id=new_id(), tax_class_id=tax_class.id, name=rate_name,
                            rate_ppm=ppm, position=position))
    tax_class.version = base_version + 1  # what the server gives it once applied
    wire_rates = [{"name": n, "rate_ppm": ppm} for n, ppm in clean_rates]
    payload = {"id": tax_class.id, "base_version": base_version, "name": clean_name,
               "rates": wire_rates, "staff_id": staff_id}
    if before is not None:  # what a refused edit puts back here (the server reads it not)
        payload["before"] = before
    outbox.enqueue(session, kind=MutationKind.TAX_CLASS_UPSERT.value, entity_id=tax_class.id,
                   payload=payload)
    audit.append(session, action="tax_class.created" if before is None else "tax_class.updated",
                 entity="tax_class", entity_id=tax_class.id, actor_id=staff_id,
                 details={"from": before, "to": {"name": clean_name, "rates": wire_rates}})
    session.flush()
    session.expire(tax_class, ["rates"])
    return _view(session, tax_class)


def _view(session: Session, tax_class: TaxClass) -> TaxClassView:
    return TaxClassView(tax_class.id, tax_class.name, tax_class.version,
                        tuple(RateView(r.name, r.rate_ppm) for r in tax_class.rates),
                        tax_class.id in _waiting_ids(session))


def load_tax_classes(store: LocalStore) -> list[TaxClassView]:
    with store.read() as session:
        return tax_classes(session)


def store_tax_class(store: LocalStore, *, staff_id: str, name: str,
                    rates: Sequence[RateInput], tax_class_id: str | None = None) -> TaxClassView:
    """:func:`save_tax_class` in its own write transaction (for the page's worker)."""
    with store.write() as session:
        return save_tax_class(session, staff_id=staff_id, name=name, rates=rates,
                              tax_class_id=tax_class_id)
