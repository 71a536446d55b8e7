"""customers and staff: the customer list's index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00

``customers(erased, name, id)`` for the back office's customer list (the customers not erased,
in its default order, a page's ids found in the index alone); ``db.models.people_indexes``
declares it.
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_customers_list_name', 'customers', ['erased', 'name', 'id'])


def downgrade() -> None:
    op.drop_index('ix_customers_list_name', table_name='customers')
