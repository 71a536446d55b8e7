"""bm25 for the few (at most ``query.WINDOW``) matches of a narrow query, computed here the way
FTS5's ``bm25()`` computes it (k1 1.2, b 0.75, the column weights of ``readmodel.WEIGHTS``,
length normalisation by the row's token count), except for each term's document count.

Why: FTS5 counts every match of every term of the query to weigh it (its IDF) before ranking
the first row. The AND of a rare and a common word has few matches, but the common word's
count walks all of its matches: at 1M products, 83 ms of the 100 ms of "maku miraliko", where
"miraliko" matches 300,000 products. Here a term's count is exact up to ``IDF_SAMPLE`` matches
(so small catalogues rank exactly as FTS5 does) and estimated beyond that from how far into
the row ids its ``IDF_SAMPLE``-th match lies (rows are numbered in the order products were
first indexed: a word spread over the catalogue is estimated within a few per cent; one
crowded into recent rows is over-counted, which only lowers its weight a little).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from typing import Iterable

from server.search.readmodel import COLUMNS, WEIGHTS

K1, B = 1.2, 0.75
IDF_SAMPLE = 1000
_PHRASE = re.compile(r'"([^"]+)"')


def phrases(expression: str) -> list[str]:
    """The phrases of a MATCH expression built by ``query.plan`` (in order, once each)."""
    return list(dict.fromkeys(_PHRASE.findall(expression)))


def _varints(blob: bytes) -> list[int]:
    """SQLite varints (FTS5's record format): 7 bits a byte, big-endian, the ninth byte whole."""
    values, i = [], 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def _totals(conn: sqlite3.Connection) -> tuple[int, float, int]:
    """``(rows, average tokens per row, highest rowid)`` from FTS5's own bookkeeping."""
    row = conn.execute("SELECT block FROM products_fts_data WHERE id = 1").fetchone()
    values = _varints(row[0]) if row and row[0] else [0]
    rows, tokens = values[0], sum(values[1:1 + len(COLUMNS)])
    last = conn.execute("SELECT max(id) FROM products_fts_docsize").fetchone()[0] or 0
    return rows, (tokens / rows if rows else 0.0), last


def _idf(conn: sqlite3.Connection, phrase: str, rows: int, last: int) -> float:
    counted, highest = conn.execute(
        "SELECT count(*), max(rowid) FROM (SELECT rowid FROM products_fts WHERE products_fts "
        "MATCH ? LIMIT ?)", (f'"{phrase}"', IDF_SAMPLE)).fetchone()
    hits = float(counted)
    if counted >= IDF_SAMPLE and highest:
        hits = min(float(rows), IDF_SAMPLE * last / highest)
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0 else 1e-6  # as FTS5: a word in over half the rows still counts a bit


def _occurrences(text: str, phrase: str) -> int:
    """Instances of ``phrase`` in ``text`` (overlapping ones too, as FTS5 counts a trigram
    phrase; only a phrase whose head is also its tail can overlap itself)."""
    count = text.count(phrase)
    if count and any(phrase[:k] == phrase[-k:] for k in range(1, len(phrase))):
        count, at = 0, text.find(phrase)
        while at >= 0:
            count += 1
            at = text.find(phrase, at + 1)
    return count


def scores(conn: sqlite3.Connection, rowids: Iterable[int],
           expression: str) -> dict[int, float]:
    """``{rowid: rank}`` (FTS5's convention: the negated score, lower ranks first)."""
    wanted = list(rowids)
    if not wanted:
        return {}
    terms = phrases(expression)
    rows, average, last = _totals(conn)
    idfs = [_idf(conn, t, rows, last) for t in terms]
    columns = ", ".join(f"c.c{i}" for i in range(len(COLUMNS)))
    out: dict[int, float] = {}
    for rowid, *texts, size in conn.execute(
            f"SELECT c.id, {columns}, d.sz FROM json_each(?) j CROSS JOIN products_fts_content "
            "c ON c.id = j.value JOIN products_fts_docsize d ON d.id = c.id",
            (json.dumps(wanted),)):
        norm = K1 * (1 - B + B * sum(_varints(size)) / average) if average else K1
        score = 0.0
        for term, idf in zip(terms, idfs):
            freq = sum(w * _occurrences(text or "", term) for w, text in zip(WEIGHTS, texts))
            if freq:
                score += idf * freq * (K1 + 1) / (freq + norm)
        out[rowid] = -score
    return out
