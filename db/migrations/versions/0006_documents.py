"""documents: invoices and credit notes, shipments, the print queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:10:00

``invoices`` (gap-free per register series, one per sale, one credit note per refund, the
buyer's details copied at issue), ``shipments`` (what a shipping label shows), ``print_jobs``
(a queue per printer that survives a restart). New columns are plain ADD COLUMNs with server
defaults, so existing rows read as before: registers start their invoice and credit-note
series at 1, customers have no tax number, sales are collected at the counter.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invoices',
        sa.Column('store_id', sa.String(length=36), nullable=False),
        sa.Column('register_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('refund_id', sa.String(length=36), nullable=True),
        sa.Column('invoice_id', sa.String(length=36), nullable=True),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('buyer_address', sa.String(length=500), nullable=False),
        sa.Column('buyer_tax_number', sa.String(length=64), nullable=False),
        sa.Column('issued_by', sa.String(length=36), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name='invoice_kind'),
        sa.CheckConstraint("(kind = 'invoice') = (refund_id IS NULL)",
                           name='credit_note_refund'),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
        sa.ForeignKeyConstraint(['issued_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id']),
        sa.ForeignKeyConstraint(['refund_id'], ['refunds.id']),
        sa.ForeignKeyConstraint(['register_id'], ['registers.id']),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('register_id', 'kind', 'seq'),
    )
    op.create_index('ix_invoices_one_per_sale', 'invoices', ['order_id'], unique=True,
                    sqlite_where=sa.text("kind = 'invoice'"))
    op.create_index('ix_invoices_one_per_refund', 'invoices', ['refund_id'], unique=True,
                    sqlite_where=sa.text("kind = 'credit_note'"))
    op.create_table(
        'shipments',
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('carrier', sa.String(length=30), nullable=False),
        sa.Column('service', sa.String(length=60), nullable=False),
        sa.Column('tracking_number', sa.String(length=60), nullable=False),
        sa.Column('weight_grams', sa.Integer(), nullable=False),
        sa.Column('parcels', sa.Integer(), nullable=False),
        sa.Column('ship_to', sa.String(length=700), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('printed_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.CheckConstraint('parcels >= 1', name='parcels_positive'),
        sa.CheckConstraint('weight_grams > 0', name='weight_positive'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tracking_number'),
    )
    op.create_index('ix_shipments_order_id', 'shipments', ['order_id'])
    op.create_table(
        'print_jobs',
        sa.Column('printer', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('document_ref', sa.String(length=64), nullable=False),
        sa.Column('copy', sa.Boolean(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'printing', 'done', 'failed')",
                           name='print_job_status'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_print_jobs_printer_status', 'print_jobs', ['printer', 'status'])
    # plain ADD COLUMNs: these tables are referenced by others, a batch rebuild would drop them
    op.add_column('registers', sa.Column('next_invoice_seq', sa.Integer(), nullable=False,
                                         server_default='1'))
    op.add_column('registers', sa.Column('next_credit_note_seq', sa.Integer(), nullable=False,
                                         server_default='1'))
    op.add_column('customers', sa.Column('tax_number', sa.String(length=64), nullable=False,
                                         server_default=''))
    op.add_column('orders', sa.Column('fulfilment', sa.String(length=10), nullable=False,
                                      server_default='collect'))
    op.add_column('orders', sa.Column('ship_to', sa.String(length=700), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    for table, column in (('orders', 'ship_to'), ('orders', 'fulfilment'),
                          ('customers', 'tax_number'), ('registers', 'next_credit_note_seq'),
                          ('registers', 'next_invoice_seq')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index('ix_print_jobs_printer_status', table_name='print_jobs')
    op.drop_table('print_jobs')
    op.drop_index('ix_shipments_order_id', table_name='shipments')
    op.drop_table('shipments')
    op.drop_index('ix_invoices_one_per_refund', table_name='invoices')
    op.drop_index('ix_invoices_one_per_sale', table_name='invoices')
    op.drop_table('invoices')
