"""Test hooks under ``/_sandbox``: what the platform received, fault injection, and launch helpers.

Not part of any LTI specification; enabled by ``SandboxSettings.test_hooks``. The driver
(``lti_tool.sandbox.driver``) talks to these over HTTP so tests need only the sandbox URL.
``/_sandbox/<flavour>/sign`` signs arbitrary claims with the platform key, so forged-token
tests can build tokens the tool must refuse; it is why test hooks must stay off on any
sandbox reachable from other machines.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import select

from lti_tool.sandbox.dynamic_registration import new_registration_token
from lti_tool.sandbox.faults import FaultRule
from lti_tool.sandbox.flavours import flavour_named
from lti_tool.sandbox.launches import resolve_and_start
from lti_tool.sandbox.models import DeepLinkReturn, LineItem, Score, ToolRegistration
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.service_io import json_number
from lti_tool.sandbox.tools import platform_registration, register_tool

bp = Blueprint("sandbox_inspection", __name__, url_prefix="/_sandbox")


@bp.before_request
def only_when_enabled() -> None:
    if not current_sandbox().settings.test_hooks:
        abort(404)


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


@bp.errorhandler(LookupError)
@bp.errorhandler(ValueError)
def _refused(exc: Exception) -> tuple[Response, int]:
    return _bad_request(str(exc))


def score_json(score: Score) -> dict[str, Any]:
    line_item = score.line_item
    return {
        "seq": score.id,
        "flavour": line_item.flavour,
        "course": line_item.course.lms_id,
        "line_item": line_item.lms_id,
        "line_item_label": line_item.label,
        "user_id": score.user_id,
        "username": score.person.username,
        "score_given": None if score.score_given is None else str(score.score_given),
        "score_maximum": None if score.score_maximum is None else str(score.score_maximum),
        "activity_progress": score.activity_progress,
        "grading_progress": score.grading_progress,
        "comment": score.comment,
        "timestamp": score.timestamp,
        "received_at": score.received_at.isoformat(),
        "body": score.body,
    }


@bp.get("/scores")
def scores() -> Response:
    """Every score received, in arrival order; scores are strings (exact decimals)."""
    rows = request_db().scalars(select(Score).order_by(Score.id)).all()
    return jsonify([score_json(score) for score in rows])


@bp.get("/line_items")
def line_items() -> Response:
    rows = request_db().scalars(select(LineItem).order_by(LineItem.flavour, LineItem.lms_id)).all()
    return jsonify(
        [
            {
                "flavour": row.flavour,
                "course": row.course.lms_id,
                "id": row.lms_id,
                "label": row.label,
                "score_maximum": json_number(row.score_maximum),
                "resource_id": row.resource_id,
                "tag": row.tag,
                "resource_link_id": row.resource_link.resource_link_id
                if row.resource_link
                else None,
            }
            for row in rows
        ]
    )


@bp.get("/deep_links")
def deep_links() -> Response:
    rows = request_db().scalars(select(DeepLinkReturn).order_by(DeepLinkReturn.id)).all()
    return jsonify(
        [
            {
                "accepted": row.accepted,
                "error": row.error,
                "placements": row.placements,
                "claims": row.claims,
            }
            for row in rows
        ]
    )


@bp.get("/calls")
def calls() -> Response:
    return jsonify(current_sandbox().calls.since(request.args.get("since", 0, type=int)))


@bp.post("/reset")
def reset() -> Response:
    current_sandbox().reset()
    return jsonify(status="reset")


@bp.get("/faults")
def list_faults() -> Response:
    return jsonify(current_sandbox().faults.active())


@bp.post("/faults")
def add_faults() -> tuple[Response, int] | Response:
    payload = request.get_json(silent=True)
    rules = payload if isinstance(payload, list) else [payload]
    try:
        parsed = [FaultRule.from_json(rule) for rule in rules if isinstance(rule, dict)]
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    if len(parsed) != len(rules):
        return _bad_request("send a fault object or a list of them")
    for rule in parsed:
        current_sandbox().faults.add(rule)
    return jsonify(current_sandbox().faults.active()), 201


@bp.delete("/faults")
def clear_faults() -> Response:
    current_sandbox().faults.clear()
    return jsonify([])


@bp.post("/<flavour_name>/launches")
def start_launch(flavour_name: str) -> tuple[Response, int] | Response:
    """Start a launch without the course page: returns the tool login URL and its params."""
    sandbox = current_sandbox()
    spec = request.get_json(silent=True) or {}
    allowed = {
        "user",
        "role",
        "course",
        "resource_link_id",
        "message_type",
        "custom",
        "with_storage_target",
        "accept_multiple",
        "client_id",
    }
    if not isinstance(spec, dict) or "user" not in spec or set(spec) - allowed:
        return _bad_request(f"give 'user' and only these fields: {sorted(allowed)}")
    db = request_db()
    try:
        flavour = flavour_named(flavour_name)
        initiation = resolve_and_start(db, sandbox, flavour, **spec)
    except (LookupError, ValueError) as exc:
        return _bad_request(str(exc))
    db.commit()
    return jsonify(
        login_url=initiation.login_url, params=initiation.params, hint_id=initiation.hint_id
    )


@bp.post("/<flavour_name>/sign")
def sign(flavour_name: str) -> tuple[Response, int] | Response:
    payload = request.get_json(silent=True) or {}
    if not isinstance(payload.get("claims"), dict):
        return _bad_request("give claims as an object (and optionally headers)")
    flavour_named(flavour_name)
    token = current_sandbox().key.sign(payload["claims"], payload.get("headers") or None)
    return jsonify(jwt=token, kid=current_sandbox().key.kid)


@bp.get("/<flavour_name>/platform")
def platform(flavour_name: str) -> tuple[Response, int] | Response:
    try:
        return jsonify(
            platform_registration(current_sandbox(), flavour_name, request.args.get("client_id"))
        )
    except (LookupError, ValueError) as exc:
        return _bad_request(str(exc))


@bp.get("/<flavour_name>/tools")
def list_tools(flavour_name: str) -> Response:
    rows = (
        request_db()
        .scalars(
            select(ToolRegistration)
            .where(ToolRegistration.flavour == flavour_name)
            .order_by(ToolRegistration.id)
        )
        .all()
    )
    return jsonify(
        [
            {
                "client_id": row.client_id,
                "deployment_id": row.deployment_id,
                "name": row.name,
                "scopes": row.scopes,
                "primary": row.is_primary,
                "created_via": row.created_via,
            }
            for row in rows
        ]
    )


@bp.post("/<flavour_name>/tools")
def add_tool(flavour_name: str) -> tuple[Response, int]:
    """register_tool over HTTP, for a sandbox running in another process."""
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict):
        return _bad_request("give the register_tool keyword arguments as an object")
    # Over HTTP a registration adds a tool unless it says it replaces the primary one.
    spec.setdefault("primary", False)
    try:
        registered = register_tool(current_sandbox(), flavour_name, **spec)
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    details = platform_registration(current_sandbox(), flavour_name, registered.client_id)
    return jsonify(details), 201


@bp.post("/<flavour_name>/registration_tokens")
def add_registration_token(flavour_name: str) -> tuple[Response, int]:
    """A one-time Dynamic Registration token, as the admin page would create.

    ``{"update_client_id": …}`` makes it Moodle's "Update" of that tool.
    """
    sandbox = current_sandbox()
    flavour = flavour_named(flavour_name)
    spec = request.get_json(silent=True) or {}
    updates = None
    if isinstance(spec, dict) and spec.get("update_client_id"):
        updates = request_db().scalar(
            select(ToolRegistration).where(
                ToolRegistration.flavour == flavour.name,
                ToolRegistration.client_id == str(spec["update_client_id"]),
            )
        )
        if updates is None:
            return _bad_request(f"no tool with client_id {spec['update_client_id']!r}")
    token = new_registration_token(sandbox, flavour, updates)
    return (
        jsonify(
            registration_token=token.token,
            openid_configuration=flavour.openid_configuration_url(sandbox.root(flavour)),
            expires_at=token.expires_at.isoformat(),
        ),
        201,
    )
