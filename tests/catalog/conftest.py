"""Fixtures for the catalog: a temporary SQLite database and editable activity folders."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import make_engine, make_session_factory
from lti_tool.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
MINI_ACTIVITY = REPO / "tests" / "fixtures" / "activities" / "mini-activity"
TODAY = dt.date.today()


def write_activity(
    root: Path,
    *,
    release: dt.date = TODAY - dt.timedelta(days=30),
    expiration: dt.date = TODAY + dt.timedelta(days=300),
    name: str = "mini-activity",
    slug: str = "mini-activity",
    title: str | None = None,
) -> Path:
    """A copy of the mini activity under ``root/name`` with the given dates, slug, title."""
    target = root / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MINI_ACTIVITY, target)
    meta = target / "activity.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^release_date: .*$", f"release_date: {release.isoformat()}", text)
    text = re.sub(r"(?m)^expiration_date: .*$", f"expiration_date: {expiration.isoformat()}", text)
    text = re.sub(r"(?m)^slug: .*$", f"slug: {slug}", text)
    if title is not None:
        text = re.sub(r"(?m)^title: .*$", f"title: {title}", text)
    meta.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def activities(tmp_path: Path) -> Path:
    root = tmp_path / "activities"
    root.mkdir()
    write_activity(root)
    return root
