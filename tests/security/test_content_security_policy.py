"""Issue 10, scenario 8: XSS protection must not rest on escaping alone.

Before, the policy was ``frame-ancestors …; object-src 'none'; base-uri 'self'``: no
``default-src``, no ``script-src``, so an injected ``<script>`` would have run. Now every
page of the tool sends a policy with a fresh nonce per response, and no page carries a
script or style element without it, nor an inline handler or style attribute.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import requests

from lti_tool.sandbox.driver import SandboxDriver
from tests.conftest import Sandbox, Served, launch
from tests.placement.conftest import lms  # noqa: F401  (fixture)
from tests.placement.lms import ACTIVITY, Lms
from tests.placement.test_deep_linking import DEEP_LINKING, choose, return_form


def directives(response: requests.Response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


class _Inline(HTMLParser):
    """Script and style elements and the attributes a CSP without 'unsafe-inline' blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style"):
            self.elements.append((tag, found))
        self.inline_attributes += [
            f"<{tag} {name}>" for name in found if name == "style" or name.startswith("on")
        ]


def assert_strict_policy(response: requests.Response) -> str:
    """The page's policy is strict and every script and style on it is allowed by it."""
    assert response.status_code < 500, response.text[:300]
    policy = directives(response)
    [nonce] = [v[len("'nonce-") : -1] for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonce) >= 16
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert "frame-ancestors" in policy
    assert not any("unsafe" in value for values in policy.values() for value in values)
    page = _Inline()
    page.feed(response.text)
    assert page.inline_attributes == [], response.url
    for tag, attrs in page.elements:
        src = attrs.get("src")
        allowed_by_src = tag == "script" and src is not None and src.startswith("/static/")
        assert allowed_by_src or attrs.get("nonce") == nonce, (response.url, tag, attrs)
    return nonce


def test_every_kind_of_page_sends_a_strict_policy_with_a_fresh_nonce(
    tool: Served, sandbox: Sandbox, canvas: SandboxDriver
) -> None:
    landed = launch(canvas, "learner02")
    browser: requests.Session = landed.session  # type: ignore[attr-defined]
    under_launch = landed.url.split("/activity/")[0]
    pages = [
        landed,
        browser.get(under_launch + "/certificates/transcript", timeout=10),
        requests.get(tool.base_url + "/", timeout=10),
        requests.get(tool.base_url + "/lti/setup", timeout=10),
        requests.get(tool.base_url + "/admin/login", timeout=10),
        requests.get(tool.base_url + "/certificates/verify/CD26-0000-0000-0000", timeout=10),
        requests.get(tool.base_url + "/no-such-page", timeout=10),
        requests.get(
            tool.base_url + "/lti/register",
            params={"openid_configuration": sandbox.base_url + "/nothing-here"},
            timeout=10,
        ),
    ]

    nonces = [assert_strict_policy(page) for page in pages]

    assert len(set(nonces)) == len(nonces)  # one per response, never reused
    assert directives(landed)["form-action"] == ["'self'"]
    assert directives(pages[4])["frame-ancestors"] == ["'none'"]


def test_an_injected_script_would_not_run(tool: Served) -> None:
    # What an escaping slip would let through carries no nonce: the policy blocks it.
    response = requests.get(tool.base_url + "/", timeout=10)
    policy = directives(response)

    assert "'unsafe-inline'" not in policy["script-src"]
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_\-]+'", policy["script-src"][1])


def test_deep_linking_pages_may_post_only_to_the_lms_return_url(lms: Lms) -> None:  # noqa: F811
    browser = requests.Session()
    picker = lms.driver("moodle").launch(
        browser, "instructor", message_type=DEEP_LINKING, accept_multiple=False
    )
    answer = choose(browser, picker, ACTIVITY)
    return_url = return_form(answer).action

    assert_strict_policy(picker)
    assert_strict_policy(answer)
    assert directives(answer)["form-action"] == ["'self'", return_url.split("?")[0]]
    assert '<script src="/static/deep_link_return.js"' in answer.text
