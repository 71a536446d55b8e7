"""The search read model's SQLite file: its schema, where it lives, and how change-log entries
are applied to it (by the one follower that writes; every worker reads it).

Files in the search directory:
- ``CURRENT``: the name of the file readers use, replaced atomically (``os.replace``) when a
  rebuilt file is swapped in, so a reader always sees a whole file;
- ``search-<n>.sqlite`` (+ ``-wal``/``-shm``): generations of the read model, in WAL mode;
- ``writer.lock``: the follower election (``flock``).

Tables: ``meta`` (``schema``, per-feed ``cursor:<feed>`` and ``epoch:<feed>``), ``products``
(one row per live product: its facet fields), ``product_docs`` (its summary and product JSON, both without
cost, and its vocabulary words: kept apart so that scanning ``products`` reads small rows),
``products_fts``
(FTS5, trigram tokenizer, same rowid), ``prices`` (per currency), ``categories``, ``stock``
(per stock level: available thousandths), ``vocab`` (+ ``vocab_fts``) for typo correction and
completions, ``tax_classes``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from server.changes.log import CATALOG_FEED, DELETE
from server.search.text import fold, folded_text

SCHEMA_VERSION = "2"  # bump with any change below: files of another version are rebuilt
CURRENT = "CURRENT"
LOCK = "writer.lock"
# bm25 weights, in products_fts column order: name > brand > category > tags > codes > description
WEIGHTS = (10.0, 6.0, 4.0, 2.0, 1.0, 3.0)
COLUMNS = ("name", "brand", "category", "tags", "description", "codes")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name_key TEXT NOT NULL,
    brand TEXT NOT NULL, brand_key TEXT NOT NULL, category_id TEXT, in_stock INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS product_docs (rowid INTEGER PRIMARY KEY, summary TEXT NOT NULL,
    data TEXT NOT NULL, vocab TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS products_name_category ON products (name_key, category_id);
CREATE INDEX IF NOT EXISTS products_category ON products (category_id);
CREATE INDEX IF NOT EXISTS products_brand ON products (brand_key);
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5({", ".join(COLUMNS)},
    tokenize = 'trigram', detail = 'full');
CREATE TABLE IF NOT EXISTS prices (rowid INTEGER NOT NULL, currency TEXT NOT NULL,
    price INTEGER NOT NULL, PRIMARY KEY (rowid, currency)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS prices_by_amount ON prices (currency, price);
CREATE TABLE IF NOT EXISTS categories (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    parent_id TEXT, path TEXT NOT NULL, archived INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tax_classes (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stock (id TEXT PRIMARY KEY, store_id TEXT NOT NULL,
    product_id TEXT NOT NULL, variant_id TEXT, available_milli INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS stock_product ON stock (product_id, available_milli);
CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE,
    count INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS vocab_fts USING fts5(word, tokenize = 'trigram',
    detail = 'none');
"""


def search_dir(settings: Any) -> Path:
    """``settings.search_dir``, or ``<data_dir>/search``."""
    return Path(settings.search_dir) if settings.search_dir else Path(settings.data_dir) / "search"


def current_path(directory: Path) -> Path | None:
    """The file readers should use now, or ``None`` before the first build."""
    try:
        name = (directory / CURRENT).read_text().strip()
    except OSError:
        return None
    return directory / name if name else None


def publish(directory: Path, path: Path) -> None:
    """Make ``path`` the file readers use (atomically)."""
    tmp = directory / f"{CURRENT}.tmp"
    tmp.write_text(path.name)
    os.replace(tmp, directory / CURRENT)


def open_writer(path: Path) -> sqlite3.Connection:
    """The follower's connection: WAL (readers never wait for it), schema created."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # a lost tail is re-read from the change log
    conn.executescript(SCHEMA)
    if conn.execute("SELECT value FROM meta WHERE key = 'weights'").fetchone() is None:
        weights = ", ".join(str(w) for w in WEIGHTS)
        conn.execute("INSERT INTO products_fts (products_fts, rank) VALUES ('rank', ?)",
                     (f"bm25({weights})",))
        conn.execute("INSERT INTO meta VALUES ('weights', ?)", (weights,))
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return conn


def schema_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row[0] if row else None


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection (one per thread)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


# -- cursors ------------------------------------------------------------------------------

def cursors(conn: sqlite3.Connection) -> dict[str, tuple[int, str | None]]:
    """``{feed: (last applied seq, epoch)}``."""
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'cursor:%' "
                             "OR key LIKE 'epoch:%'").fetchall())
    feeds = {k.removeprefix("cursor:") for k in rows if k.startswith("cursor:")}
    return {f: (int(rows[f"cursor:{f}"]), rows.get(f"epoch:{f}")) for f in feeds}


def set_cursor(conn: sqlite3.Connection, feed: str, seq: int, epoch: str | None) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"cursor:{feed}", str(seq)))
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"epoch:{feed}", epoch or ""))


# -- applying entries ---------------------------------------------------------------------

@dataclass
class Batch:
    """What one batch of entries accumulates: vocabulary count changes (written once, at the
    end) and the category path names looked up so far."""

    vocab: Counter[str] = field(default_factory=Counter)
    category_names: dict[str, list[str]] = field(default_factory=dict)


def apply(conn: sqlite3.Connection, feed: str, entries: Iterable[dict[str, Any]]) -> None:
    """Apply change-log entries of ``feed`` (the caller holds the transaction)."""
    batch = Batch()
    for entry in entries:
        entity, op, data = entry["entity"], entry["op"], entry.get("data")
        if feed == CATALOG_FEED and entity == "product":
            if op == DELETE or not data or data.get("archived"):
                remove_product(conn, entry["entity_id"], batch)
            else:
                upsert_product(conn, data, batch)
        elif feed == CATALOG_FEED and entity == "category":
            batch.category_names.clear()
            _category(conn, entry["entity_id"], None if op == DELETE else data, batch)
        elif feed == CATALOG_FEED and entity == "tax_class":
            if op == DELETE or not data:
                conn.execute("DELETE FROM tax_classes WHERE id = ?", (entry["entity_id"],))
            else:
                conn.execute("INSERT OR REPLACE INTO tax_classes VALUES (?, ?)",
                             (entry["entity_id"], json.dumps(data, default=str)))
        elif feed.startswith("store:") and entity == "stock_level":
            _stock(conn, entry["entity_id"], None if op == DELETE else data)
    _write_vocab(conn, batch.vocab)


def _public(product: dict[str, Any]) -> dict[str, Any]:
    """The product without cost (the read model never holds it, so it can never leak)."""
    clean = {k: v for k, v in product.items() if k != "cost"}
    clean["variants"] = [{k: v for k, v in variant.items() if k != "cost"}
                         for variant in product.get("variants") or []]
    return clean


def _category_names(conn: sqlite3.Connection, category_id: str | None,
                    cache: dict[str, list[str]]) -> list[str]:
    """The names of a category's path, root first (``cache``: for one batch of entries)."""
    if not category_id:
        return []
    if category_id not in cache:
        cache[category_id] = _path_names(conn, category_id)
    return cache[category_id]


def _path_names(conn: sqlite3.Connection, category_id: str) -> list[str]:
    row = conn.execute("SELECT name, path FROM categories WHERE id = ?", (category_id,)).fetchone()
    if row is None:
        return []
    ancestors = json.loads(row[1])
    names = dict(conn.execute(f"SELECT id, name FROM categories WHERE id IN "
                              f"({','.join('?' * len(ancestors))})", ancestors).fetchall()) \
        if ancestors else {}
    return [names[a] for a in ancestors if a in names] + [row[0]]


def _prices(product: dict[str, Any]) -> dict[str, int]:
    """The price shown per currency: the product's, else its cheapest live variant's."""
    found: dict[str, int] = {}
    for variant in product.get("variants") or []:
        if variant.get("archived"):
            continue
        for currency, amount in (variant.get("prices") or {}).items():
            if isinstance(amount, int) and (currency not in found or amount < found[currency]):
                found[currency] = amount
    for currency, amount in (product.get("prices") or {}).items():
        if isinstance(amount, int):
            found[currency] = amount
    return found


def _in_stock(conn: sqlite3.Connection, product_id: str) -> int:
    row = conn.execute("SELECT 1 FROM stock WHERE product_id = ? AND available_milli > 0 "
                       "LIMIT 1", (product_id,)).fetchone()
    return 1 if row else 0


def _write_vocab(conn: sqlite3.Connection, delta: Counter[str]) -> None:
    for word, change in delta.items():
        if change > 0:
            inserted = conn.execute("INSERT INTO vocab (word, count) VALUES (?, ?) ON CONFLICT "
                                    "(word) DO UPDATE SET count = count + excluded.count "
                                    "RETURNING id, count", (word, change)).fetchone()
            if inserted[1] == change:  # a new word
                conn.execute("INSERT INTO vocab_fts (rowid, word) VALUES (?, ?)",
                             (inserted[0], word))
        elif change < 0:
            left = conn.execute("UPDATE vocab SET count = count + ? WHERE word = ? "
                                "RETURNING id, count", (change, word)).fetchone()
            if left is not None and left[1] <= 0:
                conn.execute("DELETE FROM vocab WHERE id = ?", (left[0],))
                conn.execute("DELETE FROM vocab_fts WHERE rowid = ?", (left[0],))


def upsert_product(conn: sqlite3.Connection, product: dict[str, Any], batch: Batch) -> None:
    """Index a live product (replacing what was indexed for it)."""
    product = _public(product)
    pid = product["id"]
    old = conn.execute("SELECT p.rowid, d.vocab FROM products p JOIN product_docs d ON d.rowid "
                       "= p.rowid WHERE p.id = ?", (pid,)).fetchone()
    variants = [v for v in product.get("variants") or [] if not v.get("archived")]
    codes = [c for v in variants for c in [v.get("sku") or "", *(v.get("barcodes") or [])] if c]
    variant_names = (v.get("name") or "" for v in variants)
    text = {"name": folded_text(product.get("name") or "", *variant_names),
            "brand": folded_text(product.get("brand") or ""),
            "category": folded_text(*_category_names(conn, product.get("category_id"),
                                                     batch.category_names)),
            "tags": folded_text(*(product.get("tags") or [])),
            "description": folded_text(product.get("description") or ""),
            "codes": " ".join(fold(c) for c in codes)}
    vocab = sorted({w for col in ("name", "brand", "category", "tags")
                    for w in text[col].split() if len(w) >= 3 and not w.isdigit()})
    images = product.get("images") or []
    summary = {"id": pid, "name": product.get("name") or "", "brand": product.get("brand") or "",
               "category_id": product.get("category_id"),
               "image": (images[0].get("url") if images else None)}
    in_stock = _in_stock(conn, pid)
    row = (pid, fold(product.get("name") or ""), product.get("brand") or "",
           fold(product.get("brand") or ""), product.get("category_id"), in_stock)
    doc = (json.dumps(summary), json.dumps(product, default=str), " ".join(vocab))
    if old is None:
        rowid = conn.execute("INSERT INTO products (id, name_key, brand, brand_key, category_id, "
                             "in_stock) VALUES (?, ?, ?, ?, ?, ?)", row).lastrowid
        old_vocab: list[str] = []
    else:
        rowid, old_vocab = old[0], old[1].split()
        conn.execute("UPDATE products SET id = ?, name_key = ?, brand = ?, brand_key = ?, "
                     "category_id = ?, in_stock = ? WHERE rowid = ?", (*row, rowid))
        conn.execute("DELETE FROM products_fts WHERE rowid = ?", (rowid,))
        conn.execute("DELETE FROM prices WHERE rowid = ?", (rowid,))
    conn.execute("INSERT OR REPLACE INTO product_docs VALUES (?, ?, ?, ?)", (rowid, *doc))
    conn.execute(f"INSERT INTO products_fts (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, "
                 "?, ?)", (rowid, *(text[c] for c in COLUMNS)))
    conn.executemany("INSERT INTO prices VALUES (?, ?, ?)",
                     [(rowid, cur, amount) for cur, amount in _prices(product).items()])
    batch.vocab.update(vocab)
    batch.vocab.subtract(old_vocab)


def remove_product(conn: sqlite3.Connection, product_id: str, batch: Batch) -> None:
    """Drop a deleted or archived product from the index (its stock rows stay)."""
    old = conn.execute("SELECT p.rowid, d.vocab FROM products p JOIN product_docs d ON d.rowid "
                       "= p.rowid WHERE p.id = ?", (product_id,)).fetchone()
    if old is None:
        return
    conn.execute("DELETE FROM products WHERE rowid = ?", (old[0],))
    conn.execute("DELETE FROM product_docs WHERE rowid = ?", (old[0],))
    conn.execute("DELETE FROM products_fts WHERE rowid = ?", (old[0],))
    conn.execute("DELETE FROM prices WHERE rowid = ?", (old[0],))
    batch.vocab.subtract(old[1].split())


def _category(conn: sqlite3.Connection, category_id: str, data: dict[str, Any] | None,
              batch: Batch) -> None:
    before = conn.execute("SELECT name, path FROM categories WHERE id = ?",
                          (category_id,)).fetchone()
    if data is None:
        conn.execute("DELETE FROM categories WHERE id = ?", (category_id,))
    else:
        conn.execute("INSERT OR REPLACE INTO categories VALUES (?, ?, ?, ?, ?)",
                     (category_id, data.get("name") or "", data.get("parent_id"),
                      json.dumps(list(data.get("path") or [])), 1 if data.get("archived") else 0))
    after = None if data is None else (data.get("name") or "",
                                       json.dumps(list(data.get("path") or [])))
    if before is not None and tuple(before) == after:
        return
    # A renamed or moved category changes the indexed category text of its products and of
    # every product below it.
    for (product_json,) in conn.execute(
            "SELECT d.data FROM products p JOIN product_docs d ON d.rowid = p.rowid WHERE "
            "p.category_id IN (SELECT id FROM categories WHERE "
            "id = ? OR EXISTS (SELECT 1 FROM json_each(categories.path) WHERE value = ?)) "
            "OR p.category_id = ?", (category_id, category_id, category_id)).fetchall():
        upsert_product(conn, json.loads(product_json), batch)


def descendants(conn: sqlite3.Connection, category_id: str) -> list[str]:
    """``category_id`` and every category below it."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM categories WHERE id = ? OR EXISTS (SELECT 1 FROM "
        "json_each(categories.path) "
        "WHERE value = ?)", (category_id, category_id))]


def _stock(conn: sqlite3.Connection, level_id: str, data: dict[str, Any] | None) -> None:
    before = conn.execute("SELECT product_id FROM stock WHERE id = ?", (level_id,)).fetchone()
    if data is None:
        conn.execute("DELETE FROM stock WHERE id = ?", (level_id,))
        affected = {before[0]} if before else set()
    else:
        available = int(data.get("on_hand_milli") or 0) - int(data.get("reserved_milli") or 0)
        conn.execute("INSERT OR REPLACE INTO stock VALUES (?, ?, ?, ?, ?)",
                     (level_id, data.get("store_id") or "", data["product_id"],
                      data.get("variant_id"), available))
        affected = {data["product_id"]} | ({before[0]} if before else set())
    for product_id in affected:
        conn.execute("UPDATE products SET in_stock = ? WHERE id = ?",
                     (_in_stock(conn, product_id), product_id))
