"""Issue 10 scenario 1: registering under an LMS's issuer through an open redirect.

The LMS (a real server on loopback) has an open redirect. The attacker hands the tool's
``/lti/register`` the LMS's redirect URL, which sends the tool on to the attacker's own
configuration claiming ``issuer = <the LMS>``. The tool compared the issuer with the URL it
was *asked* to fetch, followed the redirect to the other site, and registered the attacker's
key set under the LMS's issuer. Now a redirect to another origin is refused: a clear page,
and nothing registered or sent to the attacker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote

import pytest

from lti_tool.extensions import ToolServices
from lti_tool.sandbox.forms import parse_forms
from tests.conftest import Served
from tests.registration.fixtures import serve_briefly
from tests.registration.flows import open_registration, registrations_of
from tests.registration.rogue import RoguePlatform


class OpenRedirect:
    """The LMS's site: /goto?url=… redirects anywhere (a login page's "next", say)."""

    def __init__(self) -> None:
        self.hits = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.hits += 1
        target = parse_qs(environ.get("QUERY_STRING", "")).get("url", ["/"])[0]
        start_response("302 Found", [("Location", target)])
        return [b""]


@pytest.fixture
def lms_site() -> Iterator[tuple[OpenRedirect, Served]]:
    redirect = OpenRedirect()
    served = serve_briefly("localhost", lambda _base_url: redirect)
    yield redirect, served
    served.stop()


@pytest.fixture
def attacker() -> Iterator[RoguePlatform]:
    platform = RoguePlatform()

    def build(base_url: str) -> Any:
        platform.base_url = base_url
        return platform.app

    served = serve_briefly("127.0.0.1", build)
    yield platform
    served.stop()


def test_a_configuration_url_that_redirects_to_another_site_registers_nothing(
    tool: Served,
    tool_services: ToolServices,
    lms_site: tuple[OpenRedirect, Served],
    attacker: RoguePlatform,
) -> None:
    redirect, lms = lms_site
    # The attacker's configuration names the LMS as its issuer; every endpoint is its own.
    attacker.configuration_changes = {"issuer": lms.base_url}
    url = f"{lms.base_url}/goto?url={quote(attacker.configuration_url, safe='')}"

    page = open_registration(
        tool.base_url, {"openid_configuration": url, "registration_token": "stolen"}
    )

    assert redirect.hits == 1
    assert page.status_code == 502, page.text[:500]
    assert "leads to another site" in page.text
    assert "redirected to another site" in page.text
    assert "Nothing was registered" in page.text
    assert registrations_of(tool_services, lms.base_url) == 0
    assert attacker.registrations == []
    # Nothing to press: no review form was issued for this configuration.
    assert not [form for form in parse_forms(page.text, page.url) if "/lti/register" in form.action]


def test_a_redirect_within_the_lms_site_is_still_followed(
    tool: Served,
    tool_services: ToolServices,
    attacker: RoguePlatform,
) -> None:
    # The rogue platform is honest here: it moved its configuration within its own site.
    attacker.app.add_url_rule(
        "/old-config",
        "old_config",
        lambda: ("", 301, {"Location": "/.well-known/openid-configuration"}),
    )
    page = open_registration(
        tool.base_url,
        {"openid_configuration": attacker.base_url + "/old-config", "registration_token": "t"},
    )
    assert page.status_code == 200, page.text[:500]
    assert registrations_of(tool_services, attacker.base_url) == 0  # only reviewed yet
