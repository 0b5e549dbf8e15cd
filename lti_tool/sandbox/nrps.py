"""Names and Role Provisioning Services 2.0, platform side: the course roster.

https://www.imsglobal.org/spec/lti-nrps/v2p0 — §2.2 membership container
(``application/vnd.ims.lti-nrps.v2.membershipcontainer+json``), §2.3 ``role`` filter,
§2.4 ``limit`` and the ``Link: <...>; rel="next"`` header, §3 ``rlid``.

- Canvas: ``/api/lti/courses/7/names_and_roles``; email only when the privacy level allows.
- Moodle: ``/mod/lti/services.php/CourseSection/2/bindings/1/memberships``. The path is
  case-sensitive: a client that lowercases the next-page URL (pylti1p3 2.0 does) gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.faults import service_endpoint
from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import Enrollment, Person, ResourceLink
from lti_tool.sandbox.paging import Page
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.service_io import ServiceCall, json_response, service_call

bp = Blueprint("sandbox_nrps", __name__)


def member_json(flavour: Flavour, enrollment: Enrollment) -> dict[str, Any]:
    person: Person = enrollment.person
    settings = current_sandbox().settings
    # NRPS lists context (membership) roles only, not institution or system roles.
    roles = [role for role in flavour.roles(enrollment.role) if "/membership" in role]
    member: dict[str, Any] = {
        "status": enrollment.status,
        "user_id": person.sub,
        "roles": roles,
        **flavour.identity_claims(person, settings),
    }
    legacy_id = flavour.legacy_user_id(person)
    if legacy_id is not None:
        member["lti11_legacy_user_id"] = legacy_id
    return member


def _memberships(call: ServiceCall) -> Response:
    db = request_db()
    rlid = request.args.get("rlid")
    if rlid is not None:
        known = db.scalar(
            select(ResourceLink.id).where(
                ResourceLink.course_id == call.course.id, ResourceLink.resource_link_id == rlid
            )
        )
        if known is None:
            raise ServiceError(
                call.flavour.name, f"Not Found: resource link {rlid} is not in this course", 404
            )
    enrollments = db.scalars(
        select(Enrollment)
        .join(Person)
        .where(Enrollment.course_id == call.course.id)
        .order_by(Person.lms_id)
    ).all()
    members = [member_json(call.flavour, enrollment) for enrollment in enrollments]
    role = request.args.get("role")
    if role:
        members = [member for member in members if role in member["roles"]]
    try:
        page = Page.requested(
            call.flavour, request.args, current_sandbox().settings.default_page_size
        )
    except ValueError as exc:
        raise ServiceError(call.flavour.name, str(exc), 400) from exc
    url = call.flavour.memberships_url(call.root, call.course, call.registration)
    filters = {key: request.args[key] for key in ("rlid", "role") if key in request.args}
    link = page.link_header(call.flavour, url, len(members), filters)
    body: dict[str, Any] = {
        "id": request.url,
        "context": {
            "id": call.course.context_id,
            "label": call.course.label,
            "title": call.course.title,
        },
        "members": page.slice(members),
    }
    return json_response(
        body, vocab.MEDIA_MEMBERSHIP_CONTAINER, headers={"Link": link} if link else None
    )


@bp.get("/canvas/api/lti/courses/<int:course_lms_id>/names_and_roles")
@service_endpoint
def canvas_memberships(course_lms_id: int) -> Response:
    return _memberships(service_call(course_lms_id, vocab.SCOPE_NRPS))


@bp.get(
    "/moodle/mod/lti/services.php/CourseSection/<int:course_lms_id>/bindings/<int:type_id>/memberships"
)
@service_endpoint
def moodle_memberships(course_lms_id: int, type_id: int) -> Response:
    call = service_call(course_lms_id, vocab.SCOPE_NRPS)
    if type_id != call.registration.type_id:
        raise ServiceError("moodle", "the binding does not match the calling tool", 403)
    return _memberships(call)
