"""The stock lists of the back office, as ``RowSource``s read a page at a time: the levels of
THIS store (a text, category and low-stock filter), the low-stock list, and the movement
history of a product or one of its variants.

Only this store's levels are here: the store feed a till pulls (``sync.apply.store_feed``)
carries the levels of the till's own store, never another store's, so the back office cannot
show them offline and does not pretend to. A level is the server's count plus this till's
movements the server has not acknowledged yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.back_office.paging import Column, Row
from app.back_office.stock.quantities import shown
from app.domain.errors import InvalidInput, NotFound
from app.domain.text import MAX_QUERY_CHARS, contains_pattern, words
from app.sales.identity import this_register
from db.models import (Barcode, Category, Product, StaffUser, StockLevel, StockMovement, Store,
                       Variant)

ON_HAND = func.coalesce(StockLevel.quantity_milli, 0)


def category_subtree(session: Session, category_id: str) -> set[str]:
    """``category_id`` and every category under it (a loop in the tree cannot hang this)."""
    children: dict[str | None, list[str]] = defaultdict(list)
    known = set()
    for cid, parent in session.execute(select(Category.id, Category.parent_id)):
        children[parent].append(cid)
        known.add(cid)
    if category_id not in known:
        raise NotFound(f"no category {category_id}", field="category")
    found, todo = set(), [category_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += children[current]
    return found


MAX_TEXT_MATCHES = 5000
MAX_CODE = 64


def text_matches(query: Select, typed: str) -> Select:
    """``query`` narrowed to the variants ``typed`` finds, each look-up through an index and
    at most ``MAX_TEXT_MATCHES`` long (never a LIKE over every name, which at a million rows
    took seconds a keystroke): words of three letters or more through the till's FTS5
    trigram index of sellable names (``till_search``, as the product list does), words of
    one or two letters then only within those; a text without spaces is also a SKU's start
    (through the SKU index, as typed or in capitals) or a whole barcode. Two letters alone
    find SKUs only: a name needs three."""
    typed = typed[:MAX_QUERY_CHARS]
    terms = words(typed)
    long_words = [w for w in terms if len(w) >= 3]
    short_words = [w for w in terms if len(w) < 3]
    params: dict[str, object] = {}
    alternatives = []
    if long_words:
        params["match"] = " AND ".join(f'"{w}"' for w in long_words)
        by_name = ["variants.id IN (SELECT v.id FROM till_search AS t CROSS JOIN variants AS v "
                   "ON v.rowid = t.rowid WHERE till_search MATCH :match "
                   f"LIMIT {MAX_TEXT_MATCHES})"]
        for n, word in enumerate(short_words):
            params[f"short{n}"] = contains_pattern(word)
            by_name.append(f"(products.name LIKE :short{n} ESCAPE '\\' "
                           f"OR variants.name LIKE :short{n} ESCAPE '\\')")
        alternatives.append("(" + " AND ".join(by_name) + ")")
    if len(typed) <= MAX_CODE and not any(c.isspace() for c in typed):
        params.update(code=typed, code_end=_after(typed), upper=typed.upper(),
                      upper_end=_after(typed.upper()))
        alternatives.append(
            "variants.id IN (SELECT id FROM variants WHERE (sku >= :code AND sku < :code_end) "
            f"OR (sku >= :upper AND sku < :upper_end) LIMIT {MAX_TEXT_MATCHES})")
        alternatives.append("variants.id IN (SELECT variant_id FROM barcodes WHERE code = :code)")
    if not alternatives:
        return query.where(sql("0"))
    return query.where(sql("(" + " OR ".join(alternatives) + ")").bindparams(**params))


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _scanned(session: Session, text: str) -> str | None:
    """The variant whose barcode or SKU is exactly ``text`` (one word), if any."""
    if not text or " " in text:
        return None
    return (session.scalar(select(Barcode.variant_id).where(Barcode.code == text))
            or session.scalar(select(Variant.id).where(Variant.sku == text)))


def is_low():  # noqa: ANN201 - a SQL condition
    """At or below the product's low-stock threshold (products without one are never low)."""
    return and_(Product.low_stock_threshold.is_not(None), ON_HAND <= Product.low_stock_threshold)


@dataclass(frozen=True, slots=True)
class LevelsSource:
    """Variants of this store's catalogue (not archived) with their level. ``text`` matches
    names by their words, a SKU (its start) or a barcode (exactly): see :func:`text_matches`."""

    text: str = ""
    category_id: str | None = None
    low_only: bool = False
    order: str = "sku"  # by SKU walks the variants' own index: a deep page of a million is quick
    descending: bool = False

    # Only the SKU column sorts: it walks the variants' own index, a deep page of a million in
    # a few hundred ms. By name, on hand or threshold the whole joined list had to be sorted
    # (seconds at a million, on the one db worker every page shares); the low-stock list
    # alone, a few thousand rows with a threshold, is read lowest first.
    columns = (Column("name", "Product", sortable=False),
               Column("variant", "Variant", sortable=False), Column("sku", "SKU"),
               Column("on_hand", "On hand", numeric=True, sortable=False),
               Column("threshold", "Low at", numeric=True, sortable=False))
    _ORDERS = {"sku": (Variant.sku,), "on_hand": (ON_HAND, Variant.sku)}

    def _select(self, session: Session, *what) -> Select:  # noqa: ANN002
        store, _ = this_register(session)
        level = and_(StockLevel.variant_id == Variant.id, StockLevel.store_id == store.id)
        query = (select(*what).select_from(Variant).join(Product, Product.id == Variant.product_id)
                 .outerjoin(StockLevel, level)
                 .where(Variant.archived.is_(False), Product.archived.is_(False)))
        text = self.text.strip()
        scanned = _scanned(session, text)
        if scanned is not None:
            # a scanned barcode or a whole SKU: that item alone, through its key (a scan at
            # the shelf must not wait for a pass over the whole catalogue's names)
            query = query.where(Variant.id == scanned)
        elif text:
            query = text_matches(query, text)
        if self.category_id is not None:
            query = query.where(Product.category_id.in_(category_subtree(session,
                                                                         self.category_id)))
        if self.low_only:
            query = query.where(is_low())
        return query

    def count(self, session: Session) -> int:
        if self.text.strip() or self.low_only:
            return session.scalar(self._select(session, func.count())) or 0
        # Without a filter on the product's name or level, count the variants alone: one
        # pass over them against the (few) archived products' ids, instead of a lookup of
        # each variant's product (15 times faster at a million).
        archived = select(Product.id).where(Product.archived.is_(True))
        query = (select(func.count()).select_from(Variant)
                 .where(Variant.archived.is_(False), Variant.product_id.not_in(archived)))
        if self.category_id is not None:
            query = query.where(Variant.product_id.in_(
                select(Product.id).where(Product.category_id.in_(
                    category_subtree(session, self.category_id)))))
        return session.scalar(query) or 0

    def _page_ids(self, session: Session, offset: int, limit: int) -> list[str] | None:
        """The page's variant ids from the variants' SKU index alone, when the list is in SKU
        order and filters on nothing of the product's name or level: skipping half a million
        index entries is quick, joining each skipped one to its product and level was not
        (a middle page at a million took 7 s). None when the list needs the joins."""
        if self.order != "sku" or self.text.strip() or self.low_only:
            return None
        archived = select(Product.id).where(Product.archived.is_(True))
        query = select(Variant.id).where(Variant.archived.is_(False),
                                         Variant.product_id.not_in(archived))
        if self.category_id is not None:
            query = query.where(Variant.product_id.in_(
                select(Product.id).where(Product.category_id.in_(
                    category_subtree(session, self.category_id)))))
        sku = Variant.sku.desc() if self.descending else Variant.sku
        return list(session.scalars(query.order_by(sku).offset(offset).limit(limit)))

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        keys = self._ORDERS[self.order]
        order = [k.desc() if self.descending else k for k in keys]
        what = (Variant.id, Product.name, Variant.name, Variant.sku, Product.sold_by_weight,
                ON_HAND, Product.low_stock_threshold)
        ids = self._page_ids(session, offset, limit)
        if ids is None:
            found = session.execute(self._select(session, *what)
                                    .order_by(*order, Variant.id).offset(offset).limit(limit))
        else:
            by_id = {row[0]: row for row in session.execute(
                self._select(session, *what).where(Variant.id.in_(ids)))}
            found = [by_id[vid] for vid in ids if vid in by_id]
        rows = []
        for vid, product, variant, sku, weighed, on_hand, threshold in found:
            low = threshold is not None and on_hand <= threshold
            rows.append(Row(vid, (product, variant, sku, shown(on_hand, by_weight=weighed),
                                  shown(threshold, by_weight=weighed)), "low" if low else ""))
        return rows

    def with_order(self, key: str, descending: bool) -> "LevelsSource":
        if key != "sku" and not (key == "on_hand" and self.low_only):
            raise InvalidInput(f"the stock levels sort by SKU only, not {key!r}", field="order")
        return replace(self, order=key, descending=descending)


def low_stock(text: str = "", category_id: str | None = None) -> LevelsSource:
    """The low-stock list: variants at or below their product's threshold, lowest first."""
    return LevelsSource(text=text, category_id=category_id, low_only=True, order="on_hand")


def _zone(store: Store):  # noqa: ANN202
    try:
        return ZoneInfo(store.timezone) if store.timezone else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


@dataclass(frozen=True, slots=True)
class MovementsSource:
    """The ledger of this store for one variant (``variant_id``) or all variants of one
    product (``product_id``), newest first: when, kind, quantity, reason, who, and whether the
    server has acknowledged it yet."""

    variant_id: str | None = None
    product_id: str | None = None
    descending: bool = True

    columns = (Column("at", "When"), Column("sku", "SKU", sortable=False),
               Column("kind", "Kind", sortable=False),
               Column("quantity", "Quantity", numeric=True, sortable=False),
               Column("reason", "Reason", sortable=False), Column("who", "Who", sortable=False),
               Column("synced", "Synced", sortable=False))

    def __post_init__(self) -> None:
        if (self.variant_id is None) == (self.product_id is None):
            raise InvalidInput("name a product or one of its variants", field="variant")

    def _select(self, session: Session, *what) -> Select:  # noqa: ANN002
        store, _ = this_register(session)
        query = (select(*what).select_from(StockMovement)
                 .join(Variant, Variant.id == StockMovement.variant_id)
                 .where(StockMovement.store_id == store.id))
        if self.variant_id is not None:
            return query.where(StockMovement.variant_id == self.variant_id)
        return query.where(Variant.product_id == self.product_id)

    def count(self, session: Session) -> int:
        return session.scalar(self._select(session, func.count())) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        store, _ = this_register(session)
        zone = _zone(store)
        order = StockMovement.at.desc() if self.descending else StockMovement.at
        found = session.execute(
            self._select(session, StockMovement.id, StockMovement.at, Variant.sku,
                         StockMovement.kind, StockMovement.quantity_milli, StockMovement.reason,
                         StaffUser.name, StockMovement.synced, Product.sold_by_weight)
            .join(Product, Product.id == Variant.product_id)
            .outerjoin(StaffUser, StaffUser.id == StockMovement.staff_id)
            .order_by(order, StockMovement.id.desc() if self.descending else StockMovement.id)
            .offset(offset).limit(limit))
        return [Row(mid, (f"{at.astimezone(zone):%Y-%m-%d %H:%M}", sku, kind,
                          shown(quantity, by_weight=weighed, signed=True), reason, who or "",
                          "yes" if synced else "not yet"), "" if synced else "unsynced")
                for mid, at, sku, kind, quantity, reason, who, synced, weighed in found]

    def with_order(self, key: str, descending: bool) -> "MovementsSource":
        if key != "at":
            raise InvalidInput(f"movements are listed by time, not {key!r}", field="order")
        return replace(self, descending=descending)


def category_choices(session: Session) -> list[tuple[str, str]]:
    """(id, "Drinks › Beer") of every category, by path: for the filters and count scopes."""
    rows = {cid: (parent, name) for cid, parent, name in
            session.execute(select(Category.id, Category.parent_id, Category.name))}

    def path(cid: str) -> str:
        names, seen = [], set()
        while cid in rows and cid not in seen:
            seen.add(cid)
            parent, name = rows[cid]
            names.append(name)
            cid = parent
        return " › ".join(reversed(names))

    return sorted(((cid, path(cid)) for cid in rows), key=lambda item: item[1].casefold())
