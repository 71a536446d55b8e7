"""stock: deliveries, counts, transfers (the stock helper)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00

Supplier deliveries (``deliveries``, ``delivery_lines``) and stock counts (``stock_counts``,
``stock_count_lines``), kept locally while they are worked on (``db.models.stock_admin``).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deliveries',
        sa.Column('store_id', sa.String(length=36), nullable=False),
        sa.Column('supplier', sa.String(length=200), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_by', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'],
                                name=op.f('fk_deliveries_created_by_staff_users')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_deliveries_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    )
    op.create_index(op.f('ix_deliveries_status'), 'deliveries', ['status'])
    op.create_table(
        'delivery_lines',
        sa.Column('delivery_id', sa.String(length=36), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.String(length=36), nullable=False),
        sa.Column('expected_milli', sa.Integer(), nullable=False),
        sa.Column('received_milli', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.CheckConstraint('expected_milli >= 0',
                           name=op.f('ck_delivery_lines_expected_not_negative')),
        sa.CheckConstraint('received_milli >= 0',
                           name=op.f('ck_delivery_lines_received_not_negative')),
        sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'],
                                name=op.f('fk_delivery_lines_delivery_id_deliveries')),
        sa.ForeignKeyConstraint(['variant_id'], ['variants.id'],
                                name=op.f('fk_delivery_lines_variant_id_variants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_lines')),
        sa.UniqueConstraint('delivery_id', 'variant_id',
                            name=op.f('uq_delivery_lines_delivery_id')),
    )
    op.create_index(op.f('ix_delivery_lines_delivery_id'), 'delivery_lines', ['delivery_id'])
    op.create_table(
        'stock_counts',
        sa.Column('store_id', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=300), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('started_by', sa.String(length=36), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_by', sa.String(length=36), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['finished_by'], ['staff_users.id'],
                                name=op.f('fk_stock_counts_finished_by_staff_users')),
        sa.ForeignKeyConstraint(['started_by'], ['staff_users.id'],
                                name=op.f('fk_stock_counts_started_by_staff_users')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_stock_counts_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_counts')),
    )
    op.create_index(op.f('ix_stock_counts_status'), 'stock_counts', ['status'])
    op.create_table(
        'stock_count_lines',
        sa.Column('count_id', sa.String(length=36), nullable=False),
        sa.Column('variant_id', sa.String(length=36), nullable=False),
        sa.Column('expected_milli', sa.Integer(), nullable=False),
        sa.Column('counted_milli', sa.Integer(), nullable=True),
        sa.CheckConstraint('counted_milli IS NULL OR counted_milli >= 0',
                           name=op.f('ck_stock_count_lines_counted_not_negative')),
        sa.ForeignKeyConstraint(['count_id'], ['stock_counts.id'],
                                name=op.f('fk_stock_count_lines_count_id_stock_counts')),
        sa.ForeignKeyConstraint(['variant_id'], ['variants.id'],
                                name=op.f('fk_stock_count_lines_variant_id_variants')),
        sa.PrimaryKeyConstraint('count_id', 'variant_id', name=op.f('pk_stock_count_lines')),
    )
    op.create_index('ix_variants_sku_live', 'variants', ['sku', 'archived', 'product_id'])


def downgrade() -> None:
    op.drop_index('ix_variants_sku_live', table_name='variants')
    op.drop_table('stock_count_lines')
    op.drop_index(op.f('ix_stock_counts_status'), table_name='stock_counts')
    op.drop_table('stock_counts')
    op.drop_index(op.f('ix_delivery_lines_delivery_id'), table_name='delivery_lines')
    op.drop_table('delivery_lines')
    op.drop_index(op.f('ix_deliveries_status'), table_name='deliveries')
    op.drop_table('deliveries')
