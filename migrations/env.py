"""Alembic environment: the URL comes from the tool's settings (LTI_TOOL_DATABASE_URL)."""

from __future__ import annotations

from alembic import context

import lti_tool.models  # noqa: F401  (registers every table)
from lti_tool.config import Settings
from lti_tool.db import Base, include_in_schema, make_engine

config = context.config


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_object=include_in_schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    # Batch mode: SQLite cannot ALTER most things, so Alembic copies the table.
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_in_schema,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
