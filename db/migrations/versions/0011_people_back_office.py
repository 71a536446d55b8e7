"""customers and staff (the customers-and-staff helper)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00

Empty until its area needs a schema change (an empty one is dropped when the back office is
merged, the next one then revising the one before).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
