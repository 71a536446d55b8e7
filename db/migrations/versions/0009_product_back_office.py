"""products: the back office's product list (summaries kept by triggers, list indexes), images

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00

``product_summaries`` holds per product its least SKU, its price range over the variants not
archived, its number of variants and its stock in this till's store (triggers on
``stock_levels`` and on the local store's setting too), so that the back office sorts a million products by SKU
or price through an index (an aggregate per product would read every variant at every page).
Triggers on ``variants`` recompute a product's row from its variants whenever one is written:
every value is recomputed, never added to, so a restore that empties and refills the tables
in any order ends with the right rows. ``products_tally`` counts active and archived products
(triggers on ``products``), so the list's plain count reads two rows. Indexes: products by (archived, name) — the list's
default view and its name order, ties broken by rowid, which the index holds anyway —, a category's products
(category, archived, name) — and the few products with a low-stock threshold.
``product_images`` keeps each product's pictures (checked, downscaled) as the back office added
them, until the server has them too.

A later migration that rebuilds ``variants`` (batch mode) drops these triggers with the old
table: it must create them again, as ``upgrade`` does here.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_HERE = "(SELECT value FROM local_settings WHERE key = 'store_id')"
#: a product's stock in this till's store: its variants' levels (those not archived)
_STOCK_OF = ("(SELECT coalesce(sum(l.quantity_milli), 0) FROM variants AS sv "
             f"JOIN stock_levels AS l ON l.variant_id = sv.id AND l.store_id = {_HERE} "
             "WHERE sv.product_id = {id} AND NOT sv.archived)")
_RECOMPUTE = (
    "DELETE FROM product_summaries WHERE product_id = {id} AND NOT EXISTS "
    "(SELECT 1 FROM variants WHERE product_id = {id}); "
    "INSERT INTO product_summaries (product_id, sku, price_min, price_max, variant_count, "
    "archived, stock_milli) SELECT product_id, min(sku), "
    "min(CASE WHEN NOT archived THEN price END), max(CASE WHEN NOT archived THEN price END), "
    "count(*), coalesce((SELECT archived FROM products WHERE id = {id}), 0), "
    f"{_STOCK_OF} FROM variants "
    "WHERE product_id = {id} GROUP BY product_id "
    "ON CONFLICT (product_id) DO UPDATE SET sku = excluded.sku, "
    "price_min = excluded.price_min, price_max = excluded.price_max, "
    "variant_count = excluded.variant_count, archived = excluded.archived, "
    "stock_milli = excluded.stock_milli;")
#: a stock level of this store changed: its product's stock, recomputed
_RESTOCK = ("UPDATE product_summaries SET stock_milli = " + _STOCK_OF.format(
    id="product_summaries.product_id") + " WHERE product_id = (SELECT product_id FROM "
    "variants WHERE id = {row}.variant_id) AND {row}.store_id = " + _HERE + ";")
_TALLY = ("INSERT INTO products_tally (archived, count) VALUES ({flag}, {step}) "
          "ON CONFLICT (archived) DO UPDATE SET count = count + excluded.count;")

TRIGGERS = {
    "product_summary_variant_insert": ("AFTER INSERT ON variants",
                                       _RECOMPUTE.format(id="new.product_id")),
    "product_summary_variant_update": (
        "AFTER UPDATE OF sku, price, archived, product_id ON variants",
        _RECOMPUTE.format(id="new.product_id") + _RECOMPUTE.format(id="old.product_id")),
    "product_summary_variant_delete": ("AFTER DELETE ON variants",
                                       _RECOMPUTE.format(id="old.product_id")),
    "product_summary_archived": (
        "AFTER UPDATE OF archived ON products WHEN old.archived IS NOT new.archived",
        "UPDATE product_summaries SET archived = new.archived WHERE product_id = new.id;"),
    "product_summary_stock_insert": ("AFTER INSERT ON stock_levels", _RESTOCK.format(row="new")),
    "product_summary_stock_update": ("AFTER UPDATE ON stock_levels",
                                     _RESTOCK.format(row="new") + _RESTOCK.format(row="old")),
    "product_summary_stock_delete": ("AFTER DELETE ON stock_levels", _RESTOCK.format(row="old")),
    # this till's store named (set up, paired): every product's stock is its stock there
    "product_summary_store_insert": (
        "AFTER INSERT ON local_settings WHEN new.key = 'store_id'",
        "UPDATE product_summaries SET stock_milli = "
        + _STOCK_OF.format(id="product_summaries.product_id") + ";"),
    "product_summary_store_update": (
        "AFTER UPDATE ON local_settings WHEN new.key = 'store_id'",
        "UPDATE product_summaries SET stock_milli = "
        + _STOCK_OF.format(id="product_summaries.product_id") + ";"),
    "products_tally_insert": ("AFTER INSERT ON products",
                              _TALLY.format(flag="new.archived", step=1)),
    "products_tally_delete": ("AFTER DELETE ON products",
                              _TALLY.format(flag="old.archived", step=-1)),
    "products_tally_archived": (
        "AFTER UPDATE OF archived ON products WHEN old.archived IS NOT new.archived",
        _TALLY.format(flag="old.archived", step=-1) + _TALLY.format(flag="new.archived",
                                                                    step=1)),
}


#: the summaries and the tally of what is there already (also the benchmark's bulk fill)
FILL_SUMMARIES = (
    "INSERT INTO product_summaries (product_id, sku, price_min, price_max, variant_count, "
    "archived, stock_milli) SELECT v.product_id, min(v.sku), "
    "min(CASE WHEN NOT v.archived THEN v.price END), "
    "max(CASE WHEN NOT v.archived THEN v.price END), count(*), p.archived, "
    "coalesce(sum(CASE WHEN NOT v.archived THEN l.quantity_milli END), 0) FROM variants AS v "
    "JOIN products AS p ON p.id = v.product_id LEFT JOIN stock_levels AS l "
    f"ON l.variant_id = v.id AND l.store_id = {_HERE} GROUP BY v.product_id")
FILL_TALLY = ("INSERT INTO products_tally (archived, count) SELECT archived, count(*) "
              "FROM products GROUP BY archived")


def upgrade() -> None:
    op.create_table(
        'product_summaries',
        sa.Column('product_id', sa.String(length=36), nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=True),
        sa.Column('price_min', sa.Integer(), nullable=True),
        sa.Column('price_max', sa.Integer(), nullable=True),
        sa.Column('variant_count', sa.Integer(), nullable=False),
        sa.Column('archived', sa.Boolean(), nullable=False),
        sa.Column('stock_milli', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_summaries')),
    )
    op.create_index('ix_product_summaries_stock', 'product_summaries',
                    ['archived', 'stock_milli'])
    op.create_index('ix_product_summaries_sku', 'product_summaries', ['archived', 'sku'])
    op.create_index('ix_product_summaries_price', 'product_summaries',
                    ['archived', 'price_min'])
    op.create_table(
        'products_tally',
        sa.Column('archived', sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('archived', name=op.f('pk_products_tally')),
    )
    op.create_index('ix_products_archived_name', 'products', ['archived', 'name'])
    op.create_index('ix_products_category_list', 'products',
                    ['category_id', 'archived', 'name'])
    op.create_index('ix_products_low_stock', 'products', ['low_stock_threshold'],
                    sqlite_where=sa.text('low_stock_threshold IS NOT NULL'))
    op.create_table(
        'product_images',
        sa.Column('product_id', sa.String(length=36), nullable=False),
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_product_images_product_id_products')),
        sa.PrimaryKeyConstraint('product_id', 'id', name=op.f('pk_product_images')),
    )
    for name, (when, body) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    op.execute(FILL_SUMMARIES)
    op.execute(FILL_TALLY)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('products_tally')
    op.drop_table('product_images')
    op.drop_index('ix_products_low_stock', table_name='products')
    op.drop_index('ix_products_category_list', table_name='products')
    op.drop_index('ix_products_archived_name', table_name='products')
    op.drop_index('ix_product_summaries_stock', table_name='product_summaries')
    op.drop_index('ix_product_summaries_price', table_name='product_summaries')
    op.drop_index('ix_product_summaries_sku', table_name='product_summaries')
    op.drop_table('product_summaries')
