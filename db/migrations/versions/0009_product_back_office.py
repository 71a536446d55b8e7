"""products: the back office's product list (summaries kept by triggers, list indexes), images

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00

``product_summaries`` holds per product its least SKU, its price range over the variants not
archived and its number of variants, so that the back office sorts a million products by SKU
or price through an index (an aggregate per product would read every variant at every page).
Triggers on ``variants`` recompute a product's row from its variants whenever one is written:
every value is recomputed, never added to, so a restore that empties and refills the tables
in any order ends with the right rows. Indexes: products by (archived, name, id) — the list's
default view, its count and its name order — and the few products with a low-stock threshold.
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

_RECOMPUTE = (
    "DELETE FROM product_summaries WHERE product_id = {id} AND NOT EXISTS "
    "(SELECT 1 FROM variants WHERE product_id = {id}); "
    "INSERT INTO product_summaries (product_id, sku, price_min, price_max, variant_count) "
    "SELECT product_id, min(sku), min(CASE WHEN NOT archived THEN price END), "
    "max(CASE WHEN NOT archived THEN price END), count(*) FROM variants "
    "WHERE product_id = {id} GROUP BY product_id "
    "ON CONFLICT (product_id) DO UPDATE SET sku = excluded.sku, "
    "price_min = excluded.price_min, price_max = excluded.price_max, "
    "variant_count = excluded.variant_count;")

TRIGGERS = {
    "product_summary_variant_insert": ("AFTER INSERT ON variants",
                                       _RECOMPUTE.format(id="new.product_id")),
    "product_summary_variant_update": (
        "AFTER UPDATE OF sku, price, archived, product_id ON variants",
        _RECOMPUTE.format(id="new.product_id") + _RECOMPUTE.format(id="old.product_id")),
    "product_summary_variant_delete": ("AFTER DELETE ON variants",
                                       _RECOMPUTE.format(id="old.product_id")),
}


def upgrade() -> None:
    op.create_table(
        'product_summaries',
        sa.Column('product_id', sa.String(length=36), nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=True),
        sa.Column('price_min', sa.Integer(), nullable=True),
        sa.Column('price_max', sa.Integer(), nullable=True),
        sa.Column('variant_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_summaries')),
    )
    op.create_index('ix_product_summaries_sku', 'product_summaries', ['sku'])
    op.create_index('ix_product_summaries_price', 'product_summaries', ['price_min'])
    op.create_index('ix_products_archived_name', 'products', ['archived', 'name', 'id'])
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
    op.execute(
        "INSERT INTO product_summaries (product_id, sku, price_min, price_max, variant_count) "
        "SELECT product_id, min(sku), min(CASE WHEN NOT archived THEN price END), "
        "max(CASE WHEN NOT archived THEN price END), count(*) FROM variants "
        "GROUP BY product_id")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('product_images')
    op.drop_index('ix_products_low_stock', table_name='products')
    op.drop_index('ix_products_archived_name', table_name='products')
    op.drop_index('ix_product_summaries_price', table_name='product_summaries')
    op.drop_index('ix_product_summaries_sku', table_name='product_summaries')
    op.drop_table('product_summaries')
