"""Queries against the read model: ranked full-text search with filters and facets, typo
correction against the vocabulary, and suggestions while typing. Pure SQLite: no MongoDB here.

Matching: the query is folded like the indexed text and split into words; each word of three
or more letters must occur as a substring (trigram index) in some column; words of one or two
letters are expanded to the most frequent vocabulary words they begin (they cannot use the
trigram index) or, when longer words are present, ignored. Ranking is FTS5's bm25 with the
column weights of ``readmodel.WEIGHTS``, ties broken by row id (stable pages).

Bounded work per query, whatever the catalogue size (a broad word at 1M products matches half
of it, and ranking or counting all of that is what made such queries slow):
- a query with at most ``WINDOW`` full-text matches ("narrow": the usual case) ranks all of
  them by bm25, and its total and facets are exact;
- a broader one looks at the first ``SCAN`` matches only and lists ``DEPTH`` of them:
  name/brand/category matches first, then the rest, shorter names first; facets are counted
  over those, ``total`` counts the filtered matches among the ``SCAN``, and
  ``total_approximate``/``facets_approximate`` say so when there were more;
- pages go no deeper than ``DEPTH`` results;
- a browse without text lists by name and counts up to ``TOTAL_CAP``.
"""

from __future__ import annotations

import json
from bisect import bisect_right
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from server.search import rank as ranking
from server.search import readmodel
from server.search.text import MAX_QUERY_CHARS, fold, max_typos, nearest, words

WINDOW = 2000  # a query with at most this many full-text matches ranks and counts them all
DEPTH = 1000  # pages go no deeper; a broad query's facets describe this many of its matches
SCAN = 5000  # full-text matches a broad query looks at, at most
TOTAL_CAP = 100_000  # a browse (no text) counts no further
MAX_WORDS = 10
MAX_WORD = 64  # a longer "word" is noise (a pasted hash, a cat on the keyboard): ignored
SHORT_EXPANSIONS = 20
PRICE_EDGES = (0, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000)
MAX_CHAR = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    q: str = ""
    category: str | None = None
    brand: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool | None = None
    page: int = 1
    per_page: int = 20
    currency: str = "EUR"


def _phrase(word: str) -> str:
    return f'"{word}"'  # words hold letters and digits only: nothing to escape


def has_match(conn: sqlite3.Connection, word: str) -> bool:
    return conn.execute("SELECT 1 FROM products_fts WHERE products_fts MATCH ? LIMIT 1",
                        (_phrase(word),)).fetchone() is not None


def correct(conn: sqlite3.Connection, word: str) -> str | None:
    """The vocabulary word nearest to ``word`` (at most ``max_typos`` edits; ties: the more
    frequent), or ``None``."""
    limit = max_typos(word)
    grams = sorted({word[i:i + 3] for i in range(len(word) - 2)})
    candidates: set[tuple[str, int]] = set()
    if grams:
        candidates.update(conn.execute(
            "SELECT v.word, v.count FROM vocab_fts f JOIN vocab v ON v.id = f.rowid "
            "WHERE vocab_fts MATCH ? ORDER BY f.rank LIMIT 300",
            (" OR ".join(_phrase(g) for g in grams),)).fetchall())
    # Short words share few trigrams with their misspellings: also try words that begin alike.
    candidates.update(conn.execute(
        "SELECT word, count FROM vocab WHERE word >= ? AND word < ? AND length(word) BETWEEN ? "
        "AND ? LIMIT 500", (word[:2], word[:2] + MAX_CHAR, len(word) - limit,
                            len(word) + limit)).fetchall())
    return nearest(word, candidates)


def completions(conn: sqlite3.Connection, prefix: str, limit: int) -> list[str]:
    """The most frequent vocabulary words that begin with ``prefix``."""
    return [r[0] for r in conn.execute(
        "SELECT word FROM vocab WHERE word >= ? AND word < ? ORDER BY count DESC, word LIMIT ?",
        (prefix, prefix + MAX_CHAR, limit))]


def plan(conn: sqlite3.Connection, q: str) -> tuple[str | None, list[str], bool]:
    """``(FTS5 MATCH expression or None for "no text", the words searched, corrected?)``; the
    expression is ``""`` when the text can match nothing."""
    terms = [w for w in words(q[:MAX_QUERY_CHARS]) if len(w) <= MAX_WORD][:MAX_WORDS]
    if not terms:
        return None, [], False
    long_terms = [t for t in terms if len(t) >= 3]
    searched: list[str] = []
    corrected = False
    groups: list[str] = []
    if long_terms:
        for term in long_terms:
            if not has_match(conn, term):
                better = correct(conn, term)
                if better is not None and better != term:
                    term, corrected = better, True
            searched.append(term)
            groups.append(_phrase(term))
    else:
        for term in terms:
            expanded = completions(conn, term, SHORT_EXPANSIONS)
            if not expanded:
                return "", terms, False
            searched.append(term)
            groups.append("(" + " OR ".join(_phrase(w) for w in expanded) + ")")
    return " AND ".join(groups), searched, corrected


def _filters(conn: sqlite3.Connection, query: SearchQuery, *,
             browsing: bool = False) -> tuple[str, list[Any]] | None:
    """SQL conditions on ``p`` (products) and ``pr`` (prices), or ``None`` if nothing can match.
    ``browsing`` (no text, listed by name): a large category is filtered while walking the name
    index (``+`` keeps SQLite off the category index), since sorting tens of thousands of rows
    by name costs more than skipping the others; a small one is read through its index."""
    sql: list[str] = []
    args: list[Any] = []
    if query.category:
        ids = readmodel.descendants(conn, query.category)
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        large = False
        if browsing:
            # Walking the (name, category) index costs about DEPTH * catalogue / size rows at
            # an eighth of what sorting a row costs: it wins from about this size on.
            catalogue = conn.execute("SELECT max(rowid) FROM products").fetchone()[0] or 0
            threshold = max(1000, int((DEPTH * catalogue / 8) ** 0.5))
            large = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM products WHERE category_id IN ({marks}) "
                "LIMIT ?)", (*ids, threshold)).fetchone()[0] >= threshold
        sql.append(f"{'+' if large else ''}p.category_id IN ({marks})")
        args.extend(ids)
    if query.brand:
        sql.append("p.brand_key = ?")
        args.append(fold(query.brand).strip())
    if query.min_price is not None:
        sql.append("pr.price >= ?")
        args.append(query.min_price)
    if query.max_price is not None:
        sql.append("pr.price <= ?")
        args.append(query.max_price)
    if query.in_stock is not None:
        sql.append("p.in_stock = ?")
        args.append(1 if query.in_stock else 0)
    return "".join(f" AND {s}" for s in sql), args


FIELDS = "p.rowid, p.category_id, p.brand_key, p.brand, pr.price, p.in_stock"
PRICE_JOIN = "LEFT JOIN prices pr ON pr.rowid = p.rowid AND pr.currency = ?"


def search(conn: sqlite3.Connection, query: SearchQuery) -> dict[str, Any]:
    """One page of matches with ``total`` and ``facets``; ``total_approximate`` and
    ``facets_approximate`` say when they describe only part of a broad match (see above)."""
    expression, searched, corrected = plan(conn, query.q)
    filters = _filters(conn, query, browsing=expression is None)
    if filters is None or expression == "":
        return empty_result()
    where, args = filters
    if expression is None:
        rows, total, exact = _browse(conn, query.currency, where, args)
    elif len(matched := _matches(conn, expression, WINDOW + 1)) <= WINDOW:
        rows, total, exact = _ranked(conn, query.currency, expression, matched, where, args)
    else:
        rows, total, exact = _broad(conn, query.currency, expression, matched, where, args)
    start = (query.page - 1) * query.per_page
    return {"items": _summaries(conn, rows[start:start + query.per_page], query.currency),
            "total": total, "total_approximate": not exact, "facets": _facets(conn, rows),
            "facets_approximate": not exact or len(rows) < total,
            "did_you_mean": " ".join(searched) if corrected else None}


def _count(conn: sqlite3.Connection, expression: str, cap: int) -> int:
    """How many products match ``expression``, counting no further than ``cap``."""
    return conn.execute("SELECT count(*) FROM (SELECT rowid FROM products_fts WHERE "
                        "products_fts MATCH ? LIMIT ?)", (expression, cap)).fetchone()[0]


def _matches(conn: sqlite3.Connection, expression: str, cap: int) -> list[int]:
    """The row ids matching ``expression`` (ascending), no more than ``cap``: one walk of the
    index, which both tells a narrow query from a broad one and hands the narrow one its rows."""
    return [r[0] for r in conn.execute("SELECT rowid FROM products_fts WHERE products_fts "
                                       "MATCH ? LIMIT ?", (expression, cap))]


def _ranked(conn: sqlite3.Connection, currency: str, expression: str, matched: list[int],
            where: str, args: list[Any]) -> tuple[list[tuple], int, bool]:
    """Few matches (``matched``: all of them): filters applied, all counted, every one ranked
    by bm25. FTS5's own ``rank`` first counts every match of each word of the query: cheap
    when every word is rare (or there is one: then its matches are these), a full walk of a
    common word's matches otherwise (83 of 100 ms at 1M products for a rare and a common
    word), so then ``server.search.rank`` computes the same bm25 from sampled counts.
    ``CROSS JOIN`` keeps the full-text side as the outer loop: driven from a filter's index,
    SQLite would run the MATCH once per row (seconds)."""
    terms = ranking.phrases(expression)
    if len(terms) == 1 or all(_count(conn, _phrase(t), WINDOW + 1) <= WINDOW for t in terms):
        rows = conn.execute(f"SELECT {FIELDS}, f.rank FROM products_fts f CROSS JOIN products "
                            f"p ON p.rowid = f.rowid {PRICE_JOIN} WHERE products_fts MATCH "
                            f"?{where} ORDER BY f.rank, p.rowid LIMIT ?",
                            (currency, expression, *args, WINDOW)).fetchall()
        return rows, len(rows), True
    rows = conn.execute(f"SELECT {FIELDS} FROM json_each(?) m CROSS JOIN products p ON "
                        f"p.rowid = m.value {PRICE_JOIN} WHERE 1 = 1{where}",
                        (json.dumps(matched), currency, *args)).fetchall()
    ranks = ranking.scores(conn, (r[0] for r in rows), expression)
    ranked = sorted(((*r, ranks[r[0]]) for r in rows), key=lambda r: (r[6], r[0]))
    return ranked, len(ranked), True


def _broad(conn: sqlite3.Connection, currency: str, expression: str, first: list[int],
           where: str, args: list[Any]) -> tuple[list[tuple], int, bool]:
    """Many matches (``first``: the first ``WINDOW + 1``, row order): ranking them all is what
    is slow, so of the first ``SCAN`` matches those in name, brand or category come first,
    then the others; within each, shorter names first (what bm25's length normalisation would
    favour). The total counts the filtered matches among them: exact only if that was all of
    them. Without filters, only the first ``DEPTH`` of each kind (row order) are read."""
    if where:
        scanned = _matches(conn, expression, SCAN)
        seen, last = len(scanned), scanned[-1]
    else:  # counted in SQLite: no row of it is needed here
        seen, last = conn.execute("SELECT count(*), max(rowid) FROM (SELECT rowid FROM "
                                  "products_fts WHERE products_fts MATCH ? LIMIT ?)",
                                  (expression, SCAN)).fetchone()
    named_ids = [r[0] for r in conn.execute(
        "SELECT rowid FROM products_fts WHERE products_fts MATCH ? AND rowid <= ? LIMIT ?",
        (f"{{name brand category}} : ({expression})", last, SCAN if where else DEPTH))]
    named = set(named_ids)
    if where:
        wanted = scanned
    else:  # fewer than DEPTH named ones: all of them are in ``named``, the rest in ``first``
        wanted = named_ids + [r for r in first if r not in named][:DEPTH - len(named_ids)]
    found = conn.execute(f"SELECT {FIELDS}, length(p.name_key) FROM json_each(?) m CROSS JOIN "
                         f"products p ON p.rowid = m.value {PRICE_JOIN} WHERE 1 = 1{where}",
                         (json.dumps(wanted), currency, *args)).fetchall()
    found.sort(key=lambda r: (r[0] not in named, r[6], r[0]))
    total = len(found) if where else seen
    return [(*r[:6], None) for r in found[:DEPTH]], total, seen < SCAN


def _browse(conn: sqlite3.Connection, currency: str, where: str,
            args: list[Any]) -> tuple[list[tuple], int, bool]:
    """No text: filters only, by name; counted up to ``TOTAL_CAP``."""
    source = f"FROM products p {PRICE_JOIN} WHERE 1 = 1{where}"
    rows = conn.execute(f"SELECT {FIELDS}, NULL {source} ORDER BY p.name_key, p.rowid LIMIT ?",
                        (currency, *args, DEPTH)).fetchall()
    if len(rows) < DEPTH:
        return rows, len(rows), True
    # Counting is the opposite case of listing: the category index is the fast way to count.
    counted = source.replace("+p.category_id", "p.category_id")
    total = conn.execute(f"SELECT count(*) FROM (SELECT 1 {counted} LIMIT ?)",
                         (currency, *args, TOTAL_CAP)).fetchone()[0]
    return rows, total, total < TOTAL_CAP


def empty_result() -> dict[str, Any]:
    """What a search answers when nothing can match (or there is no read model yet)."""
    return {"items": [], "total": 0, "total_approximate": False, "facets": _facets(None, []),
            "facets_approximate": False, "did_you_mean": None}


def _summaries(conn: sqlite3.Connection, rows: list[tuple], currency: str) -> list[dict[str, Any]]:
    if not rows:
        return []
    ids = [r[0] for r in rows]
    found = {r[0]: json.loads(r[1]) for r in conn.execute(
        f"SELECT rowid, summary FROM product_docs WHERE rowid IN ({','.join('?' * len(ids))})",
        ids)}
    items = []
    for rowid, _category, _brand_key, _brand, price, in_stock, rank in rows:
        item = dict(found[rowid])
        item.update({"price": price, "currency": currency, "in_stock": bool(in_stock),
                     "score": None if rank is None else round(-rank, 4)})
        items.append(item)
    return items


def _facets(conn: sqlite3.Connection | None, rows: list[tuple]) -> dict[str, Any]:
    """Counts by category (a product counts for its category and every ancestor), brand, price
    bucket and availability."""
    direct = Counter(r[1] for r in rows if r[1])
    brands: Counter[str] = Counter()
    brand_names: dict[str, str] = {}
    buckets: Counter[int] = Counter()
    stock = Counter(bool(r[5]) for r in rows)
    for _rowid, _category, brand_key, brand, price, _in_stock, _rank in rows:
        if brand_key:
            brands[brand_key] += 1
            brand_names.setdefault(brand_key, brand)
        if price is not None:
            buckets[bisect_right(PRICE_EDGES, price) - 1] += 1
    categories: Counter[str] = Counter()
    names: dict[str, tuple[str, str | None]] = {}
    if direct and conn is not None:
        ids = list(direct)
        paths = {r[0]: json.loads(r[1]) for r in conn.execute(
            f"SELECT id, path FROM categories WHERE id IN ({','.join('?' * len(ids))})", ids)}
        for category_id, count in direct.items():
            for node in {*paths.get(category_id, []), category_id}:
                categories[node] += count
        wanted = list(categories)
        names = {r[0]: (r[1], r[2]) for r in conn.execute(
            f"SELECT id, name, parent_id FROM categories WHERE id IN "
            f"({','.join('?' * len(wanted))})", wanted)}
    price_facet = []
    for i in sorted(buckets):
        upper = PRICE_EDGES[i + 1] if i + 1 < len(PRICE_EDGES) else None
        price_facet.append({"min": PRICE_EDGES[i], "max": upper, "count": buckets[i]})
    return {
        "category": [{"id": c, "name": names.get(c, ("", None))[0],
                      "parent_id": names.get(c, ("", None))[1], "count": n}
                     for c, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))],
        "brand": [{"brand": brand_names[b], "count": n}
                  for b, n in sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))[:50]],
        "price": price_facet,
        "in_stock": {"true": stock[True], "false": stock[False]},
    }


def suggest(conn: sqlite3.Connection, q: str, limit: int = 8) -> dict[str, Any]:
    """Completions of the last word typed (whole queries) and products whose name matches:
    names that begin with the text first (an index range), then names containing the words.
    Only names are matched while typing: broad prefixes over every column were the slow case."""
    terms = words(q[:MAX_QUERY_CHARS])[:MAX_WORDS]
    if not terms:
        return {"completions": [], "products": []}
    head, last = terms[:-1], terms[-1]
    done = [" ".join([*head, w]) for w in completions(conn, last, limit)]
    text = " ".join(terms)
    rows = conn.execute("SELECT p.rowid, d.summary FROM products p JOIN product_docs d ON "
                        "d.rowid = p.rowid WHERE p.name_key >= ? AND p.name_key < ? "
                        "ORDER BY p.name_key LIMIT ?",
                        (text, text + MAX_CHAR, limit)).fetchall()
    long_terms = [t for t in terms if len(t) >= 3]
    if len(rows) < limit and long_terms:
        seen = {r[0] for r in rows}
        expression = " AND ".join(f"name : {_phrase(t)}" for t in long_terms)
        for row in conn.execute("SELECT d.rowid, d.summary FROM products_fts f CROSS JOIN "
                                "product_docs d ON d.rowid = f.rowid WHERE products_fts MATCH ? "
                                "LIMIT ?",
                                (expression, limit * 2)):
            if row[0] not in seen and len(rows) < limit:
                rows.append(row)
                seen.add(row[0])
    products = [{k: v for k, v in json.loads(r[1]).items() if k in ("id", "name", "brand",
                                                                     "image")} for r in rows]
    return {"completions": done, "products": products}
