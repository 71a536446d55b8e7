"""Receiving goods against a supplier's delivery: the delivery note's lines (by barcode or
SKU, with the quantity the supplier says they sent) are kept here; what arrives is received
fully or in parts, each receipt posted to the ledger (``receipt`` movements) and added to its
line, so over and short deliveries show per line; the delivery is closed when done.

An item that arrives unannounced is received too: it gets a line expecting nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.back_office.paging import Column, Row
from app.back_office.stock.quantities import shown
from app.catalog import display_name, find_code
from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.quantity import check_quantity_milli
from app.inventory import post_movement
from app.sales.identity import this_register
from app.staff import active_staff
from db.base import utcnow
from db.models import Delivery, DeliveryLine, Variant

MAX_SUPPLIER, MAX_REFERENCE, MAX_LINES = 200, 100, 5000


@dataclass(frozen=True, slots=True)
class DeliveryLineView:
    id: str
    variant_id: str
    sku: str
    name: str
    by_weight: bool
    expected_milli: int
    received_milli: int

    @property
    def difference_milli(self) -> int:
        """Received minus expected: negative is short, positive over."""
        return self.received_milli - self.expected_milli

    @property
    def difference(self) -> str:
        d = self.difference_milli
        if d == 0:
            return ""
        word = "over" if d > 0 else "short"
        return f"{word} {shown(abs(d), by_weight=self.by_weight)}"


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: str
    supplier: str
    reference: str
    status: str
    lines: tuple[DeliveryLineView, ...]


def _quantity(value: object, variant: Variant, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        milli = value
    else:
        milli = scaled_int(to_decimal(value, field=field, what="a quantity"), 3, field=field,
                           too_precise=f"{str(value)[:40]!r} has more than three decimal places")
    return check_quantity_milli(milli, field=field, allow_fraction=variant.product.sold_by_weight)


def _text(value: object, field: str, max_length: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=field)
    text = value.strip()
    if required and not text:
        raise InvalidInput("must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"at most {max_length} characters", field=field)
    return text


def create_delivery(session: Session, *, staff_id: str, supplier: str, reference: str = "",
                    lines: list[tuple[str, object]]) -> Delivery:
    """A delivery expected from ``supplier``: ``lines`` are (barcode or SKU, quantity); a code
    named twice adds up. Errors name the line (``lines[2].code``); nothing is kept then."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    supplier = _text(supplier, "supplier", MAX_SUPPLIER, required=True)
    reference = _text(reference, "reference", MAX_REFERENCE, required=False)
    if not lines:
        raise InvalidInput("a delivery has at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines", field="lines")
    wanted: dict[str, int] = {}
    for n, (code, quantity) in enumerate(lines, start=1):
        variant = find_code(session, code, field=f"lines[{n}].code").variant
        milli = _quantity(quantity, variant, f"lines[{n}].quantity")
        wanted[variant.id] = wanted.get(variant.id, 0) + milli
    store, _ = this_register(session)
    delivery = Delivery(store_id=store.id, supplier=supplier, reference=reference,
                        created_by=staff.id)
    session.add(delivery)
    session.flush()
    for line_no, (variant_id, milli) in enumerate(wanted.items(), start=1):
        session.add(DeliveryLine(delivery_id=delivery.id, line_no=line_no, variant_id=variant_id,
                                 expected_milli=milli))
    session.flush()
    audit.append(session, action="stock.delivery_created", entity="delivery",
                 entity_id=delivery.id, actor_id=staff.id,
                 details={"supplier": supplier, "reference": reference, "lines": len(wanted)})
    return delivery


def _open_delivery(session: Session, delivery_id: str) -> Delivery:
    delivery = session.get(Delivery, delivery_id) if isinstance(delivery_id, str) else None
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id!r}", field="delivery")
    if delivery.status != "open":
        raise RuleViolation("this delivery is closed: nothing more is received on it",
                            field="delivery")
    return delivery


def delivery_view(session: Session, delivery_id: str) -> DeliveryView:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id!r}", field="delivery")
    found = session.scalars(select(DeliveryLine).where(DeliveryLine.delivery_id == delivery.id)
                            .order_by(DeliveryLine.line_no))
    lines = []
    for line in found:
        variant = session.get(Variant, line.variant_id)
        lines.append(DeliveryLineView(line.id, variant.id, variant.sku, display_name(variant),
                                      variant.product.sold_by_weight, line.expected_milli,
                                      line.received_milli))
    return DeliveryView(delivery.id, delivery.supplier, delivery.reference, delivery.status,
                        tuple(lines))


def line_for_code(session: Session, delivery_id: str, code: str) -> str:
    """The line a scanned barcode (or typed SKU) belongs to, for the receiving screen."""
    _open_delivery(session, delivery_id)
    variant = find_code(session, code, field="code").variant
    line_id = session.scalar(select(DeliveryLine.id).where(
        DeliveryLine.delivery_id == delivery_id, DeliveryLine.variant_id == variant.id))
    if line_id is None:
        raise NotFound(f"{display_name(variant)} is not on this delivery: receive it as an "
                       "extra item", field="code")
    return line_id


def receive(session: Session, *, staff_id: str, delivery_id: str,
            received: dict[str, object], extra: list[tuple[str, object]] = (),
            close: bool = False) -> list[str]:
    """Receive what arrived now: ``received`` maps a line's id to the quantity counted off
    the van (lines left out or empty receive nothing), ``extra`` are (code, quantity) of items
    not on the note. One ``receipt`` movement per line that received something; ``close``
    closes the delivery after. All or nothing. Returns the movement ids."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    delivery = _open_delivery(session, delivery_id)
    lines = {line.id: line for line in session.scalars(
        select(DeliveryLine).where(DeliveryLine.delivery_id == delivery.id))}
    todo: list[tuple[DeliveryLine, int]] = []
    for line_id, quantity in received.items():
        field = f"received[{line_id}]"
        line = lines.get(line_id)
        if line is None:
            raise NotFound(f"no line {line_id!r} on this delivery", field=field)
        if quantity in (None, "", 0) or (isinstance(quantity, str) and not quantity.strip()):
            continue
        todo.append((line, _quantity(quantity, session.get(Variant, line.variant_id), field)))
    by_variant = {line.variant_id: line for line in lines.values()}
    next_no = max((line.line_no for line in lines.values()), default=0) + 1
    for n, (code, quantity) in enumerate(extra, start=1):
        variant = find_code(session, code, field=f"extra[{n}].code").variant
        milli = _quantity(quantity, variant, f"extra[{n}].quantity")
        line = by_variant.get(variant.id)
        if line is None:
            line = DeliveryLine(delivery_id=delivery.id, line_no=next_no, variant_id=variant.id,
                                expected_milli=0)
            session.add(line)
            next_no += 1
            by_variant[variant.id] = line
        todo.append((line, milli))
    if not todo and not close:
        raise InvalidInput("nothing to receive: enter the quantities that arrived",
                           field="received")
    reason = f"delivery {delivery.supplier} {delivery.reference}".strip()[:200]
    movements = []
    for line, milli in todo:
        movement = post_movement(session, staff_id=staff.id, variant_id=line.variant_id,
                                 quantity_milli=milli, kind="receipt", reason=reason)
        line.received_milli += milli
        movements.append(movement.id)
    if close:
        delivery.status, delivery.closed_at = "closed", utcnow()
    session.flush()
    audit.append(session, action="stock.delivery_received", entity="delivery",
                 entity_id=delivery.id, actor_id=staff.id,
                 details={"movements": movements, "closed": close})
    return movements


def close_delivery(session: Session, *, staff_id: str, delivery_id: str) -> None:
    """Close without receiving more (what never came stays short on the delivery)."""
    receive(session, staff_id=staff_id, delivery_id=delivery_id, received={}, close=True)


@dataclass(frozen=True, slots=True)
class DeliveriesSource:
    """The deliveries of this store, newest first; open ones only unless ``closed_too``."""

    closed_too: bool = False
    descending: bool = True

    columns = (Column("created", "Created"), Column("supplier", "Supplier", sortable=False),
               Column("reference", "Reference", sortable=False),
               Column("status", "Status", sortable=False),
               Column("lines", "Lines", numeric=True, sortable=False))

    def _where(self, session: Session) -> list:
        store, _ = this_register(session)
        where = [Delivery.store_id == store.id]
        if not self.closed_too:
            where.append(Delivery.status == "open")
        return where

    def count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(Delivery)
                              .where(*self._where(session))) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        lines = (select(func.count()).where(DeliveryLine.delivery_id == Delivery.id)
                 .correlate(Delivery).scalar_subquery())
        order = Delivery.created_at.desc() if self.descending else Delivery.created_at
        found = session.execute(select(Delivery.id, Delivery.created_at, Delivery.supplier,
                                       Delivery.reference, Delivery.status, lines)
                                .where(*self._where(session)).order_by(order, Delivery.id)
                                .offset(offset).limit(limit))
        return [Row(did, (f"{at.astimezone(timezone.utc):%Y-%m-%d %H:%M}", supplier, reference,
                          status, str(n)), "" if status == "open" else "closed")
                for did, at, supplier, reference, status, n in found]

    def with_order(self, key: str, descending: bool) -> "DeliveriesSource":
        if key != "created":
            raise InvalidInput(f"deliveries are listed by date, not {key!r}", field="order")
        return replace(self, descending=descending)
