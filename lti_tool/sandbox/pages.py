"""The sandbox's web pages: home, course (with the tool frame), gradebook, admin, return page.

The course page is the *platform frame* of LTI Client Side postMessages
(https://www.imsglobal.org/spec/lti-cs-pm/v0p1) and Platform Storage
(https://www.imsglobal.org/spec/lti-pm-s/v0p1): the tool runs in an iframe on another site and
the page answers its ``lti.capabilities``, ``lti.put_data`` / ``lti.get_data`` (and the legacy
``org.imsglobal.lti.*`` names), ``lti.frameResize`` and ``org.imsglobal.lti.close`` messages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from lti_tool.sandbox.flavours import FLAVOURS, Flavour
from lti_tool.sandbox.models import (
    Course,
    Enrollment,
    LineItem,
    Person,
    ResourceLink,
    Score,
    ToolRegistration,
)
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.sandbox import current_sandbox, request_db

bp = Blueprint("sandbox_pages", __name__)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _registrations(flavour: Flavour) -> list[ToolRegistration]:
    return list(
        request_db().scalars(
            select(ToolRegistration)
            .where(ToolRegistration.flavour == flavour.name)
            .order_by(ToolRegistration.id)
        )
    )


def _course(flavour: Flavour, course_lms_id: int) -> Course:
    course = request_db().scalar(
        select(Course).where(Course.flavour == flavour.name, Course.lms_id == course_lms_id)
    )
    if course is None:
        abort(404)
    return course


@bp.get("/")
def home() -> str:
    sandbox = current_sandbox()
    db = request_db()
    flavours = []
    for flavour in FLAVOURS.values():
        flavours.append(
            {
                "flavour": flavour,
                "issuer": sandbox.issuer(flavour),
                "root": sandbox.root(flavour),
                "courses": db.scalars(
                    select(Course).where(Course.flavour == flavour.name).order_by(Course.lms_id)
                ).all(),
                "registrations": _registrations(flavour),
            }
        )
    return render_template("sandbox/home.html", flavours=flavours, tool=sandbox.settings.tool)


@bp.get("/<any(canvas, moodle):flavour_name>/courses/<int:course_lms_id>")
def course_page(flavour_name: str, course_lms_id: int) -> str:
    flavour = current_flavour()
    course = _course(flavour, course_lms_id)
    db = request_db()
    enrollments = db.scalars(
        select(Enrollment)
        .join(Person)
        .where(Enrollment.course_id == course.id)
        .order_by(Person.lms_id)
    ).all()
    links = db.scalars(
        select(ResourceLink)
        .where(ResourceLink.course_id == course.id)
        .order_by(ResourceLink.lms_id)
    ).all()
    graded = {
        item.resource_link_id: item
        for item in db.scalars(select(LineItem).where(LineItem.course_id == course.id))
        if item.resource_link_id is not None
    }
    registrations = _registrations(flavour)
    origins = sorted(
        {_origin(reg.initiate_login_uri) for reg in registrations}
        | {_origin(uri) for reg in registrations for uri in reg.redirect_uris}
    )
    admin = db.scalar(
        select(Person).where(Person.flavour == flavour.name, Person.is_admin.is_(True))
    )
    return render_template(
        "sandbox/course.html",
        flavour=flavour,
        course=course,
        instructors=[e for e in enrollments if e.role in ("instructor", "ta")],
        learners=[e for e in enrollments if e.role == "learner"],
        links=links,
        graded=graded,
        registrations=registrations,
        tool_origins=origins,
        admin=admin,
    )


@bp.get("/<any(canvas, moodle):flavour_name>/courses/<int:course_lms_id>/gradebook")
def gradebook(flavour_name: str, course_lms_id: int) -> str:
    flavour = current_flavour()
    course = _course(flavour, course_lms_id)
    db = request_db()
    line_items = db.scalars(
        select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.lms_id)
    ).all()
    scores = {
        item.id: db.scalars(
            select(Score).where(Score.line_item_id == item.id).order_by(Score.id)
        ).all()
        for item in line_items
    }
    return render_template(
        "sandbox/gradebook.html",
        flavour=flavour,
        course=course,
        line_items=line_items,
        scores=scores,
    )


@bp.get("/<any(canvas, moodle):flavour_name>/admin")
def admin(flavour_name: str) -> str:
    sandbox = current_sandbox()
    flavour = current_flavour()
    tool = sandbox.settings.tool
    return render_template(
        "sandbox/admin.html",
        flavour=flavour,
        registrations=_registrations(flavour),
        default_registration_url=tool.registration_url if tool else "",
        platform={
            "issuer": sandbox.issuer(flavour),
            "auth_login_url": flavour.auth_login_url(sandbox.root(flavour)),
            "auth_token_url": flavour.token_url(sandbox.root(flavour)),
            "key_set_url": flavour.jwks_url(sandbox.root(flavour)),
            "openid_configuration": flavour.openid_configuration_url(sandbox.root(flavour)),
        },
    )


@bp.get("/canvas/courses/<int:course_lms_id>/external_content/success/external_tool_redirect")
@bp.get("/moodle/mod/lti/return.php")
def launch_return(course_lms_id: int | None = None) -> str:
    """launch_presentation.return_url: where a tool sends the user back, with lti_msg."""
    flavour = current_flavour()
    if course_lms_id is None:
        course_lms_id = request.args.get("course", type=int) or 0
    course = _course(flavour, course_lms_id)
    return render_template(
        "sandbox/returned.html",
        flavour=flavour,
        course=course,
        message=request.args.get("lti_msg"),
        error_message=request.args.get("lti_errormsg"),
    )
