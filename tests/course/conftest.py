"""Fixtures for the CME domain core: the mini activity on disk, and editable copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lti_tool.course import Activity, load_activity

REPO = Path(__file__).resolve().parents[2]
MINI_ACTIVITY = REPO / "tests" / "fixtures" / "activities" / "mini-activity"
CERVICAL_DYSTONIA = REPO / "configs" / "activities" / "cervical-dystonia"

# Inside the mini activity's window (released 2026-01-01, expires 2027-12-31).
DURING = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def during() -> datetime:
    return DURING


@pytest.fixture
def mini_path() -> Path:
    return MINI_ACTIVITY


@pytest.fixture
def cervical_dystonia_path() -> Path:
    return CERVICAL_DYSTONIA


@pytest.fixture
def mini() -> Activity:
    return load_activity(MINI_ACTIVITY)


@pytest.fixture
def activity_copy(tmp_path: Path) -> Path:
    """A private copy of the mini activity folder that a test may edit."""
    target = tmp_path / "mini-activity"
    shutil.copytree(MINI_ACTIVITY, target)
    return target


@pytest.fixture
def edit(activity_copy: Path) -> Callable[[str, str, str], None]:
    """Replace one exact snippet in a file of the copy; fails loudly if the snippet is absent."""

    def replace(file: str, old: str, new: str) -> None:
        path = activity_copy / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return replace


@pytest.fixture
def line_of(activity_copy: Path) -> Callable[[str, str], int]:
    """1-based number of the line of ``file`` (in the copy) that contains ``snippet``."""

    def find(file: str, snippet: str) -> int:
        lines = (activity_copy / file).read_text(encoding="utf-8").splitlines()
        matches = [n for n, line in enumerate(lines, start=1) if snippet in line]
        assert matches, f"{snippet!r} not in {file}"
        return matches[0]

    return find
