"""The back office's product list: one row per product (its least SKU, its price range, its
stock in this store, its category), filtered and sorted in SQL a page at a time, so a
catalogue of a million products counts and opens any page in a few tens of milliseconds.

Filters:
- text: words of three letters or more through the till's FTS5 trigram index (``till_search``,
  which holds the sellable variants: archived products are matched by name with ``LIKE``
  instead, a scan); shorter words must occur in the name; a text without spaces is also a
  SKU or barcode prefix. At most ``MAX_TEXT_MATCHES`` variants are taken from each look-up
  (a word found in half the catalogue is no filter: the list says to type more);
- category: the category and every one below it;
- status: active (default), archived or all;
- low stock: products with a threshold whose stock here is at or below it.

Orders: name (index ``ix_products_archived_name``), SKU and price (``product_summaries``, kept
by triggers), stock (computed per product: a full sort, the slow one at a million products).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from app.back_office.paging import Column, Row
from app.domain.errors import InvalidInput
from app.domain.text import MAX_QUERY_CHARS, contains_pattern, words
from app.sales.identity import STORE_KEY, get_local
from app.till.format import money, quantity_text

MAX_TEXT_MATCHES = 5000
STATUSES = ("active", "archived", "all")
MAX_CODE = 64

COLUMNS = (
    Column("name", "Name"),
    Column("sku", "SKU"),
    Column("price", "Price", numeric=True),
    Column("stock", "Stock", numeric=True),
    Column("variants", "Variants", numeric=True, sortable=False),
    Column("category", "Category", sortable=False),
)

_STOCK = ("(SELECT coalesce(sum(l.quantity_milli), 0) FROM variants AS sv "
          "JOIN stock_levels AS l ON l.variant_id = sv.id AND l.store_id = :store "
          "WHERE sv.product_id = p.id AND NOT sv.archived)")
# ties by rowid: the indexes hold it (a 36-character id would double their size, and a deep
# page is a walk over index entries)
_ORDERS = {"name": "p.name {d}, p.rowid {d}", "sku": "s.sku {d}, s.rowid {d}",
           "price": "s.price_min {d}, s.rowid {d}", "stock": "s.stock_milli {d}, s.rowid {d}"}
#: another store's stock is not summarised: computed per product (a full sort)
_OTHER_STORE_STOCK = f"{_STOCK} {{d}}, p.name, p.rowid"
#: orders read through the summaries' indexes when nothing else filters: the active/archived
#: filter is the summary's copy, so a page is found without reading products
_BY_SUMMARY = ("sku", "price", "stock")


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True, slots=True)
class ProductListSource:
    """One view of the product list; a new filter or order is a new source."""

    text: str = ""
    category_id: str | None = None
    status: str = "active"
    low_stock: bool = False
    order: str = "name"
    descending: bool = False
    store_id: str | None = None  # None: this till's store
    columns: tuple[Column, ...] = COLUMNS

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise InvalidInput(f"must be one of {', '.join(STATUSES)}", field="status")
        if self.order not in _ORDERS:
            raise InvalidInput(f"cannot sort by {self.order!r}", field="order")

    def with_order(self, key: str, descending: bool) -> "ProductListSource":
        if key not in _ORDERS:
            raise InvalidInput(f"cannot sort by {key!r}", field="order")
        return replace(self, order=key, descending=descending)

    def with_filters(self, **changes: object) -> "ProductListSource":
        return replace(self, **changes)  # type: ignore[arg-type]

    # -- SQL ----------------------------------------------------------------------------------
    def _where(self, session: Session, flag: str = "p") -> tuple[list[str], dict[str, object]]:
        where: list[str] = []
        params: dict[str, object] = {"store": self._store(session)}
        # with a low-stock filter the few products with a threshold lead (their partial
        # index), never the walk of every active product ("+" keeps the index unused)
        archived = f"+{flag}.archived" if self.low_stock else f"{flag}.archived"
        if self.status == "active":
            where.append(f"{archived} = 0")
        elif self.status == "archived":
            where.append(f"{archived} = 1")
        if self.category_id:
            # the subtree's ids first (a few rows): the planner then reads products by them
            params["categories"] = json.dumps([row[0] for row in session.execute(sql(
                "WITH RECURSIVE below(id) AS (SELECT :category UNION SELECT c.id FROM "
                "categories AS c JOIN below ON c.parent_id = below.id) SELECT id FROM below"),
                {"category": self.category_id})])
            where.append("p.category_id IN (SELECT value FROM json_each(:categories))")
        if self.low_stock:
            # this store's stock is summarised (one look-up per product with a threshold)
            stock = ("(SELECT stock_milli FROM product_summaries WHERE product_id = p.id)"
                     if self._here(session) else _STOCK)
            where.append(f"p.low_stock_threshold IS NOT NULL AND {stock} <= "
                         "p.low_stock_threshold")
        typed = self.text.strip()[:MAX_QUERY_CHARS]
        if typed:
            where.append(self._text_filter(typed, params))
        return where, params

    def _text_filter(self, typed: str, params: dict[str, object]) -> str:
        terms = words(typed)
        long_words = [w for w in terms if len(w) >= 3]
        short_words = [w for w in terms if len(w) < 3]
        by_name: list[str] = []
        if long_words:
            params["match"] = " AND ".join(f'"{w}"' for w in long_words)
            by_name.append("p.id IN (SELECT v.product_id FROM till_search AS t "
                           "CROSS JOIN variants AS v ON v.rowid = t.rowid "
                           f"WHERE till_search MATCH :match LIMIT {MAX_TEXT_MATCHES})")
        for n, word in enumerate(short_words):
            params[f"short{n}"] = contains_pattern(word)
            by_name.append(f"p.name LIKE :short{n} ESCAPE '\\'")
        if self.status != "active" and terms:
            # archived products are not in the till's index: their names are scanned
            for n, word in enumerate(terms):
                params[f"arch{n}"] = contains_pattern(word)
            archived = " AND ".join(f"p.name LIKE :arch{n} ESCAPE '\\'"
                                    for n in range(len(terms)))
            named = f"(({' AND '.join(by_name)}) OR (p.archived = 1 AND {archived}))" \
                if by_name else f"(p.archived = 1 AND {archived})"
        else:
            named = f"({' AND '.join(by_name)})" if by_name else "0"
        alternatives = [named]
        if len(typed) <= MAX_CODE and not any(c.isspace() for c in typed):
            params.update(code=typed, code_end=_after(typed), upper=typed.upper(),
                          upper_end=_after(typed.upper()))
            alternatives.append(
                "p.id IN (SELECT product_id FROM variants WHERE (sku >= :code AND sku < "
                f":code_end) OR (sku >= :upper AND sku < :upper_end) LIMIT {MAX_TEXT_MATCHES})")
            alternatives.append(
                "p.id IN (SELECT v.product_id FROM barcodes AS b CROSS JOIN variants AS v "
                "ON v.id = b.variant_id WHERE b.code >= :code AND b.code < :code_end "
                f"LIMIT {MAX_TEXT_MATCHES})")
        return "(" + " OR ".join(alternatives) + ")"

    def capped_lookups(self, session: Session) -> list[str]:
        """What of the text filter found more than ``MAX_TEXT_MATCHES`` variants (the look-ups
        stop there, so the list then shows an arbitrary part of the matches): empty when
        every look-up is whole. A bulk change refuses such a selection."""
        typed = self.text.strip()[:MAX_QUERY_CHARS]
        capped: list[str] = []
        if not typed:
            return capped

        def over(query: str, params: dict[str, object]) -> bool:
            return int(session.execute(sql(
                f"SELECT count(*) FROM ({query} LIMIT {MAX_TEXT_MATCHES + 1})"),
                params).scalar_one()) > MAX_TEXT_MATCHES

        long_words = [w for w in words(typed) if len(w) >= 3]
        if long_words and over("SELECT rowid FROM till_search WHERE till_search MATCH :match",
                               {"match": " AND ".join(f'"{w}"' for w in long_words)}):
            capped.append(f"the words '{' '.join(long_words)}'")
        if len(typed) <= MAX_CODE and not any(c.isspace() for c in typed):
            codes = {"code": typed, "code_end": _after(typed), "upper": typed.upper(),
                     "upper_end": _after(typed.upper())}
            if over("SELECT id FROM variants WHERE (sku >= :code AND sku < :code_end) OR "
                    "(sku >= :upper AND sku < :upper_end)", codes):
                capped.append(f"SKUs starting '{typed}'")
            if over("SELECT code FROM barcodes WHERE code >= :code AND code < :code_end",
                    codes):
                capped.append(f"barcodes starting '{typed}'")
        return capped

    def _here(self, session: Session) -> bool:
        """Whether the list shows this till's store (whose stock the summaries hold)."""
        return self.store_id is None or self.store_id == get_local(session, STORE_KEY)

    def _store(self, session: Session) -> str:
        return self.store_id or get_local(session, STORE_KEY) or ""

    def _products(self) -> str:
        # left to itself the planner walks every active product by name and looks each one's
        # category up (seconds at a million): a category's products are read by category
        return "products AS p INDEXED BY ix_products_category_list" \
            if self.category_id and not self.low_stock else "products AS p"

    def _plain(self) -> bool:
        return not (self.text.strip() or self.category_id or self.low_stock)

    def count(self, session: Session) -> int:
        if self._plain():  # the tally the triggers keep: two rows, not a million entries
            wanted = {"active": "archived = 0", "archived": "archived = 1", "all": "1"}
            return int(session.execute(sql(
                f"SELECT coalesce(sum(count), 0) FROM products_tally WHERE "
                f"{wanted[self.status]}")).scalar_one())
        where, params = self._where(session)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return int(session.execute(sql(f"SELECT count(*) FROM {self._products()} {clause}"),
                                   params).scalar_one())

    def _page_rowids(self, session: Session, offset: int, limit: int) -> list[int]:
        """The rowids of ``limit`` products from ``offset`` in the list's order, through the
        order's index: rowids, which every index holds, so a skipped or sorted row is never
        read from its table. Unfiltered by SKU or price: the summaries alone (a page of a
        million without touching products); filtered: the few products the filter finds,
        sorted."""
        here = self._here(session)
        order = (_ORDERS[self.order] if self.order != "stock" or here else _OTHER_STORE_STOCK
                 ).format(d="DESC" if self.descending else "ASC")
        if self._plain() and self.order in _BY_SUMMARY and (self.order != "stock" or here):
            where, params = self._where(session, "s")
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            ids = list(session.execute(sql(
                f"SELECT s.product_id FROM product_summaries AS s {clause} ORDER BY {order} "
                "LIMIT :limit OFFSET :offset"),
                {**params, "limit": limit, "offset": offset}).scalars())
            found = dict(session.execute(sql(
                "SELECT id, rowid FROM products WHERE id IN (SELECT value FROM json_each(:i))"),
                {"i": _json(ids)}).all())
            return [found[i] for i in ids if i in found]
        where, params = self._where(session, "p")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return list(session.execute(sql(
            f"SELECT p.rowid FROM {self._products()} LEFT JOIN product_summaries AS s "
            f"ON s.product_id = p.id {clause} ORDER BY {order} LIMIT :limit OFFSET :offset"),
            {**params, "limit": limit, "offset": offset}).scalars())

    def ids(self, session: Session, limit: int) -> list[str]:
        """The ids of the list's first ``limit`` products in its order (a bulk change's
        selection)."""
        rowids = self._page_rowids(session, 0, limit)
        found = dict(session.execute(sql(
            "SELECT rowid, id FROM products WHERE rowid IN (SELECT value FROM json_each(:r))"),
            {"r": _json(rowids)}).all())
        return [found[r] for r in rowids if r in found]

    def rows(self, session: Session, offset: int, limit: int) -> list[Row]:
        page = self._page_rowids(session, offset, limit)
        params = {"store": self._store(session)}
        if not page:
            return []
        currency = session.execute(sql("SELECT currency FROM stores WHERE id = :store"),
                                   params).scalar() or "EUR"
        details = {row[0]: row[1:] for row in session.execute(sql(
            "SELECT p.rowid, p.id, p.name, s.sku, s.price_min, s.price_max, s.variant_count, "
            f"{_STOCK}, c.name, p.archived, p.low_stock_threshold, p.sold_by_weight "
            "FROM products AS p LEFT JOIN product_summaries AS s ON s.product_id = p.id "
            "LEFT JOIN categories AS c ON c.id = p.category_id "
            "WHERE p.rowid IN (SELECT value FROM json_each(:rowids))"),
            {"store": params["store"], "rowids": _json(page)})}
        return [_row(details[r], currency) for r in page if r in details]


def _json(ids: list) -> str:
    return json.dumps(ids)


def price_range(low: int | None, high: int | None, currency: str) -> str:
    if low is None:
        return ""
    if high is None or high == low:
        return money(low, currency)
    return f"{money(low, currency)} – {money(high, currency)}"


def _row(row: tuple, currency: str) -> Row:
    (pid, name, sku, low, high, variants, stock, category, archived, threshold,
     by_weight) = row
    tone = "archived" if archived else \
        "low" if threshold is not None and stock <= threshold else ""
    return Row(pid, (name, sku or "", price_range(low, high, currency),
                     quantity_text(int(stock), bool(by_weight)), str(variants or 0),
                     category or ""), tone)
