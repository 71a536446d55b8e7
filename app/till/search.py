"""Finding what to sell at the till without a barcode to scan: search as you type over the whole
catalogue, the favourite buttons, and the category buttons.

Search reads the store's own index (migration 0004, ``db.search_index``): one FTS5 trigram row
per sellable variant, text folded like :func:`app.domain.text.fold`, so a word matches as a
substring whatever its accents and case ("creme brulee" finds "Crème Brûlée"). SKUs and
barcodes are matched by prefix on their unique B-tree indexes instead.

Rules, in the order they apply:
- the text is cut to ``MAX_QUERY_CHARS`` and split into folded words (punctuation separates);
- a word of three letters or more must occur in the name or brand; one that occurs nowhere is
  corrected to the nearest vocabulary word (1 edit for up to 5 letters, 2 for longer; ties go
  to the more common word), and ``corrected`` says what was searched for instead;
- a word of one or two letters must begin a word of the name or brand: it is looked up as a
  prefix of the vocabulary (the trigram index cannot hold it);
- a text without spaces is also a code: the barcode or SKU equal to it, and those beginning
  with it;
- ranked: an exact code first, then names beginning with the words typed (and codes beginning
  with the text), then names with every word at the start of one of theirs, then the rest;
  shorter names first within each.

Bounded work whatever the catalogue size: at most ``WINDOW`` full-text matches are read and
ranked (a broad word at a million products matches a great many: ``more`` says there are more
than shown), and the matching stops once ``MATCH_BUDGET_S`` has passed (common words never
found together); code ranges and vocabulary look-ups are read with limits, and the hits shown
are fetched by rowid.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, NotFound
from app.domain.text import MAX_QUERY_CHARS, max_typos, nearest, words
from app.sales.identity import STORE_KEY, get_local
from app.till.format import money, quantity_text
from app.till.views import ItemHit, SearchResult

WINDOW = 300  # full-text matches ranked per query, at most
MATCH_BUDGET_S = 0.012  # a full-text match stops after this long (see _matches)
PROGRESS_STEPS = 200  # SQLite steps between looks at the clock while matching
MAX_LIMIT = 100
MAX_WORDS = 8
MAX_WORD = 64  # a longer "word" is noise (a pasted hash): ignored
MAX_CODE = 64  # longest SKU (barcodes: 48)
SHORT_EXPANSIONS = 20  # a 1–2 letter word is searched as these many vocabulary words at most
PREFIX_SCAN = 2000  # vocabulary words read to find a short word's most common completions
CORRECTION_CANDIDATES = 300
CATEGORY_SCAN = 5000  # products of a category read to list its first items by name

MAX_CODE_POINT = 0x10FFFF
_SURROGATES = re.compile("[\ud800-\udfff]")

# Rank tiers (lower first).
EXACT_CODE, STARTS, WORD_STARTS, CONTAINS = range(4)


@dataclass(frozen=True, slots=True)
class _Plan:
    expression: str | None  # FTS5 MATCH; None: no word can use the index
    short: tuple[str, ...]  # 1–2 letter words: must begin a word of the row
    searched: tuple[str, ...]  # every word as searched (after correction)
    corrected: bool


def search(session: Session, text: str, *, limit: int = 20, store_id: str | None = None
           ) -> SearchResult:
    """What the cashier's text finds among the sellable variants, best first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    if not isinstance(text, str):
        raise InvalidInput("must be text", field="search")
    # Lone surrogates (pasted from a broken source) cannot be sent to SQLite: dropped.
    cut = _SURROGATES.sub("", text[:MAX_QUERY_CHARS]).strip()
    if not cut:
        return SearchResult(query=text, hits=())
    conn = _sqlite(session)
    currency, store_id = _store(session, store_id)
    ranked: dict[int, tuple] = {}
    more = False
    if len(cut) <= MAX_CODE and not any(c.isspace() for c in cut):
        more = _rank_codes(conn, cut, limit, ranked)
    plan = _plan(conn, cut)
    if plan.expression is not None:
        more |= _rank_names(conn, plan, ranked)
    order = sorted(ranked, key=ranked.__getitem__)
    hits = _hits(conn, order[:limit], currency, store_id)
    return SearchResult(query=text, hits=tuple(hits),
                        corrected=" ".join(plan.searched) if plan.corrected else None,
                        more=more or len(order) > limit)


# -- codes --------------------------------------------------------------------------------------

def _after(prefix: str) -> str:
    """A text greater than every text beginning with ``prefix`` and less than any other
    greater one (binary order, which SQLite's UTF-8 comparison is)."""
    last = ord(prefix[-1])
    if last == MAX_CODE_POINT:
        return prefix + chr(MAX_CODE_POINT)  # no greater character: good enough for a range
    following = last + 1 if not 0xD800 <= last + 1 <= 0xDFFF else 0xE000  # never a surrogate
    return prefix[:-1] + chr(following)


# CROSS JOIN: the code range is always the outer loop, never a walk of the index.
_BY_BARCODE = ("SELECT b.code, s.rowid, s.name FROM barcodes AS b CROSS JOIN variants AS v "
               "ON v.id = b.variant_id CROSS JOIN till_search AS s ON s.rowid = v.rowid "
               "WHERE b.code >= ? AND b.code < ? ORDER BY b.code LIMIT ?")
_BY_SKU = ("SELECT v.sku, s.rowid, s.name FROM variants AS v "
           "CROSS JOIN till_search AS s ON s.rowid = v.rowid "
           "WHERE v.sku >= ? AND v.sku < ? ORDER BY v.sku LIMIT ?")


def _rank_codes(conn: sqlite3.Connection, code: str, limit: int, ranked: dict[int, tuple]
                ) -> bool:
    """Barcodes and SKUs equal to or beginning with ``code`` (SKUs also in upper case); only
    sellable variants, as they are the ones in the index. Returns whether some were left out."""
    lookups = [(_BY_BARCODE, code), (_BY_SKU, code)]
    if code.upper() != code:
        lookups.append((_BY_SKU, code.upper()))
    more = False
    for sql, typed in lookups:
        rows = conn.execute(sql, (typed, _after(typed), limit + 1)).fetchall()
        more |= len(rows) > limit
        for found, rowid, name in rows[:limit]:
            tier = EXACT_CODE if found == typed else STARTS
            _keep(ranked, rowid, (tier, len(name), name, rowid))
    return more


def _keep(ranked: dict[int, tuple], rowid: int, key: tuple) -> None:
    if rowid not in ranked or key < ranked[rowid]:
        ranked[rowid] = key


# -- names --------------------------------------------------------------------------------------

def _phrase(word: str) -> str:
    return f'"{word}"'  # words hold letters and digits only: nothing to escape


def _has_match(conn: sqlite3.Connection, word: str) -> bool:
    return conn.execute("SELECT 1 FROM till_search WHERE till_search MATCH ? LIMIT 1",
                        (_phrase(word),)).fetchone() is not None


def _completions(conn: sqlite3.Connection, prefix: str) -> tuple[list[str], bool]:
    """The most common vocabulary words beginning with ``prefix``, and whether that is all of
    them (then the short word can be matched through the index exactly)."""
    rows = conn.execute("SELECT word, count FROM till_vocab WHERE word >= ? AND word < ? "
                        "LIMIT ?", (prefix, _after(prefix), PREFIX_SCAN)).fetchall()
    rows.sort(key=lambda r: (-r[1], r[0]))
    return [w for w, _ in rows[:SHORT_EXPANSIONS]], len(rows) <= SHORT_EXPANSIONS


def correct(conn: sqlite3.Connection, word: str) -> str | None:
    """The vocabulary word nearest to ``word`` within ``max_typos`` edits (ties: the more
    common, then the first alphabetically), or ``None``."""
    limit = max_typos(word)
    candidates: set[tuple[str, int]] = set()
    grams = sorted({word[i:i + 3] for i in range(len(word) - 2)})
    if grams:
        candidates.update(conn.execute(
            "SELECT v.word, v.count FROM till_vocab_fts AS f JOIN till_vocab AS v ON v.id = f.rowid "
            "WHERE till_vocab_fts MATCH ? ORDER BY f.rank LIMIT ?",
            (" OR ".join(_phrase(g) for g in grams), CORRECTION_CANDIDATES)).fetchall())
    # A short word shares few trigrams with its misspellings: words that begin alike too.
    for prefix in {word[:2], word[:1]}:
        candidates.update(conn.execute(
            "SELECT word, count FROM till_vocab WHERE word >= ? AND word < ? "
            "AND length(word) BETWEEN ? AND ? LIMIT ?",
            (prefix, _after(prefix), len(word) - limit, len(word) + limit,
             CORRECTION_CANDIDATES)).fetchall())
    return nearest(word, candidates)


def _plan(conn: sqlite3.Connection, text: str) -> _Plan:
    terms = [w for w in words(text) if len(w) <= MAX_WORD][:MAX_WORDS]
    groups: list[str] = []
    searched: list[str] = []
    corrected = False
    for term in terms:
        if len(term) >= 3:
            if not _has_match(conn, term):
                better = correct(conn, term)
                if better is None:
                    return _Plan(None, (), tuple(terms), False)  # this word can match nothing
                term, corrected = better, True
            groups.append(_phrase(term))
        searched.append(term)
    short = tuple(t for t in terms if len(t) < 3)
    for term in short:
        expanded, complete = _completions(conn, term)
        if not expanded:
            return _Plan(None, short, tuple(searched), corrected)
        indexed = [w for w in expanded if len(w) >= 3]  # "m", "xl": the trigrams cannot hold
        # With longer words present, a partial list would hide rows: the rows are filtered
        # instead; alone, the commonest completions stand for the word.
        if indexed and ((complete and len(indexed) == len(expanded)) or not groups):
            groups.append("(" + " OR ".join(_phrase(w) for w in indexed) + ")")
    return _Plan(" AND ".join(groups) if groups else None, short, tuple(searched), corrected)


def _starts_words(text_words: list[str], wanted: Iterable[str]) -> bool:
    return all(any(w.startswith(t) for w in text_words) for t in wanted)


def _matches(conn: sqlite3.Connection, expression: str) -> tuple[list[tuple[int, str, str]], bool]:
    """The first ``WINDOW`` full-text matches (by rowid), and whether there may be more.

    Words that are each common but never found together (two colours of one shirt, a size
    and a noun) make FTS5 walk their long lists to the end inside one step, whatever the
    LIMIT (measured at a million products: 40 ms). A progress handler stops the walk once
    ``MATCH_BUDGET_S`` has passed; what was found by then is the answer."""
    deadline = time.perf_counter() + MATCH_BUDGET_S
    rows: list[tuple[int, str, str]] = []
    conn.set_progress_handler(lambda: time.perf_counter() > deadline, PROGRESS_STEPS)
    try:
        for row in conn.execute("SELECT rowid, name, brand FROM till_search "
                                "WHERE till_search MATCH ? LIMIT ?", (expression, WINDOW + 1)):
            rows.append(row)
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        return rows, True
    finally:
        conn.set_progress_handler(None, 0)
    return rows[:WINDOW], len(rows) > WINDOW


def _rank_names(conn: sqlite3.Connection, plan: _Plan, ranked: dict[int, tuple]) -> bool:
    """Rank the first ``WINDOW`` full-text matches; returns whether there may be more."""
    rows, more = _matches(conn, plan.expression)
    for rowid, name, brand in rows:
        name_words = name.split()
        if not _starts_words(name_words + brand.split(), plan.short):
            continue
        if len(name_words) >= len(plan.searched) and all(
                w.startswith(t) for w, t in zip(name_words, plan.searched)):
            tier = STARTS
        elif _starts_words(name_words, plan.searched):
            tier = WORD_STARTS
        else:
            tier = CONTAINS
        _keep(ranked, rowid, (tier, len(name), name, rowid))
    return more


# -- what the buttons show -----------------------------------------------------------------------

_DETAILS = (
    "SELECT v.rowid, v.id, v.sku, v.name, v.price, p.name, p.sold_by_weight, "
    "(SELECT min(code) FROM barcodes WHERE variant_id = v.id), l.quantity_milli "
    "FROM variants AS v JOIN products AS p ON p.id = v.product_id "
    "LEFT JOIN stock_levels AS l ON l.variant_id = v.id AND l.store_id = ? "
    "WHERE v.rowid IN (SELECT value FROM json_each(?)) AND NOT v.archived AND NOT p.archived")


def _hits(conn: sqlite3.Connection, rowids: list[int], currency: str, store_id: str,
          labels: dict[int, str] | None = None) -> list[ItemHit]:
    """The items for ``rowids`` (variant rowids), in that order; archived ones left out."""
    if not rowids:
        return []
    found = {row[0]: row for row in conn.execute(_DETAILS, (store_id, json.dumps(rowids)))}
    hits = []
    for rowid in rowids:
        row = found.get(rowid)
        if row is None:
            continue
        _, variant_id, sku, variant_name, price, product_name, by_weight, barcode, level = row
        name = f"{product_name} {variant_name}".strip() if variant_name else product_name
        label = (labels or {}).get(rowid) or name
        hits.append(ItemHit(variant_id=variant_id, name=label, sku=sku, barcode=barcode,
                            price=price, price_text=money(price, currency),
                            in_stock_text=_stock_text(level, bool(by_weight)),
                            sold_by_weight=bool(by_weight)))
    return hits


def _stock_text(level: int | None, sold_by_weight: bool) -> str:
    if level is None:
        return ""  # never counted in this store
    if level <= 0:
        return "out of stock"
    return f"{quantity_text(level, sold_by_weight)} in stock"


def favourites(session: Session, *, store_id: str | None = None) -> list[ItemHit]:
    """The favourite buttons in their order, with their labels; archived items left out."""
    conn = _sqlite(session)
    currency, store_id = _store(session, store_id)
    rows = conn.execute("SELECT v.rowid, f.label FROM till_favourites AS f "
                        "JOIN variants AS v ON v.id = f.variant_id ORDER BY f.position").fetchall()
    return _hits(conn, [r[0] for r in rows], currency, store_id, {r[0]: r[1] for r in rows})


def categories(session: Session) -> list[tuple[str, str]]:
    """``(id, name)`` of every top-level category with something to sell in it or below it,
    each followed by its sub-categories that have; in their positions' order."""
    conn = _sqlite(session)
    rows = conn.execute("SELECT id, parent_id, name FROM categories "
                        "ORDER BY position, name").fetchall()
    parent = {cid: pid for cid, pid, _ in rows}
    selling: set[str] = set()
    for (cid,) in conn.execute(
            "SELECT c.id FROM categories AS c WHERE EXISTS (SELECT 1 FROM products AS p "
            "JOIN variants AS v ON v.product_id = p.id AND NOT v.archived "
            "WHERE p.category_id = c.id AND NOT p.archived)"):
        seen: set[str] = set()
        while cid is not None and cid not in seen:  # a cycle in bad data must not hang the till
            seen.add(cid)
            selling.add(cid)
            cid = parent.get(cid)
    tops = [(cid, name) for cid, pid, name in rows if pid is None and cid in selling]
    out: list[tuple[str, str]] = []
    for top_id, top_name in tops:
        out.append((top_id, top_name))
        out += [(cid, name) for cid, pid, name in rows if pid == top_id and cid in selling]
    return out


def category_items(session: Session, category_id: str, limit: int = 60, *,
                   store_id: str | None = None) -> list[ItemHit]:
    """The sellable items of a category and the categories below it, by name. A very large
    category lists its first items by name among the first ``CATEGORY_SCAN`` products."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise InvalidInput("must be a whole number from 1 to 500", field="limit")
    conn = _sqlite(session)
    currency, store_id = _store(session, store_id)
    ids = [r[0] for r in conn.execute(
        "WITH RECURSIVE below(id) AS (SELECT id FROM categories WHERE id = ? "
        "UNION SELECT c.id FROM categories AS c JOIN below ON c.parent_id = below.id) "
        "SELECT id FROM below", (category_id,))]
    if not ids:
        raise NotFound(f"no category {category_id}", field="category")
    rowids = [r[0] for r in conn.execute(
        "SELECT v.rowid FROM (SELECT id, name FROM products WHERE category_id IN "
        "(SELECT value FROM json_each(?)) AND NOT archived LIMIT ?) AS p "
        "JOIN variants AS v ON v.product_id = p.id AND NOT v.archived "
        "ORDER BY p.name, v.name, v.sku LIMIT ?", (json.dumps(ids), CATEGORY_SCAN, limit))]
    return _hits(conn, rowids, currency, store_id)


# -- plumbing ------------------------------------------------------------------------------------

def _sqlite(session: Session) -> sqlite3.Connection:
    # The index is read with plain SQL on the session's own connection (same snapshot).
    return session.connection().connection.driver_connection


def _store(session: Session, store_id: str | None) -> tuple[str, str]:
    """``(currency, store id)``: the given store, or this till's."""
    store_id = store_id or get_local(session, STORE_KEY)
    row = _sqlite(session).execute("SELECT currency FROM stores WHERE id = ?",
                                   (store_id,)).fetchone() if store_id else None
    if row is None:
        raise NotFound(f"no store {store_id}" if store_id else "this till has no store yet",
                       field="store")
    return row[0], store_id
