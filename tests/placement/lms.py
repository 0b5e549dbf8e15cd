"""A sandbox LMS serving both flavours for the placement and dashboard tests.

Each instance gets its own Canvas issuer (Canvas's issuer is a constant, so two sandboxes
in one test session would otherwise claim the same registration in the tool's database).
The tool under test trusts both flavours, the bundled activities are loaded, and the
placement and dashboard blueprints are registered on the served tool app if ``create_app``
does not register them already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask

from lti_tool.catalog import load_activities
from lti_tool.config import PROJECT_ROOT
from lti_tool.extensions import ToolServices
from lti_tool.platforms import add_platform
from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    sandbox_of,
    serve_in_thread,
)
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


def wire_blueprints(app: Flask) -> None:
    from lti_tool.dashboard.views import bp as dashboard_bp
    from lti_tool.placement.views import bp as placement_bp

    for blueprint in (placement_bp, dashboard_bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)


@contextmanager
def running_lms(
    services: ToolServices, tool_app: Flask, tool_base_url: str, root: Path, name: str
) -> Iterator[Lms]:
    wire_blueprints(tool_app)
    app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:0",
            database_path=root / "sandbox.sqlite",
            keys_dir=root / "keys",
            tool=ToolSettings(tool_base_url),
            canvas_issuer=f"https://canvas-{name}.sandbox.test",
        )
    )
    base_url, stop = serve_in_thread(app, "127.0.0.1", 0)
    with services.session_factory.begin() as session:
        for flavour in FLAVOURS:
            platform = platform_registration(app, flavour)
            add_platform(
                session,
                issuer=platform["issuer"],
                client_id=platform["client_id"],
                auth_login_url=platform["auth_login_url"],
                auth_token_url=platform["auth_token_url"],
                key_set_url=platform["key_set_url"],
                deployment_ids=platform["deployment_ids"],
                name=f"Sandbox {flavour} ({name})",
                product_family=flavour,
            )
        load_activities(session, PROJECT_ROOT / "configs" / "activities")
        load_activities(session, PROJECT_ROOT / "tests" / "fixtures" / "activities")
    try:
        yield Lms(app, base_url, tool_base_url, services)
    finally:
        stop()


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
    """Where the tool sent the browser after the launch POST (``/a/<token>/``)."""
    location = response.headers["Location"]
    assert re.match(r"^(https?://[^/]+)?/a/[^/]+/$", location), location
    return location
