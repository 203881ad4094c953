from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import store.models  # noqa: F401
from store.migrate import head_revision, is_current


def test_migrations_build_exactly_the_models_schema(engine):
    assert is_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], "models changed without a migration: write one in store/migrations"
    assert head_revision() is not None
