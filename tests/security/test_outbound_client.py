"""The one platform HTTP client (lti_tool.outbound): addresses, redirects, sizes, time.

Real servers on loopback play the platforms. Production's address rule is checked on the
addresses a name resolves to when the connection is made, so a name that resolved to a
public address when first looked at and to a private one a moment later (DNS rebinding)
still reaches nothing: that one case replaces the resolver, since no real DNS answers
differently on demand here.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lti_tool.config import Settings
from lti_tool.extensions import outbound_policy
from lti_tool.outbound import (
    AddressRefused,
    OutboundPolicy,
    PlatformHttp,
    RedirectRefused,
    ResponseTooLarge,
    is_public_address,
    is_service_url,
    service_origins,
)
from tests.conftest import Served, serve

PRODUCTION = OutboundPolicy(connect_timeout=1, read_timeout=1)
DEVELOPMENT = OutboundPolicy(connect_timeout=1, read_timeout=1, allow_private_addresses=True)


class Platform:
    """Counts requests; /json answers, /big is large, /drip is slow, /to?u= redirects."""

    def __init__(self) -> None:
        self.hits: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        self.hits.append(path)
        if path == "/to":
            target = environ["QUERY_STRING"].removeprefix("u=")
            start_response("302 Found", [("Location", target)])
            return [b""]
        if path == "/big":
            start_response("200 OK", [("Content-Type", "application/json")])
            return iter([b"[" + b"1," * 4000 + b"1]"])  # no Content-Length: streamed
        if path == "/drip":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return _drip()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"keys": []}']


def _drip() -> Iterator[bytes]:
    for _ in range(30):
        time.sleep(0.1)
        yield b"x"


@pytest.fixture
def platform() -> Iterator[tuple[Platform, Served]]:
    app = Platform()
    served = serve("127.0.0.1", lambda _base_url: app)
    yield app, served
    served.stop()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "10.1.2.3", "192.168.0.10", "169.254.169.254",
     "100.64.0.1", "0.0.0.0", "[::ffff:127.0.0.1]", "[fe80::1]", "[fc00::1]"],
)  # fmt: skip
def test_production_refuses_private_and_local_addresses(host: str) -> None:
    with pytest.raises(AddressRefused, match="private or local address"):
        PlatformHttp(PRODUCTION).get(f"http://{host}:9/.well-known/jwks.json")


def test_production_sends_nothing_to_a_listening_loopback_server(
    platform: tuple[Platform, Served],
) -> None:
    app, served = platform
    port = served.base_url.rsplit(":", 1)[1]
    for url in (served.base_url + "/json", f"http://localhost:{port}/json"):
        with pytest.raises(AddressRefused):
            PlatformHttp(PRODUCTION).get(url)
    assert app.hits == []
    # The same call in development (the sandbox LMS lives on localhost) goes through.
    assert PlatformHttp(DEVELOPMENT).get(served.base_url + "/json").json() == {"keys": []}
    assert app.hits == ["/json"]


def test_the_address_rule_applies_to_what_the_name_resolves_to_when_connecting(
    platform: tuple[Platform, Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, served = platform
    port = int(served.base_url.rsplit(":", 1)[1])
    answers = iter(["93.184.215.14", "127.0.0.1"])  # public when checked, then rebound
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "lms.rebind.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert is_public_address(socket.getaddrinfo("lms.rebind.test", port)[0][4][0])
    with pytest.raises(AddressRefused, match="127.0.0.1"):
        PlatformHttp(PRODUCTION).get(f"http://lms.rebind.test:{port}/json")
    assert app.hits == []


def test_a_redirect_to_another_origin_is_refused_and_not_followed(
    platform: tuple[Platform, Served],
) -> None:
    app, served = platform
    port = served.base_url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}/json"  # same server, another origin
    with pytest.raises(RedirectRefused, match="redirected to another site"):
        PlatformHttp(DEVELOPMENT).get(f"{served.base_url}/to?u={elsewhere}")
    assert app.hits == ["/to"]
    same_site = PlatformHttp(DEVELOPMENT).get(f"{served.base_url}/to?u=/json")
    assert same_site.json() == {"keys": []}


def test_an_answer_over_the_size_cap_is_refused(platform: tuple[Platform, Served]) -> None:
    _app, served = platform
    small = OutboundPolicy(read_timeout=2, max_response_bytes=1000, allow_private_addresses=True)
    with pytest.raises(ResponseTooLarge):
        PlatformHttp(small).get(served.base_url + "/big")
    assert len(PlatformHttp(DEVELOPMENT).get(served.base_url + "/big").content) == 8003


def test_a_dripping_answer_is_cut_at_the_read_deadline(platform: tuple[Platform, Served]) -> None:
    _app, served = platform
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        PlatformHttp(DEVELOPMENT).get(served.base_url + "/drip", timeout=30)
    assert time.monotonic() - started < 2.5  # 3 s of dripping, cut after about 1


def test_private_addresses_are_refused_by_default_in_production_only() -> None:
    production = Settings(
        env="production",
        database_url="postgresql+psycopg://db/tool",
        base_url="https://tool.example.org",
        secret_key="x" * 40,
        sandbox_enabled=False,
    ).resolved()
    assert outbound_policy(production).allow_private_addresses is False
    development = Settings(secret_key="dev-secret").resolved()
    assert outbound_policy(development).allow_private_addresses is True
    on_campus = Settings(
        env="production",
        database_url="postgresql+psycopg://db/tool",
        base_url="https://tool.example.org",
        secret_key="x" * 40,
        sandbox_enabled=False,
        allow_private_addresses=True,
    ).resolved()
    assert outbound_policy(on_campus).allow_private_addresses is True


def test_private_addresses_setting_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("LTI_TOOL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("LTI_TOOL_ALLOW_PRIVATE_ADDRESSES", "false")
    assert Settings.from_env().allow_private_addresses is False
    monkeypatch.delenv("LTI_TOOL_ALLOW_PRIVATE_ADDRESSES")
    assert Settings.from_env().allow_private_addresses is True  # development default


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://moodle.example.edu/mod/lti/services.php/2/lineitems", True),
        ("https://moodle.example.edu:443/mod/lti/services.php/2/lineitems", True),
        ("http://moodle.example.edu/mod/lti/services.php/2/lineitems", False),
        ("https://moodle.example.edu.evil.test/lineitems", False),
        ("https://evil.test/lineitems", False),
        ("javascript:alert(1)", False),
    ],
)
def test_service_urls_must_share_an_origin_with_the_registration(url: str, allowed: bool) -> None:
    origins = service_origins(
        "https://moodle.example.edu",
        "https://moodle.example.edu/mod/lti/token.php",
        "https://moodle.example.edu/mod/lti/certs.php",
    )
    assert is_service_url(url, origins) is allowed


def test_instructure_hosted_canvas_services_live_on_the_schools_host() -> None:
    origins = service_origins(
        "https://canvas.instructure.com",
        "https://sso.canvaslms.com/login/oauth2/token",
        "https://sso.canvaslms.com/api/lti/security/jwks",
    )
    assert is_service_url("https://school.instructure.com/api/lti/courses/1/line_items", origins)
    assert not is_service_url("https://evil.test/api/lti/courses/1/line_items", origins)
    self_hosted = service_origins(
        "https://canvas.school.edu", "https://canvas.school.edu/login/oauth2/token", ""
    )
    assert not is_service_url("https://school.instructure.com/api/lti/x", self_hosted)


def test_nothing_waits_on_a_server_that_never_answers() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            PlatformHttp(DEVELOPMENT).get(f"http://127.0.0.1:{port}/", timeout=60)
        assert time.monotonic() - started < 3
    finally:
        listener.close()
