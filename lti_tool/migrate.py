"""Running the Alembic migrations from code (``lti-tool db upgrade`` and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from lti_tool.config import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
