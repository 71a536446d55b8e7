"""shipments of orders the server showed this till (online orders, other registers' sales)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:30:00

``shipments.order_id`` may now be empty when ``remote_order_id`` names the order instead
(exactly one of the two), and every shipment keeps its order's number as the label prints it.
SQLite cannot relax a NOT NULL in place, so the table is rebuilt: made anew, filled from the
old one (each number from its order), the old one dropped. Nothing references ``shipments``,
so the rebuild drops no other table's key. Downgrading drops the remote orders' shipments:
the older schema has no place for them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ("carrier", "service", "tracking_number", "weight_grams", "parcels", "ship_to",
           "created_at", "printed_at", "id")


def _shipments(name: str, *, remote: bool) -> None:
    extra = [sa.Column('remote_order_id', sa.String(length=64), nullable=True),
             sa.Column('order_number', sa.String(length=40), nullable=False)] if remote else []
    checks = [sa.CheckConstraint("(order_id IS NULL) <> (remote_order_id IS NULL)",
                                 name=op.f('ck_shipments_one_order'))] if remote else []
    op.create_table(
        name,
        sa.Column('order_id', sa.String(length=36), nullable=remote),
        *extra,
        sa.Column('carrier', sa.String(length=30), nullable=False),
        sa.Column('service', sa.String(length=60), nullable=False),
        sa.Column('tracking_number', sa.String(length=60), nullable=False),
        sa.Column('weight_grams', sa.Integer(), nullable=False),
        sa.Column('parcels', sa.Integer(), nullable=False),
        sa.Column('ship_to', sa.String(length=700), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('printed_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        # named as the final table's: the names stay inside the table's SQL when it is renamed
        sa.CheckConstraint('parcels >= 1', name=op.f('ck_shipments_parcels_positive')),
        sa.CheckConstraint('weight_grams > 0', name=op.f('ck_shipments_weight_positive')),
        *checks,
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_shipments_order_id_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
        sa.UniqueConstraint('tracking_number', name=op.f('uq_shipments_tracking_number')),
    )


def _swap(new: str) -> None:
    op.drop_index('ix_shipments_order_id', table_name='shipments')
    op.drop_table('shipments')
    op.rename_table(new, 'shipments')
    op.create_index('ix_shipments_order_id', 'shipments', ['order_id'])


def upgrade() -> None:
    _shipments('shipments_next', remote=True)
    kept = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO shipments_next (order_id, remote_order_id, order_number, {kept}) "
               f"SELECT s.order_id, NULL, COALESCE(o.number, ''), "
               f"{', '.join('s.' + c for c in COLUMNS)} "
               "FROM shipments s LEFT JOIN orders o ON o.id = s.order_id")
    _swap('shipments_next')
    op.create_index('ix_shipments_remote_order_id', 'shipments', ['remote_order_id'])


def downgrade() -> None:
    _shipments('shipments_before', remote=False)
    kept = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO shipments_before (order_id, {kept}) SELECT order_id, {kept} "
               "FROM shipments WHERE order_id IS NOT NULL")
    op.drop_index('ix_shipments_remote_order_id', table_name='shipments')
    _swap('shipments_before')
