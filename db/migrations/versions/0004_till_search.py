"""till search: a trigram index of sellable variants and its vocabulary, kept by triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

``till_search`` holds one row per sellable variant (neither it nor its product archived), its
rowid the variant's rowid: ``name`` is the folded product name and variant name, ``brand`` the
folded brand. ``till_vocab`` counts, per word, the index rows holding it; ``till_vocab_fts``
indexes the vocabulary's trigrams to find a typo's nearest words.

The triggers on ``products`` and ``variants`` queue the rowid of every variant whose searched
text or sellability may have changed (``till_search_queue``); ``db.search_index.refresh``
re-indexes the queued variants in a few set-wise statements, and ``LocalStore.write`` runs it
just before every COMMIT, so the index is right at every commit. (The triggers do not write the
FTS table themselves: a statement with triggers opens a savepoint, and FTS5 flushes its
pending terms at every savepoint, which made each variant written cost seven times a plain
FTS insert.) The triggers on ``till_vocab`` keep ``till_vocab_fts`` in step directly: new and
vanished words are rare.

A later migration that rebuilds ``products`` or ``variants`` (batch mode copies the table)
drops these triggers with the old table and renumbers the rowids: it must create the triggers
again and refill the index as ``upgrade`` does here.
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = (
    "CREATE VIRTUAL TABLE till_search USING fts5(name, brand, "
    "tokenize = 'trigram case_sensitive 1', columnsize = 0)",
    # fresh: inserted since the last refresh, so never indexed (nothing to take out first)
    "CREATE TABLE till_search_queue (rowid INTEGER PRIMARY KEY, "
    "fresh INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE till_vocab (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, "
    "count INTEGER NOT NULL)",
    # What refresh deletes after counting down: found without reading the whole vocabulary.
    "CREATE INDEX till_vocab_unused ON till_vocab (count) WHERE count <= 0",
    "CREATE VIRTUAL TABLE till_vocab_fts USING fts5(word, content = 'till_vocab', "
    "content_rowid = 'id', tokenize = 'trigram case_sensitive 1', detail = 'none')",
)

_QUEUE_NEW = "INSERT OR IGNORE INTO till_search_queue (rowid, fresh) VALUES (new.rowid, 1);"
_QUEUE_ONE = ("INSERT INTO till_search_queue (rowid) VALUES ({row}) "
              "ON CONFLICT (rowid) DO UPDATE SET fresh = 0;")
_QUEUE_PRODUCT = ("INSERT INTO till_search_queue (rowid) SELECT rowid FROM variants "
                  "WHERE product_id = {id} ON CONFLICT (rowid) DO UPDATE SET fresh = 0;")

TRIGGERS = {
    "till_search_variant_insert": ("AFTER INSERT ON variants", _QUEUE_NEW),
    "till_search_variant_update": (
        "AFTER UPDATE OF name, archived, product_id ON variants WHEN old.name IS NOT new.name "
        "OR old.archived IS NOT new.archived OR old.product_id IS NOT new.product_id",
        _QUEUE_ONE.format(row="new.rowid")),
    "till_search_variant_delete": ("AFTER DELETE ON variants", _QUEUE_ONE.format(row="old.rowid")),
    # A product is written before its variants, so this finds none, except when a restore
    # refills the tables (products before variants, foreign keys deferred).
    "till_search_product_insert": ("AFTER INSERT ON products",
                                   _QUEUE_PRODUCT.format(id="new.id")),
    "till_search_product_update": (
        "AFTER UPDATE OF name, brand, archived ON products WHEN old.name IS NOT new.name "
        "OR old.brand IS NOT new.brand OR old.archived IS NOT new.archived",
        _QUEUE_PRODUCT.format(id="new.id")),
    "till_search_product_delete": ("AFTER DELETE ON products",
                                   _QUEUE_PRODUCT.format(id="old.id")),
    "till_vocab_insert": ("AFTER INSERT ON till_vocab",
                          "INSERT INTO till_vocab_fts (rowid, word) VALUES (new.id, new.word);"),
    "till_vocab_delete": ("AFTER DELETE ON till_vocab",
                          "INSERT INTO till_vocab_fts (till_vocab_fts, rowid, word) "
                          "VALUES ('delete', old.id, old.word);"),
}

FILL = (
    "INSERT INTO till_search (rowid, name, brand) SELECT v.rowid, tp_fold(p.name, v.name), "
    "tp_fold(p.brand) FROM variants AS v JOIN products AS p ON p.id = v.product_id "
    "WHERE NOT v.archived AND NOT p.archived",
    "INSERT INTO till_vocab (word, count) SELECT key, value FROM json_each("
    "(SELECT tp_word_counts(name, brand) FROM till_search))",
    "INSERT INTO till_vocab_fts (till_vocab_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)
    for statement in FILL:  # before the triggers: the vocabulary is counted in one statement
        op.execute(statement)
    for name, (when, body) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN\n{body}\nEND")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("till_vocab_fts", "till_vocab", "till_search_queue", "till_search"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
