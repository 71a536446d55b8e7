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


def upgrade() -> None:
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at"])
    op.create_index("ix_remote_orders_created_at", "remote_orders", ["created_at"])
    op.create_index("ix_remote_orders_status_created_at", "remote_orders",
                    ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_remote_orders_status_created_at", table_name="remote_orders")
    op.drop_index("ix_remote_orders_created_at", table_name="remote_orders")
    op.drop_index("ix_orders_status_created_at", table_name="orders")
