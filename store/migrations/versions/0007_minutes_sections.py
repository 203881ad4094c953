"""minutes: an organisation's unit, and notes on the meeting's own sections with their verb

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:00:00

`organisation.unit` (a unit named with the organisation: "Pollution and Health Unit");
`meetingnote.section` (introduction | opening | other | closure, "" for an agenda item's note);
`meetingnote.verb` (asked, suggested, the meeting agreed...; "" for "noted").

Plain ADD COLUMN on every backend: `organisation` is a versioned table (migration 0003's
triggers), and a batch ALTER on SQLite would recreate it without them.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('organisation', sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(),
                                            nullable=False, server_default=''))
    op.add_column('meetingnote', sa.Column('section', sqlmodel.sql.sqltypes.AutoString(
        length=20), nullable=False, server_default=''))
    op.add_column('meetingnote', sa.Column('verb', sqlmodel.sql.sqltypes.AutoString(
        length=40), nullable=False, server_default=''))


def downgrade() -> None:
    op.drop_column('meetingnote', 'verb')
    op.drop_column('meetingnote', 'section')
    op.drop_column('organisation', 'unit')
