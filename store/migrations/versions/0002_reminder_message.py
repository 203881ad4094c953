"""a posted reminder remembers its message, so replies in its thread can be read

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:05:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sentreminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=False, server_default=''))
        batch_op.create_index('ix_sentreminder_message', ['channel', 'message_ts'])


def downgrade() -> None:
    with op.batch_alter_table('sentreminder', schema=None) as batch_op:
        batch_op.drop_index('ix_sentreminder_message')
        batch_op.drop_column('message_ts')
