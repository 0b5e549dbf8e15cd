"""The manual setup page and docs/lms-setup.md give the exact values an LMS admin types."""

from __future__ import annotations

import requests

from lti_tool.config import PROJECT_ROOT
from tests.conftest import Served

FIXED_PATHS = ("/lti/login", "/lti/launch", "/.well-known/jwks.json", "/lti/register")


def test_setup_page_lists_the_values_for_a_manual_registration(console_tool: Served) -> None:
    page = requests.get(f"{console_tool.base_url}/lti/setup", timeout=10)

    assert page.status_code == 200
    table = page.text[page.text.index('id="setup-values"') :]
    for label in (
        "OpenID Connect login initiation URL",
        "Redirection URI(s)",
        "Public keyset URL (JWKS)",
        "Deep Linking",
        "Tool URL",
        "Services",
    ):
        assert label in table
    for path in FIXED_PATHS:
        assert f"{console_tool.base_url}{path}" in table
    assert "contextmembership.readonly" in table
    assert "lti-ags/scope/score" in table


def test_setup_guide_covers_each_lms_with_the_tools_urls() -> None:
    guide = (PROJECT_ROOT / "docs" / "lms-setup.md").read_text()

    for lms in ("Moodle", "Canvas", "Blackboard Learn", "D2L Brightspace", "Sakai"):
        assert f"## {lms}" in guide
    for path in (*FIXED_PATHS, "/lti/config/canvas.json", "/lti/setup"):
        assert path in guide
    assert "lti-tool platforms add" in guide
    assert "lti-tool platforms check" in guide
