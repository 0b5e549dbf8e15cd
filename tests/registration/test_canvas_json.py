"""GET /lti/config/canvas.json: a developer-key configuration Canvas accepts as it is."""

from __future__ import annotations

import copy

import pytest
import requests

from lti_tool import protocol
from tests.conftest import Served
from tests.registration.canvas_schema import canvas_problems


@pytest.fixture
def canvas_json(console_tool: Served) -> dict[str, object]:
    response = requests.get(f"{console_tool.base_url}/lti/config/canvas.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document: dict[str, object] = response.json()
    return document


def test_canvas_json_meets_what_canvas_requires(canvas_json: dict[str, object]) -> None:
    assert canvas_problems(canvas_json) == []


def test_canvas_json_points_at_the_tools_fixed_urls(
    console_tool: Served, canvas_json: dict[str, object]
) -> None:
    base = console_tool.base_url
    assert canvas_json["oidc_initiation_url"] == f"{base}/lti/login"
    assert canvas_json["target_link_uri"] == f"{base}/lti/launch"
    assert canvas_json["public_jwk_url"] == f"{base}/.well-known/jwks.json"
    keys = requests.get(str(canvas_json["public_jwk_url"]), timeout=10).json()["keys"]
    assert keys and all(key["kty"] == "RSA" and key["alg"] == "RS256" for key in keys)


def test_canvas_json_asks_for_grades_roster_names_and_deep_linking_placements(
    canvas_json: dict[str, object],
) -> None:
    assert set(canvas_json["scopes"]) == set(protocol.TOOL_SCOPES)  # type: ignore[arg-type]
    extension = canvas_json["extensions"][0]  # type: ignore[index]
    assert extension["platform"] == "canvas.instructure.com"
    # Certificates carry the learner's name and go out by email.
    assert extension["privacy_level"] == "public"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {"link_selection", "assignment_selection"}
    assert {p["message_type"] for p in placements.values()} == {"LtiDeepLinkingRequest"}
    assert all(isinstance(value, str) for value in canvas_json["custom_fields"].values())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c.pop("title"), "title is required"),
        (lambda c: c.pop("public_jwk_url"), "public_jwk or public_jwk_url is required"),
        (lambda c: c.update(oidc_initiation_url="/lti/login"), "absolute http(s) URL"),
        (lambda c: c["scopes"].append("https://example.org/scope/all"), "not one Canvas allows"),
        (
            lambda c: c["extensions"][0]["settings"]["placements"][0].update(placement="sidebar"),
            "is not a Canvas placement",
        ),
        (
            lambda c: c["extensions"][0]["settings"]["placements"][0].update(
                message_type="LtiStartProctoring"
            ),
            "message_type 'LtiStartProctoring' is not allowed",
        ),
        (lambda c: c["extensions"][0].update(privacy_level="everything"), "privacy_level"),
        (lambda c: c["custom_fields"].update(count=3), "must be a string"),
    ],
)
def test_the_canvas_check_catches_what_canvas_would_refuse(
    canvas_json: dict[str, object], change: object, problem: str
) -> None:
    broken = copy.deepcopy(canvas_json)
    change(broken)  # type: ignore[operator]

    assert any(problem in found for found in canvas_problems(broken))
