"""Fixtures: a sandbox LMS (both flavours) trusted by the session's tool server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lti_tool.extensions import ToolServices

from .lms import Lms, running_lms


@pytest.fixture(scope="session")
def lms(
    tool, tool_services: ToolServices, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lms]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("placement-lms")
    with running_lms(tool_services, tool.app, tool.base_url, root, "placement") as running:
        yield running
