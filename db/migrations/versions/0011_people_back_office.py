"""customers and staff: the customer list's index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00

``customers(name, id)`` for the back office's customer list (its default order, read a page at
a time); ``db.models.people_indexes`` declares it.
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_customers_name_id', 'customers', ['name', 'id'])


def downgrade() -> None:
    op.drop_index('ix_customers_name_id', table_name='customers')
