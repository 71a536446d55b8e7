"""Stock counts, full or partial (a category and those under it, or chosen variants).

Starting a count freezes what the ledger expects of every variant in it (``expected_milli``):
the count sheet prints those figures and the clerks write what is on the shelf. Posting books,
for each counted variant whose count differs, ONE ``count`` movement of the variance
(counted − expected at the start), all in one transaction; variants not counted are left
alone. Cancelling posts nothing.

Movements while a count is open (a sale at the till, a delivery received) are not lost: the
count corrects the level by its variance, not to its counted figure, so the level at posting
is the level now plus the variance (what the till sold after the shelf was counted stays
sold). A level cannot be counted below zero: if more left the store since the count started
than the count found, the posting sets it to zero. The variance report shows what moved since
the start beside each line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import and_, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from app import audit
from app.back_office.paging import Column, Row
from app.back_office.stock.levels import category_subtree
from app.back_office.stock.quantities import parse_count, shown
from app.catalog import display_name, find_code
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.money import format_amount, round_half_up
from app.domain.permissions import Permission
from app.domain.text import contains_pattern
from app.inventory import level, post_movement
from app.sales.identity import this_register
from app.staff import active_staff
from db.base import utcnow
from db.models import Category, Product, StockCount, StockCountLine, StockLevel, Variant

MAX_CHOSEN = 10_000


def _scope_name(session: Session, category_id: str | None, variant_ids: list[str] | None) -> str:
    if variant_ids is not None:
        return f"{len(variant_ids)} chosen item{'s' if len(variant_ids) != 1 else ''}"
    if category_id is None:
        return "All products"
    names, seen, current = [], set(), category_id
    while current is not None and current not in seen:
        seen.add(current)
        category = session.get(Category, current)
        if category is None:
            break
        names.append(category.name)
        current = category.parent_id
    return " › ".join(reversed(names))


def start_count(session: Session, *, staff_id: str, category_id: str | None = None,
                variant_ids: list[str] | None = None) -> StockCount:
    """Start a count of the whole store (neither named), a category and those under it, or
    the chosen variants; the levels now are its expected figures. A variant already in
    another open count is refused (two counts would correct it twice)."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    if category_id is not None and variant_ids is not None:
        raise InvalidInput("count a category or chosen items, not both", field="scope")
    where = [Variant.archived.is_(False), Product.archived.is_(False)]
    if category_id is not None:
        where.append(Product.category_id.in_(category_subtree(session, category_id)))
    if variant_ids is not None:
        variant_ids = list(dict.fromkeys(variant_ids))
        if not variant_ids or len(variant_ids) > MAX_CHOSEN:
            raise InvalidInput(f"choose 1 to {MAX_CHOSEN} items", field="variants")
        known = set(session.scalars(select(Variant.id).where(Variant.id.in_(variant_ids))))
        missing = [v for v in variant_ids if v not in known]
        if missing:
            raise NotFound(f"no product variant {missing[0]!r}", field="variants")
        where.append(Variant.id.in_(variant_ids))
    store, _ = this_register(session)
    count = StockCount(store_id=store.id, scope=_scope_name(session, category_id, variant_ids),
                       started_by=staff.id)
    session.add(count)
    session.flush()
    on_hand = and_(StockLevel.variant_id == Variant.id, StockLevel.store_id == store.id)
    # one INSERT … SELECT: a full count of a big catalogue never passes through Python; in
    # the variants' id order, so the lines' key index is appended to, not split at random
    # (8 times faster for a full count)
    session.execute(insert(StockCountLine).from_select(
        ["count_id", "variant_id", "expected_milli"],
        select(literal(count.id), Variant.id, func.coalesce(StockLevel.quantity_milli, 0))
        .select_from(Variant).join(Product, Product.id == Variant.product_id)
        .outerjoin(StockLevel, on_hand).where(*where).order_by(Variant.id)))
    lines = session.scalar(select(func.count()).where(StockCountLine.count_id == count.id)) or 0
    if not lines:
        raise InvalidInput("nothing to count here: no products in this scope", field="scope")
    # from the other open counts' lines (usually none), each looked up in this count's by
    # its key: never a pass over a full count's million lines
    theirs = StockCountLine.__table__.alias("theirs")
    mine = StockCountLine.__table__.alias("mine")
    count_table = StockCount.__table__
    clash = session.scalar(
        select(count_table.c.scope).select_from(count_table)
        .join(theirs, theirs.c.count_id == count_table.c.id)
        .where(count_table.c.status == "open", count_table.c.id != count.id,
               select(mine.c.variant_id).where(mine.c.count_id == count.id,
                                               mine.c.variant_id == theirs.c.variant_id)
               .exists())
        .limit(1))
    if clash is not None:
        raise RuleViolation(f"some of these items are in the open count “{clash}”: post or "
                            "cancel it first", field="scope")
    audit.append(session, action="stock.count_started", entity="stock_count", entity_id=count.id,
                 actor_id=staff.id, details={"scope": count.scope, "lines": lines})
    return count


def _open_count(session: Session, count_id: str) -> StockCount:
    count = session.get(StockCount, count_id) if isinstance(count_id, str) else None
    if count is None:
        raise NotFound(f"no stock count {count_id!r}", field="count")
    if count.status != "open":
        raise RuleViolation(f"this count is {count.status}: nothing more changes on it",
                            field="count")
    return count


def enter_counts(session: Session, *, staff_id: str, count_id: str,
                 counted: dict[str, object]) -> int:
    """Record counted quantities: variant id → text ("12", "0.480" for a weighed item) or
    milli-units; empty or None clears a line back to not counted. All or nothing; returns how
    many lines changed."""
    active_staff(session, staff_id, Permission.STOCK_WRITE)
    count = _open_count(session, count_id)
    lines = {line.variant_id: line for line in session.scalars(
        select(StockCountLine).where(StockCountLine.count_id == count.id,
                                     StockCountLine.variant_id.in_(list(counted))))}
    for variant_id, value in counted.items():
        field = f"counted[{variant_id}]"
        line = lines.get(variant_id)
        if line is None:
            raise NotFound("this item is not in the count", field=field)
        if value is None or (isinstance(value, str) and not value.strip()):
            line.counted_milli = None
            continue
        weighed = session.get(Variant, variant_id).product.sold_by_weight
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(Decimal(value) / 1000)
        line.counted_milli = parse_count(value, by_weight=weighed, field=field)
    session.flush()
    return len(counted)


def variant_for_code(session: Session, count_id: str, code: str) -> str:
    """The count's variant a scanned barcode (or typed SKU) names."""
    count = _open_count(session, count_id)
    variant = find_code(session, code, field="code").variant
    if session.get(StockCountLine, (count.id, variant.id)) is None:
        raise NotFound(f"{display_name(variant)} is not in this count", field="code")
    return variant.id


@dataclass(frozen=True, slots=True)
class VarianceLine:
    variant_id: str
    sku: str
    name: str
    by_weight: bool
    expected_milli: int
    counted_milli: int
    moved_since_milli: int  # what the ledger moved since the count started
    value: int  # the difference at cost, in minor units (negative: stock lost)

    @property
    def difference_milli(self) -> int:
        return self.counted_milli - self.expected_milli


@dataclass(frozen=True, slots=True)
class VarianceReport:
    count_id: str
    scope: str
    status: str
    currency: str
    lines: tuple[VarianceLine, ...]  # the counted lines that differ (a full count's rest is
    # not listed: it may be a million lines, and what was not counted is not posted)
    counted: int
    total_lines: int

    @property
    def total_value(self) -> int:
        return sum(line.value for line in self.lines)

    def shown_value(self, minor: int) -> str:
        return format_amount(minor, self.currency)


def _value(difference_milli: int, cost: int) -> int:
    return round_half_up(Decimal(difference_milli * cost) / 1000)


def variance_report(session: Session, count_id: str) -> VarianceReport:
    """Expected (at the start), counted, the difference and its value at cost, for every
    counted line that differs, with how much the ledger moved since the start; and how many
    lines are counted of how many."""
    count = session.get(StockCount, count_id) if isinstance(count_id, str) else None
    if count is None:
        raise NotFound(f"no stock count {count_id!r}", field="count")
    store, _ = this_register(session)
    now = and_(StockLevel.variant_id == Variant.id, StockLevel.store_id == count.store_id)
    found = session.execute(
        select(Variant.id, Variant.sku, Product.name, Variant.name, Product.sold_by_weight,
               StockCountLine.expected_milli, StockCountLine.counted_milli, Variant.cost,
               func.coalesce(StockLevel.quantity_milli, 0))
        .select_from(StockCountLine).join(Variant, Variant.id == StockCountLine.variant_id)
        .join(Product, Product.id == Variant.product_id).outerjoin(StockLevel, now)
        .where(StockCountLine.count_id == count.id, StockCountLine.counted_milli.is_not(None),
               StockCountLine.counted_milli != StockCountLine.expected_milli)
        .order_by(Product.name, Variant.sku))
    lines = []
    for vid, sku, product, variant, weighed, expected, counted, cost, on_hand in found:
        name = f"{product} {variant}".strip() if variant else product
        lines.append(VarianceLine(vid, sku, name, weighed, expected, counted, on_hand - expected,
                                  _value(counted - expected, cost)))
    total = session.scalar(select(func.count()).where(StockCountLine.count_id == count.id)) or 0
    counted = session.scalar(select(func.count()).where(
        StockCountLine.count_id == count.id, StockCountLine.counted_milli.is_not(None))) or 0
    return VarianceReport(count.id, count.scope, count.status, store.currency, tuple(lines),
                          counted, total)


def post_count(session: Session, *, staff_id: str, count_id: str) -> list[str]:
    """Post the count: one ``count`` movement per counted variant that differs, in this one
    transaction (see the module docstring for movements made meanwhile). Returns their ids."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    count = _open_count(session, count_id)
    counted = session.scalar(select(func.count()).where(
        StockCountLine.count_id == count.id, StockCountLine.counted_milli.is_not(None))) or 0
    if not counted:
        raise RuleViolation("nothing is counted yet: enter what is on the shelf, or cancel the "
                            "count", field="count")
    differing = session.execute(select(StockCountLine.variant_id, StockCountLine.expected_milli,
                                       StockCountLine.counted_milli)
                                .where(StockCountLine.count_id == count.id,
                                       StockCountLine.counted_milli.is_not(None),
                                       StockCountLine.counted_milli
                                       != StockCountLine.expected_milli)).all()
    reason = f"count {count.scope}"[:200]
    movements = []
    for variant_id, expected, on_shelf in differing:
        before = level(session, store_id=count.store_id, variant_id=variant_id)
        target = max(before + on_shelf - expected, 0)
        if target == before:
            continue
        movements.append(post_movement(session, staff_id=staff.id, variant_id=variant_id,
                                       quantity_milli=target, kind="count", reason=reason).id)
    count.status, count.finished_by, count.finished_at = "posted", staff.id, utcnow()
    session.flush()
    audit.append(session, action="stock.count_posted", entity="stock_count", entity_id=count.id,
                 actor_id=staff.id, details={"counted": counted, "movements": movements})
    return movements


def cancel_count(session: Session, *, staff_id: str, count_id: str) -> None:
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    count = _open_count(session, count_id)
    count.status, count.finished_by, count.finished_at = "cancelled", staff.id, utcnow()
    audit.append(session, action="stock.count_cancelled", entity="stock_count",
                 entity_id=count.id, actor_id=staff.id, details={"scope": count.scope})


def open_counts(session: Session) -> list[tuple[str, str]]:
    """(id, "scope · started") of this store's open counts, newest first."""
    store, _ = this_register(session)
    return [(cid, f"{scope} · {at:%Y-%m-%d %H:%M}") for cid, scope, at in session.execute(
        select(StockCount.id, StockCount.scope, StockCount.started_at)
        .where(StockCount.store_id == store.id, StockCount.status == "open")
        .order_by(StockCount.started_at.desc()))]


@dataclass(frozen=True, slots=True)
class CountLinesSource:
    """A count's lines for entering what was counted, by name (``text`` filters;
    ``uncounted_only`` shows what is left to do). Row ids are variant ids."""

    count_id: str
    text: str = ""
    uncounted_only: bool = False
    descending: bool = False

    columns = (Column("name", "Product"), Column("sku", "SKU", sortable=False),
               Column("expected", "Expected", numeric=True, sortable=False),
               Column("counted", "Counted", numeric=True, sortable=False),
               Column("difference", "Difference", numeric=True, sortable=False))

    def _select(self, *what):  # noqa: ANN002, ANN202
        query = (select(*what).select_from(StockCountLine)
                 .join(Variant, Variant.id == StockCountLine.variant_id)
                 .join(Product, Product.id == Variant.product_id)
                 .where(StockCountLine.count_id == self.count_id))
        if self.text.strip():
            pattern = contains_pattern(self.text.strip())
            query = query.where(or_(Product.name.ilike(pattern, escape="\\"),
                                    Variant.sku.ilike(pattern.removeprefix("%"), escape="\\")))
        if self.uncounted_only:
            query = query.where(StockCountLine.counted_milli.is_(None))
        return query

    def count(self, session: Session) -> int:
        return session.scalar(self._select(func.count())) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        name = Product.name.desc() if self.descending else Product.name
        found = session.execute(self._select(
            Variant.id, Product.name, Variant.name, Variant.sku, Product.sold_by_weight,
            StockCountLine.expected_milli, StockCountLine.counted_milli)
            .order_by(name, Variant.sku).offset(offset).limit(limit))
        rows = []
        for vid, product, variant, sku, weighed, expected, counted in found:
            diff = None if counted is None else counted - expected
            rows.append(Row(vid, (f"{product} {variant}".strip() if variant else product, sku,
                                  shown(expected, by_weight=weighed),
                                  shown(counted, by_weight=weighed),
                                  shown(diff, by_weight=weighed, signed=True) if diff else ""),
                            "" if counted is None else ("differs" if diff else "counted")))
        return rows

    def with_order(self, key: str, descending: bool) -> "CountLinesSource":
        if key != "name":
            raise InvalidInput(f"a count's lines are listed by name, not {key!r}", field="order")
        return replace(self, descending=descending)
