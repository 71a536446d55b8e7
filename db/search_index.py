"""The SQL side of the till's search index (migration 0004): the functions its triggers call,
registered on every connection to the local store, and the names of the tables they derive.

``till_search`` (FTS5, trigram) holds one row per sellable variant, its rowid the variant's
rowid, with the folded product + variant name and the folded brand; ``till_vocab`` counts the
words of those rows (how many rows hold each word) for typo correction and short-word
completion, and ``till_vocab_fts`` (trigram) finds vocabulary words that look alike.

Triggers on ``products`` and ``variants`` queue every variant whose searched text or
sellability may have changed, whatever wrote it (back office, sync, demo, restore);
:func:`refresh` re-indexes the queue set-wise, and ``LocalStore.write`` runs it just before
every COMMIT, so the index is right at every commit. A writer on a connection of its own (the
restore) calls :func:`refresh` before its COMMIT too.

The db layer may not import ``app``, so :func:`fold` here is a copy of
``app.domain.text.fold`` (which the till's queries and the server use); a test keeps the two
sources equal, because a word folded differently here would never be found.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import Counter
from typing import Any

#: Tables the triggers fill from the catalogue (with FTS5's shadow tables, named after them):
#: never compared with the models, never copied by a restore (the triggers rebuild them).
DERIVED_TABLES = ("till_search", "till_vocab", "till_vocab_fts")

# Letters that Unicode does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŀ": "l",
                          "þ": "th", "æ": "ae", "œ": "oe", "ŧ": "t"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``"Crème Brûlée ΚΑΦΈΣ"`` → ``"creme brulee καφεσ"``: casefolded, accents dropped."""
    if text.isascii():  # most catalogue text: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_SPECIAL)


def folded_words(*parts: Any) -> str:
    """``tp_fold(a, b, …)``: the folded words of the texts, one space between them (NULL and
    empty parts add nothing)."""
    return " ".join(w for part in parts if part for w in _WORD.findall(fold(str(part))))


class WordCounts:
    """``tp_word_counts(a, b, …)``, an aggregate: over rows of already folded texts, how many
    rows hold each word, as a JSON object (for ``json_each`` in :data:`REFRESH`). One pass in
    Python costs a third of ``json_each`` per row plus a GROUP BY."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def step(self, *folded: Any) -> None:
        self.counts.update({w for part in folded if part for w in str(part).split()})

    def finalize(self) -> str:
        return json.dumps(self.counts, ensure_ascii=False)


def register_functions(connection: sqlite3.Connection) -> None:
    """Make the triggers' functions known to ``connection``: every connection that may write
    products or variants needs them (SQLite raises "no such function" otherwise)."""
    connection.create_function("tp_fold", -1, folded_words, deterministic=True)
    connection.create_aggregate("tp_word_counts", -1, WordCounts)


#: Re-index the queued variants: count their old rows' words down and drop the rows (variants
#: queued as new since the last refresh have none), fold the new rows once into a scratch
#: table, write them and count their words up, drop the words no row holds any more.
#: Set-wise, because FTS5 costs several times more when written row by row from triggers
#: (see migration 0004).
# CROSS JOIN keeps the queue the outer loop: left to itself the planner scanned the whole
# index (or all variants) at every refresh, which made a pull of many pages quadratic.
_OLD_ROWS = ("till_search_queue AS q CROSS JOIN till_search AS s ON s.rowid = q.rowid "
             "WHERE NOT q.fresh")
REFRESH = (
    "CREATE TEMP TABLE IF NOT EXISTS till_search_new (rowid INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, brand TEXT NOT NULL)",
    "INSERT INTO till_vocab (word, count) SELECT key, -value FROM json_each((SELECT "
    f"tp_word_counts(s.name, s.brand) FROM {_OLD_ROWS})) "
    "WHERE true ON CONFLICT (word) DO UPDATE SET count = count + excluded.count",
    "DELETE FROM till_search WHERE rowid IN (SELECT rowid FROM till_search_queue "
    "WHERE NOT fresh)",
    "INSERT INTO temp.till_search_new (rowid, name, brand) SELECT v.rowid, "
    "tp_fold(p.name, v.name), tp_fold(p.brand) FROM till_search_queue AS q "
    "CROSS JOIN variants AS v ON v.rowid = q.rowid "
    "CROSS JOIN products AS p ON p.id = v.product_id "
    "WHERE NOT v.archived AND NOT p.archived",
    "INSERT INTO till_search (rowid, name, brand) SELECT rowid, name, brand "
    "FROM temp.till_search_new",
    "INSERT INTO till_vocab (word, count) SELECT key, value FROM json_each((SELECT "
    "tp_word_counts(name, brand) FROM temp.till_search_new)) "
    "WHERE true ON CONFLICT (word) DO UPDATE SET count = count + excluded.count",
    "DELETE FROM till_vocab WHERE count <= 0",
    "DELETE FROM temp.till_search_new",
    "DELETE FROM till_search_queue",
)


def refresh(connection: sqlite3.Connection) -> int:
    """Bring the index up to date with the catalogue inside the caller's open transaction;
    returns how many variants were queued (0: nothing to do, one indexed look-up)."""
    queued = connection.execute("SELECT count(*) FROM till_search_queue").fetchone()[0]
    if queued:
        for statement in REFRESH:
            connection.execute(statement)
    return queued


def is_derived_table(name: str) -> bool:
    return any(name == table or name.startswith(f"{table}_") for table in DERIVED_TABLES)


def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    """Alembic's ``include_name`` hook: autogenerate leaves the derived tables alone (FTS5
    virtual tables have no model; their shadow tables belong to SQLite)."""
    return not (type_ == "table" and name is not None and is_derived_table(name))
