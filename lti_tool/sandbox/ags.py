"""Assignment and Grade Services 2.0, platform side: the line item service.

https://www.imsglobal.org/spec/lti-ags/v2p0 §3.2: container GET (filters resource_link_id,
resource_id, tag; paging with ``limit``) and POST; line item GET, PUT and DELETE. Also the
checks every AGS call shares (bearer scopes, course, owning tool); scores and results are in
``ags_scores``.

URL shapes follow each LMS:
- Canvas: ``/api/lti/courses/7/line_items/31``; errors as Canvas JSON bodies.
- Moodle: ``/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1``: the tool type travels
  in the query string, so sub-resources go before the ``?``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.faults import service_endpoint
from lti_tool.sandbox.models import LineItem, ResourceLink, Score
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.paging import Page
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.seed import add_line_item
from lti_tool.sandbox.service_io import (
    ServiceCall,
    json_number,
    json_response,
    parse_timestamp,
    read_json_object,
    service_call,
)

bp = Blueprint("sandbox_ags", __name__)

CANVAS_CONTAINER = "/canvas/api/lti/courses/<int:course_lms_id>/line_items"
CANVAS_ITEM = CANVAS_CONTAINER + "/<int:item_lms_id>"
MOODLE_CONTAINER = "/moodle/mod/lti/services.php/<int:course_lms_id>/lineitems"
MOODLE_ITEM = MOODLE_CONTAINER + "/<int:item_lms_id>/lineitem"

READ_SCOPES = (vocab.SCOPE_LINEITEM, vocab.SCOPE_LINEITEM_READONLY)


def moodle_type_id_check() -> None:
    """Moodle: ``type_id`` travels in the query string of every AGS URL."""
    if current_flavour().name != "moodle":
        return
    type_id = request.args.get("type_id")
    if type_id is None:
        raise ServiceError("moodle", "type_id is required on Moodle service URLs", 403)
    if not type_id.isdigit():
        # A tool that appends /scores after the query string produces
        # `...lineitem?type_id=1/scores`: Moodle has no handler for that.
        raise ServiceError("moodle", f"No handler found for {request.full_path}", 404)


def ags_call(course_lms_id: int, *scopes: str) -> ServiceCall:
    moodle_type_id_check()
    call = service_call(course_lms_id, *scopes)
    if call.flavour.name == "moodle" and request.args["type_id"] != str(call.registration.type_id):
        raise ServiceError("moodle", "type_id does not match the calling tool", 403)
    return call


def find_line_item(call: ServiceCall, item_lms_id: int) -> LineItem:
    line_item = request_db().scalar(
        select(LineItem).where(
            LineItem.flavour == call.flavour.name,
            LineItem.lms_id == item_lms_id,
            LineItem.course_id == call.course.id,
        )
    )
    if line_item is None:
        raise ServiceError(
            call.flavour.name, f"Not Found: Line item {item_lms_id} doesn't exist.", 404
        )
    if line_item.registration_id != call.registration.id:
        # Line items belong to the tool that created them (Canvas: developer key;
        # Moodle: tool type); another tool cannot see them.
        raise ServiceError(call.flavour.name, "Line item does not belong to this tool.", 403)
    return line_item


def line_item_url(call: ServiceCall, line_item: LineItem) -> str:
    return call.flavour.line_item_url(call.root, call.course, line_item, call.registration)


def line_item_json(call: ServiceCall, line_item: LineItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": line_item_url(call, line_item),
        "scoreMaximum": json_number(line_item.score_maximum),
        "label": line_item.label,
        "resourceId": line_item.resource_id,
        "tag": line_item.tag,
    }
    if line_item.resource_link is not None:
        data["resourceLinkId"] = line_item.resource_link.resource_link_id
    if line_item.start_date_time:
        data["startDateTime"] = line_item.start_date_time
    if line_item.end_date_time:
        data["endDateTime"] = line_item.end_date_time
    return data


def requested_page(call: ServiceCall) -> Page:
    try:
        return Page.requested(
            call.flavour, request.args, current_sandbox().settings.default_page_size
        )
    except ValueError as exc:
        raise ServiceError(call.flavour.name, str(exc), 400) from exc


@bp.get(CANVAS_CONTAINER)
@bp.get(MOODLE_CONTAINER)
@service_endpoint
def list_line_items(course_lms_id: int) -> Response:
    call = ags_call(course_lms_id, *READ_SCOPES)
    query = (
        select(LineItem)
        .where(
            LineItem.course_id == call.course.id, LineItem.registration_id == call.registration.id
        )
        .order_by(LineItem.lms_id)
    )
    if "resource_link_id" in request.args:
        query = query.join(ResourceLink, LineItem.resource_link_id == ResourceLink.id).where(
            ResourceLink.resource_link_id == request.args["resource_link_id"]
        )
    if "resource_id" in request.args:
        query = query.where(LineItem.resource_id == request.args["resource_id"])
    if "tag" in request.args:
        query = query.where(LineItem.tag == request.args["tag"])
    items = request_db().scalars(query).all()
    page = requested_page(call)
    filters = {
        k: request.args[k] for k in ("resource_link_id", "resource_id", "tag") if k in request.args
    }
    base = call.flavour.line_items_url(call.root, call.course, call.registration)
    link = page.link_header(call.flavour, base, len(items), filters)
    return json_response(
        [line_item_json(call, item) for item in page.slice(items)],
        vocab.MEDIA_LINEITEM_CONTAINER,
        headers={"Link": link} if link else None,
    )


def _validated_line_item_fields(
    call: ServiceCall, body: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    name = call.flavour.name
    fields: dict[str, Any] = {}
    if "label" in body or creating:
        label = body.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ServiceError(name, "label is required and must be a non-empty string", 400)
        fields["label"] = label
    if "scoreMaximum" in body or creating:
        maximum = body.get("scoreMaximum")
        if not isinstance(maximum, Decimal) or maximum <= 0:
            raise ServiceError(name, "scoreMaximum is required and must be a number above 0", 400)
        fields["score_maximum"] = maximum
    for key, column in (("resourceId", "resource_id"), ("tag", "tag")):
        if key in body:
            if not isinstance(body[key], str):
                raise ServiceError(name, f"{key} must be a string", 400)
            fields[column] = body[key]
    for key, column in (("startDateTime", "start_date_time"), ("endDateTime", "end_date_time")):
        if key in body:
            if parse_timestamp(body[key]) is None:
                raise ServiceError(name, f"{key} must be an ISO 8601 date-time with offset", 400)
            fields[column] = body[key]
    return fields


@bp.post(CANVAS_CONTAINER)
@bp.post(MOODLE_CONTAINER)
@service_endpoint
def create_line_item(course_lms_id: int) -> Response:
    call = ags_call(course_lms_id, vocab.SCOPE_LINEITEM)
    body = read_json_object(call.flavour)
    fields = _validated_line_item_fields(call, body, creating=True)
    resource_link = None
    if body.get("resourceLinkId"):
        resource_link = request_db().scalar(
            select(ResourceLink).where(
                ResourceLink.course_id == call.course.id,
                ResourceLink.registration_id == call.registration.id,
                ResourceLink.resource_link_id == str(body["resourceLinkId"]),
            )
        )
        if resource_link is None:
            raise ServiceError(call.flavour.name, "The specified LTI link ID is not valid", 404)
    db = request_db()
    with current_sandbox().write_lock:
        line_item = add_line_item(
            db,
            call.flavour,
            call.registration,
            call.course,
            label=fields["label"],
            score_maximum=fields["score_maximum"],
            resource_link=resource_link,
            resource_id=fields.get("resource_id", ""),
            tag=fields.get("tag", ""),
            start_date_time=fields.get("start_date_time"),
            end_date_time=fields.get("end_date_time"),
        )
        db.commit()
    # Moodle answers 201 Created; Canvas answers 200 with the new line item.
    status = 201 if call.flavour.name == "moodle" else 200
    return json_response(line_item_json(call, line_item), vocab.MEDIA_LINEITEM, status)


@bp.route(CANVAS_ITEM, methods=["GET", "PUT", "DELETE"])
@bp.route(MOODLE_ITEM, methods=["GET", "PUT", "DELETE", "POST"])
@service_endpoint
def line_item(course_lms_id: int, item_lms_id: int) -> Response:
    if request.method == "POST":
        # Only reachable on Moodle: POST to the line item itself, which happens when a
        # tool puts /scores after the query string (404 from the type_id check).
        moodle_type_id_check()
        raise ServiceError("moodle", "POST is not supported on a line item", 405)
    scopes = READ_SCOPES if request.method == "GET" else (vocab.SCOPE_LINEITEM,)
    call = ags_call(course_lms_id, *scopes)
    item = find_line_item(call, item_lms_id)
    db = request_db()
    if request.method == "DELETE":
        with current_sandbox().write_lock:
            for score in db.scalars(select(Score).where(Score.line_item_id == item.id)):
                db.delete(score)
            db.delete(item)
            db.commit()
        return Response(status=204)
    if request.method == "PUT":
        body = read_json_object(call.flavour)
        fields = _validated_line_item_fields(call, body, creating=False)
        with current_sandbox().write_lock:
            for column, value in fields.items():
                setattr(item, column, value)
            db.commit()
    return json_response(line_item_json(call, item), vocab.MEDIA_LINEITEM)
