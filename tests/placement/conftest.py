"""Fixtures: the session's sandbox LMS and tool, ready for placement."""

from __future__ import annotations

import pytest

from tests.conftest import Sandbox, Served

from .lms import Lms, prepared_lms


@pytest.fixture(scope="session")
def lms(tool: Served, sandbox: Sandbox) -> Lms:
    return prepared_lms(tool.app, tool.base_url, sandbox.app, sandbox.base_url)
