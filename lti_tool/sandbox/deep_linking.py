"""Deep Linking 2.0, platform side: receiving the tool's LtiDeepLinkingResponse.

https://www.imsglobal.org/spec/lti-dl/v2p0 §4.2 "Deep linking response message": the tool
auto-posts a form field ``JWT`` to the deep_link_return_url. The platform verifies the RS256
signature against the tool's JWKS, that iss = the tool's client_id, aud = the platform
issuer, a fresh nonce, the deployment_id, message_type, version, and that ``data`` echoes
the value sent in the request; then it creates what the content items describe (§3.1
``ltiResourceLink``, with an optional ``lineItem`` bound to the new resource link).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import LaunchError
from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import Course, DeepLinkReturn, LaunchHint, ToolRegistration, utcnow
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.sandbox import Sandbox, current_sandbox, request_db
from lti_tool.sandbox.seed import add_line_item, add_resource_link
from lti_tool.sandbox.tool_jwt import ToolJwtError, unverified_claims, verify_tool_jwt

bp = Blueprint("sandbox_deep_linking", __name__)


class Refused(Exception):
    """The deep linking response cannot be accepted."""


def _verify(
    sandbox: Sandbox, flavour: Flavour, token: str, course_lms_id: int
) -> tuple[ToolRegistration, LaunchHint, dict[str, Any]]:
    db = request_db()
    try:
        client_id = str(unverified_claims(token).get("iss", ""))
    except ToolJwtError as exc:
        raise Refused(str(exc)) from exc
    registration = db.scalar(
        select(ToolRegistration).where(
            ToolRegistration.flavour == flavour.name, ToolRegistration.client_id == client_id
        )
    )
    if registration is None:
        raise Refused(f"iss {client_id!r} is not the client_id of a tool registered here")
    # Moodle's return URL names the tool type it expects a response from.
    expected_type = request.args.get("id", type=int)
    if flavour.name == "moodle" and expected_type not in (None, registration.type_id):
        raise Refused("the response comes from another tool than the one the request went to")
    try:
        claims = verify_tool_jwt(
            token,
            jwks_uri=registration.jwks_uri,
            issuer=client_id,
            audience=sandbox.issuer(flavour),
            required=["iss", "aud", "exp", "iat", "nonce"],
            timeout=sandbox.settings.http_timeout,
            leeway=sandbox.settings.clock_leeway,
        )
    except ToolJwtError as exc:
        raise Refused(f"signature or registered claims refused: {exc}") from exc
    if claims.get(vocab.CLAIM_MESSAGE_TYPE) != vocab.DEEP_LINKING_RESPONSE:
        raise Refused(f"message_type must be {vocab.DEEP_LINKING_RESPONSE}")
    if claims.get(vocab.CLAIM_VERSION) != vocab.LTI_VERSION:
        raise Refused(f"version must be {vocab.LTI_VERSION}")
    if claims.get(vocab.CLAIM_DEPLOYMENT_ID) != registration.deployment_id:
        raise Refused(f"deployment_id must be {registration.deployment_id!r}")
    data = claims.get(vocab.CLAIM_DL_DATA)
    hint = db.scalar(select(LaunchHint).where(LaunchHint.deep_link_data == data)) if data else None
    if hint is None or hint.registration_id != registration.id:
        raise Refused("data does not echo the value of a deep linking request to this tool")
    if hint.course.lms_id != course_lms_id:
        raise Refused("the response is for a deep linking request from another course")
    if hint.expires_at <= utcnow():
        raise Refused("the deep linking request has expired")
    replayed = db.scalar(
        select(DeepLinkReturn.id).where(
            DeepLinkReturn.registration_id == registration.id,
            DeepLinkReturn.nonce == str(claims["nonce"]),
            DeepLinkReturn.accepted.is_(True),
        )
    )
    if replayed is not None:
        raise Refused("nonce was already used by an accepted deep linking response")
    return registration, hint, claims


def _place(
    flavour: Flavour, registration: ToolRegistration, course: Course, item: dict[str, Any]
) -> str:
    db = request_db()
    kind = item.get("type")
    if kind != "ltiResourceLink":
        return f"ignored a {kind!r} item: only ltiResourceLink was offered"
    title = str(item.get("title") or "Untitled activity")
    custom = item.get("custom") or {}
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        raise Refused("custom must be an object of strings")
    link = add_resource_link(
        db,
        flavour,
        registration,
        course,
        title=title,
        text=str(item.get("text") or ""),
        custom=custom,
        target_link_uri=item.get("url") or None,
        created_via="deep_link",
    )
    placed = f"resource link {link.resource_link_id!r} {title!r}"
    line_item = item.get("lineItem")
    if line_item is not None:
        if not isinstance(line_item, dict):
            raise Refused("lineItem must be an object")
        try:
            maximum = Decimal(str(line_item.get("scoreMaximum")))
        except InvalidOperation as exc:
            raise Refused("lineItem.scoreMaximum must be a number") from exc
        if not maximum.is_finite() or maximum <= 0:
            raise Refused("lineItem.scoreMaximum must be above 0")
        created = add_line_item(
            db,
            flavour,
            registration,
            course,
            label=str(line_item.get("label") or title),
            score_maximum=maximum,
            resource_link=link,
            resource_id=str(line_item.get("resourceId") or ""),
            tag=str(line_item.get("tag") or ""),
        )
        placed += f" with line item {created.lms_id} (max {maximum})"
    return placed


@bp.post("/canvas/courses/<int:course_lms_id>/deep_linking_response")
@bp.post("/moodle/mod/lti/contentitem_return.php")
def deep_linking_return(course_lms_id: int | None = None) -> tuple[str, int]:
    sandbox = current_sandbox()
    flavour = current_flavour()
    if course_lms_id is None:
        course_lms_id = request.args.get("course", type=int) or 0
    token = request.form.get("JWT", "")
    db = request_db()
    record = DeepLinkReturn(accepted=False, claims={}, placements=[], registration_id=None)
    with sandbox.write_lock:
        try:
            if not token:
                raise Refused("the form field JWT is missing")
            registration, hint, claims = _verify(sandbox, flavour, token, course_lms_id)
            record.registration_id, record.launch_hint_id = registration.id, hint.id
            record.nonce, record.claims = str(claims["nonce"]), claims
            items = claims.get(vocab.CLAIM_DL_CONTENT_ITEMS) or []
            if not isinstance(items, list):
                raise Refused("content_items must be an array")
            if len(items) > 1 and not hint.accept_multiple:
                raise Refused("several content items returned but accept_multiple was false")
            record.placements = [_place(flavour, registration, hint.course, item) for item in items]
            record.accepted = True
        except Refused as exc:
            db.rollback()
            record = DeepLinkReturn(
                accepted=False, error=str(exc), claims={}, placements=[], registration_id=None
            )
        db.add(record)
        db.commit()
    if not record.accepted:
        raise LaunchError("invalid_deep_linking_response", record.error or "refused")
    return (
        render_template(
            "sandbox/deep_link_placed.html",
            placements=record.placements,
            message=claims.get(vocab.CLAIM_DL_MSG),
            error_message=claims.get(vocab.CLAIM_DL_ERRORMSG),
            course=hint.course,
            flavour=flavour,
        ),
        200,
    )
