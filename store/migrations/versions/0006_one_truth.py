"""one truth about the coalition: co-owners, next steps linked to their items, what the data
file last said of each item, and status from time

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-26 09:00:00

- `deadlineowner`: every owner organisation of a deadline, in order (the deadline's
  `owner_organisation_id` stays its first owner); filled from `owner_organisation_id`. A
  reference table: its writes bump the data version like the others' (triggers as in 0003).
- `entry_hash` on every table the data file fills: a sync leaves a row alone while its entry
  in the file is unchanged, so an edit made in Slack lasts until the file's entry changes.
- `deadline.from_meeting_id`: the meeting whose next steps include the item (filled for the
  action items made from minutes); `meetingnote.action_id`: a next step's action item.
- A meeting is upcoming or held by time alone: the stored status keeps the secretariat's mark
  only (planned, cancelled, postponed), so "held" becomes "planned".

Columns are added with plain ALTER TABLE (no table is recreated, so the data-version triggers
of 0003 stay as they are).
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None

HASHED = ('organisation', 'person', 'workstream', 'workstreamrole', 'meeting', 'agendaitem',
          'attendance', 'deadline')


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable foreign key column; SQLite takes it inline in ALTER TABLE ADD COLUMN."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(f'{target}.id'),
                                       nullable=True))


def upgrade() -> None:
    op.create_table('deadlineowner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('deadline_id', 'organisation_id')
    )
    op.create_index(op.f('ix_deadlineowner_deadline_id'), 'deadlineowner', ['deadline_id'],
                    unique=False)
    op.create_index(op.f('ix_deadlineowner_organisation_id'), 'deadlineowner',
                    ['organisation_id'], unique=False)
    op.execute("INSERT INTO deadlineowner (deadline_id, organisation_id, position) "
               "SELECT id, owner_organisation_id, 0 FROM deadline "
               "WHERE owner_organisation_id IS NOT NULL")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE CONSTRAINT TRIGGER data_version_deadlineowner "
                   "AFTER INSERT OR UPDATE OR DELETE ON deadlineowner "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                   "EXECUTE FUNCTION bump_data_version()")
        op.execute("CREATE TRIGGER data_version_deadlineowner_truncate AFTER TRUNCATE ON "
                   "deadlineowner FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
    else:
        for event in ('insert', 'update', 'delete'):
            op.execute(f"CREATE TRIGGER data_version_deadlineowner_{event} AFTER "
                       f"{event.upper()} ON deadlineowner BEGIN UPDATE dataversion "
                       f"SET number = number + 1; END")

    for table in HASHED:
        op.add_column(table, sa.Column('entry_hash', sa.String(length=32), nullable=False,
                                       server_default=''))
    _add_reference('deadline', 'from_meeting_id', 'meeting')
    _add_reference('meetingnote', 'action_id', 'deadline')
    op.add_column('meetingnote', sa.Column('due_text', sa.String(), nullable=False,
                                           server_default=''))
    op.execute("UPDATE deadline SET from_meeting_id = meeting_id "
               "WHERE origin = 'minutes' AND meeting_id IS NOT NULL")
    op.execute("UPDATE meeting SET status = 'planned' WHERE status = 'held'")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('meetingnote') as batch_op:
        batch_op.drop_column('action_id')
        batch_op.drop_column('due_text')
    for table in HASHED:
        op.drop_column(table, 'entry_hash')
    with op.batch_alter_table('deadline') as batch_op:  # SQLite: the table is recreated
        batch_op.drop_column('from_meeting_id')
    if sqlite:  # with its data-version triggers (0003)
        for event in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS data_version_deadline_{event}")
            op.execute(f"CREATE TRIGGER data_version_deadline_{event} AFTER {event.upper()} "
                       f"ON deadline BEGIN UPDATE dataversion SET number = number + 1; END")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER data_version_deadlineowner ON deadlineowner")
        op.execute("DROP TRIGGER data_version_deadlineowner_truncate ON deadlineowner")
    op.drop_index(op.f('ix_deadlineowner_organisation_id'), table_name='deadlineowner')
    op.drop_index(op.f('ix_deadlineowner_deadline_id'), table_name='deadlineowner')
    op.drop_table('deadlineowner')
