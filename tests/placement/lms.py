"""The session's sandbox LMS and tool, as the placement and dashboard tests use them.

Built on the shared ``tool`` and ``sandbox`` fixtures (tests/conftest.py): the bundled
activities are loaded (plus the test fixture activity, so two are open), and the placement
and dashboard blueprints are registered on the served tool app when ``create_app`` has not
registered them already.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask

from lti_tool.catalog import load_activities
from lti_tool.config import PROJECT_ROOT
from lti_tool.extensions import ToolServices
from lti_tool.sandbox import platform_registration, sandbox_of
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.sandbox import Sandbox

ACTIVITY = "cervical-dystonia"
SECOND_ACTIVITY = "mini-activity"
FLAVOURS = ("canvas", "moodle")


@dataclass
class Lms:
    app: Flask
    base_url: str
    tool_base_url: str
    services: ToolServices

    @property
    def sandbox(self) -> Sandbox:
        return sandbox_of(self.app)

    def driver(self, flavour: str) -> SandboxDriver:
        return SandboxDriver(self.base_url, flavour)

    def issuer(self, flavour: str) -> str:
        return str(platform_registration(self.app, flavour)["issuer"])

    def client_id(self, flavour: str) -> str:
        """The tool's main registration with this flavour (other tests add more on the issuer)."""
        return str(platform_registration(self.app, flavour)["client_id"])

    def launch_claims(self, page_url: str) -> dict[str, Any]:
        """The id_token claims of the tool's launch behind a ``/a/<launch_token>/…`` URL."""
        token = urlsplit(page_url).path.split("/")[2]
        with self.services.session_factory() as session:
            claims: dict[str, Any] = self.services.tokens.restore(session, token).claims
        return claims

    def csrf_for(self, page_url: str) -> str:
        """The CSRF token a page of that launch would carry (for posts no page offered)."""
        token = urlsplit(page_url).path.split("/")[2]
        with self.services.session_factory() as session:
            launch_id = self.services.tokens.restore(session, token).launch.id
        return self.services.tokens.csrf_token(launch_id)


def prepared_lms(tool_app: Flask, tool_base_url: str, sandbox_app: Flask, sandbox_url: str) -> Lms:
    services: ToolServices = tool_app.extensions["lti_tool"]
    with services.session_factory.begin() as session:
        load_activities(session, PROJECT_ROOT / "configs" / "activities")
        load_activities(session, PROJECT_ROOT / "tests" / "fixtures" / "activities")
    return Lms(sandbox_app, sandbox_url, tool_base_url, services)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self._in_button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "input":
            self.inputs.append(attributes)
        elif tag == "button":
            self._in_button = {**attributes, "text": ""}
            self.buttons.append(self._in_button)

    def handle_data(self, data: str) -> None:
        if self._in_button is not None:
            self._in_button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = None


def inputs(html: str) -> list[dict[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


def buttons(html: str) -> list[dict[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.buttons


def csrf_of(html: str) -> str:
    return next(field["value"] for field in inputs(html) if field.get("name") == "csrf_token")


def launch_token_url(response: requests.Response) -> str:
    """The start of the launch's pages (``/a/<token>/``), from the tool's answer to the
    launch POST: the page the person lands on, whose address is its Content-Location."""
    location = response.headers.get("Content-Location") or response.headers["Location"]
    found = re.match(r"^((https?://[^/]+)?/a/[^/]+/)", location)
    assert found, location
    return found.group(1)
