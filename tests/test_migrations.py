"""The Alembic migrations build exactly the schema the models declare, on SQLite and on
PostgreSQL (the session's database was created by ``lti-tool db upgrade``'s code)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import lti_tool.models  # noqa: F401  (every table on the metadata)
import lti_tool.pii  # noqa: F401
from lti_tool.db import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
