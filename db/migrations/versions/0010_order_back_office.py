"""orders: fulfilment (the orders helper)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00

The order list's indexes: every order (this till's and the server's) filtered by status and
sorted by date (``db.models.order_office``).
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


INDEXES = (
    ("ix_orders_list_date", "orders", ["created_at", "id", "number"]),
    ("ix_orders_list_status", "orders", ["status", "created_at", "id"]),
    ("ix_orders_list_total", "orders", ["total", "id"]),
    ("ix_remote_orders_list_date", "remote_orders", ["created_at", "id", "number"]),
    ("ix_remote_orders_list_status", "remote_orders", ["status", "created_at", "id"]),
    ("ix_remote_orders_list_total", "remote_orders", ["total", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
