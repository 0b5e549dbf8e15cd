"""Helpers for calling the sandbox's AGS/NRPS endpoints from tests, as a tool would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from lti_tool.sandbox import vocab
from lti_tool.sandbox.driver import SandboxDriver

from .standin_tool import StandInTool

MAIN_LINE_ITEM = {
    "canvas": "/canvas/api/lti/courses/7/line_items/31",
    "moodle": "/moodle/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1",
}
LINE_ITEMS = {
    "canvas": "/canvas/api/lti/courses/7/line_items",
    "moodle": "/moodle/mod/lti/services.php/2/lineitems?type_id=1",
}
MEMBERSHIPS = {
    "canvas": "/canvas/api/lti/courses/7/names_and_roles",
    "moodle": "/moodle/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
}


def with_segment(url: str, segment: str) -> str:
    path, sep, query = url.partition("?")
    return f"{path}/{segment}{sep}{query}"


class ToolClient:
    """A tool's service client: bearer token, User-Agent, the right media types."""

    def __init__(
        self, driver: SandboxDriver, standin: StandInTool, scopes: list[str] | None = None
    ) -> None:
        self.driver = driver
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "sandbox-tests"
        token = standin.access_token(driver.platform_registration(), scopes)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return self.driver.base_url + path if path.startswith("/") else path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=5, **kwargs)

    def post_json(self, path: str, body: Any, media_type: str, **kwargs: Any) -> requests.Response:
        headers = {"Content-Type": media_type, **kwargs.pop("headers", {})}
        return self.session.post(
            self.url(path), data=json.dumps(body), headers=headers, timeout=5, **kwargs
        )

    def post_score(
        self, line_item_url: str, body: dict[str, Any], **kwargs: Any
    ) -> requests.Response:
        return self.post_json(
            with_segment(line_item_url, "scores"), body, vocab.MEDIA_SCORE, **kwargs
        )


def sub_of(driver: SandboxDriver, username: str) -> str:
    """The LTI user id the sandbox uses for a seeded username."""
    form = driver.launch_form(requests.Session(), username)
    return str(form.claims["sub"])


def score(
    user_id: str, given: float | int | None = 80, *, at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": user_id,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": (at or datetime.now(UTC)).isoformat(),
        **extra,
    }
    if given is not None:
        body["scoreGiven"] = given
        body["scoreMaximum"] = 100
    return body


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
