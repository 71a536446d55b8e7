"""printing: a print job's document_ref holds a batch of ids; a label knows who booked it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:40:00

A pick list names its orders and a sheet of shelf labels its variants, comma separated, in the
job's ``document_ref`` (so a reprint draws the same document again). 64 characters held one
UUID: two orders of the server already did not fit. Text now; the queue keeps its own limit
(``app.printing.queue.MAX_DOCUMENT_REF``).

``shipments.booked_by``: the member of staff who booked a label, so the order moves printing
it makes (on the print worker, which acts for nobody) name them and the server checks their
``orders:update`` again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('print_jobs') as batch:
        batch.alter_column('document_ref', existing_type=sa.String(length=64),
                           type_=sa.Text(), existing_nullable=False)
    op.add_column('shipments', sa.Column('booked_by', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shipments') as batch:
        batch.drop_column('booked_by')
    # a job naming a batch no longer fits: keep only the first id (it stays readable, and a
    # reprint of it prints that one order or label)
    op.execute("UPDATE print_jobs SET document_ref = substr(substr(document_ref, 1, "
               "instr(document_ref || ',', ',') - 1), 1, 64) WHERE length(document_ref) > 64")
    with op.batch_alter_table('print_jobs') as batch:
        batch.alter_column('document_ref', existing_type=sa.Text(),
                           type_=sa.String(length=64), existing_nullable=False)
