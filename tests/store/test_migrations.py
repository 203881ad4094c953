from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import store.models  # noqa: F401
from store.migrate import current_revision, head_revision, is_current, scripts_head


def test_migrations_build_exactly_the_models_schema(engine):
    assert is_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], "models changed without a migration: write one in store/migrations"
    assert head_revision() is not None


def test_head_is_the_newest_migration_and_the_revision_is_read_as_alembic_does(engine):
    assert head_revision() == scripts_head(), "a new migration: set store.migrate.HEAD to it"
    with engine.connect() as conn:
        assert current_revision(engine) == \
            MigrationContext.configure(conn).get_current_revision() == head_revision()


def test_an_empty_store_has_no_revision(tmp_path):
    from store.engine import make_engine

    assert current_revision(make_engine(f"sqlite:///{tmp_path}/empty.db")) is None
