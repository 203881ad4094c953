"""a delivery keeps the copy it was sent from, and when its error happened

Revision ID: 0009
Revises: 0008 (given as 0004 on 0003; renumbered after main's 0006, 0007 and 0008)
Create Date: 2026-11-26 09:00:00

"View in browser" shows the message that was sent: each delivery names the DigestCopy it was
rendered from (the content without the reader's name and address, and the subject; one row per
distinct content). An ambiguous, failed or deferred delivery records when its reason was seen.
Plain `add_column`: digestdelivery is not a versioned table, and nothing is recreated.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import store.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digestcopy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.add_column('digestdelivery', sa.Column(
        'error_at', store.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('digestdelivery', sa.Column(
        'copy_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
        server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('digestdelivery', schema=None) as batch_op:
        batch_op.drop_column('copy_key')
        batch_op.drop_column('error_at')
    op.drop_table('digestcopy')
