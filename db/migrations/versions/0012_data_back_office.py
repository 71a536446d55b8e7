"""import, export and backups (the data helper)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00

Empty until its area needs a schema change (an empty one is dropped when the back office is
merged, the next one then revising the one before).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
