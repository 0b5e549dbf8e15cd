"""A starting web process builds its activities and compiles its templates before its
first request (``lti_tool.warm``), and starts whatever goes wrong there."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from lti_tool import create_app
from lti_tool.catalog import load_activities
from lti_tool.catalog.cache import forget_built, is_built
from lti_tool.catalog.service import current_versions
from lti_tool.db import open_database, transaction
from lti_tool.migrate import upgrade
from lti_tool.models import ActivityVersion
from lti_tool.warm import warm_up, web_templates
from tests.conftest import PROJECT_ROOT, Served, tool_settings_for


def _app_on(database_url: str, root: Path, **overrides: object) -> Flask:
    return create_app(tool_settings_for("http://127.0.0.1:9", database_url, root, **overrides))


def test_a_starting_worker_builds_every_current_activity_and_compiles_every_template(
    tool: Served, caplog: pytest.LogCaptureFixture
) -> None:
    services = tool.app.extensions["lti_tool"]
    with services.session_factory() as session:
        current = [version.content_hash for version in current_versions(session)]
    assert current
    forget_built()
    assert not any(is_built(content_hash) for content_hash in current)

    with caplog.at_level(logging.INFO, logger="lti_tool.warm"):
        activities, templates = warm_up(tool.app)

    assert "a specimen certificate rendered" in caplog.text
    assert activities == len(current)
    assert all(is_built(content_hash) for content_hash in current)
    assert templates == len(web_templates(tool.app))
    assert templates > 50
    # The pages' templates come from templates/, beside (not among) the certificates'.
    assert "journey/overview.html" in web_templates(tool.app)
    assert not any(name.startswith("certificates/") for name in web_templates(tool.app))


def test_a_version_whose_files_no_longer_match_is_logged_and_the_worker_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = f"sqlite:///{tmp_path / 'tool.sqlite3'}"
    upgrade(database_url)
    with open_database(database_url) as factory, transaction(factory) as session:
        load_activities(session, PROJECT_ROOT / "configs" / "activities")
        version = session.scalars(select(ActivityVersion)).first()
        assert version is not None
        files = dict(version.files)
        name = next(path for path in files if path.endswith(".md"))
        files[name] += "\nA sentence nobody reviewed.\n"
        version.files = files
    app = _app_on(database_url, tmp_path)
    forget_built()
    with caplog.at_level(logging.ERROR, logger="lti_tool.warm"):
        activities, templates = warm_up(app)
    app.extensions["lti_tool"].engine.dispose()
    assert activities == 0 and templates > 50
    assert "could not be built" in caplog.text and "hashes to" in caplog.text


def test_a_database_not_yet_migrated_is_logged_and_the_worker_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_on(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, warm_certificates=False)
    with caplog.at_level(logging.INFO, logger="lti_tool.warm"):
        activities, templates = warm_up(app)
    app.extensions["lti_tool"].engine.dispose()
    assert activities == 0 and templates > 50
    assert "database unavailable" in caplog.text
    assert "no certificate rendered" in caplog.text
