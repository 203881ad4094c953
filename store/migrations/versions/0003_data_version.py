"""data version: a number the database bumps whenever the reference data changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:00:00

The chat answers read organisations, people, work streams and their roles, meetings, agenda
items, attendance and deadlines; a process may keep an answer in memory only while this number
has not moved. Triggers bump it in the writing transaction itself, so every writer (the bot,
the worker, the CLI, another host on the same PostgreSQL, plain SQL) is seen.

SQLite: a row trigger per table and statement kind (writers are serialised by SQLite anyway).
PostgreSQL: deferred constraint triggers, so that the row is updated at commit, once per
transaction, and its lock is held for the commit only: writers do not queue on it for the
length of their transactions, nor deadlock over it.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('organisation', 'person', 'workstream', 'workstreamrole', 'meeting', 'agendaitem',
          'attendance', 'deadline')
EVENTS = ('insert', 'update', 'delete')

PG_FUNCTION = """
CREATE FUNCTION bump_data_version() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF current_setting('coalition.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE dataversion SET number = number + 1;
        PERFORM set_config('coalition.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table('dataversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO dataversion (id, number) VALUES (1, 1)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE CONSTRAINT TRIGGER data_version_{table} "
                       f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                       f"EXECUTE FUNCTION bump_data_version()")
            op.execute(f"CREATE TRIGGER data_version_{table}_truncate AFTER TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"CREATE TRIGGER data_version_{table}_{event} AFTER {event.upper()} "
                       f"ON {table} BEGIN UPDATE dataversion SET number = number + 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER data_version_{table} ON {table}")
            op.execute(f"DROP TRIGGER data_version_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION bump_data_version()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER data_version_{table}_{event}")
    op.drop_table('dataversion')
