"""feed entries keep their content beside their summary, and when they were last seen

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 09:00:00

`content_html` is the entry's full text (the summary stays the digest's snippet);
`seen_at` is the last poll that found the entry in its feed, which the identity window reads
(an entry whose GUID changed is recognised by its link among the entries seen lately).
Failures were shown as `warning`: a feed that failed is now `error` (or `failing`), and
`warning` means parsed with a warning.
"""

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain add_column: feedentry is not a versioned table, and nothing is recreated
    op.add_column('feedentry', sa.Column('content_html', sa.Text(), nullable=False,
                                         server_default=''))
    op.add_column('feedentry', sa.Column('seen_at', store.types.UTCDateTime(timezone=True),
                                         nullable=True))
    op.execute("UPDATE feedentry SET seen_at = COALESCE(updated_at, first_seen_at)")
    op.execute("UPDATE feed SET status = 'error' WHERE status = 'warning' AND error_count > 0")


def downgrade() -> None:
    op.execute("UPDATE feed SET status = 'warning' WHERE status = 'error'")
    with op.batch_alter_table('feedentry', schema=None) as batch_op:
        batch_op.drop_column('seen_at')
        batch_op.drop_column('content_html')
