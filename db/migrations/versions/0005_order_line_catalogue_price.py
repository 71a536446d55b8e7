"""order lines keep the catalogue price they were sold against

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

``order_lines.catalogue_price``: the variant's price at the moment of the sale, so the
Z-report can say what price overrides gave away (catalogue price − sold price, × quantity).
Nullable: lines recorded before this revision never knew it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: order_lines is not copied (batch mode would rebuild it)
    op.add_column('order_lines', sa.Column('catalogue_price', sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite's own DROP COLUMN (3.35+): a batch rebuild would drop order_lines, which the
    # lines' taxes and refunds reference, and foreign keys are on
    op.execute("ALTER TABLE order_lines DROP COLUMN catalogue_price")
