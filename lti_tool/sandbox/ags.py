"""Assignment and Grade Services 2.0, platform side: line items, scores, results.

https://www.imsglobal.org/spec/lti-ags/v2p0 — §3.2 line item service (container GET with
resource_link_id / resource_id / tag filters, POST; item GET / PUT / DELETE), §3.4 score
publish service (POST ``application/vnd.ims.lis.v1.score+json`` to ``<lineitem>/scores``),
§3.3 result service (GET ``<lineitem>/results``).

URL shapes and error behaviour follow each LMS:
- Canvas: ``/api/lti/courses/7/line_items/31``; JSON error bodies; 403 without User-Agent;
  422 for a user not in the course; 400 for a score older than the last one.
- Moodle: ``/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1``; scores go to
  ``.../lineitem/scores?type_id=1``; 400 for an unenrolled user; 409 for a score that is not
  newer, at one-second resolution.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.faults import service_endpoint
from lti_tool.sandbox.flavours import insert_path_segment
from lti_tool.sandbox.models import Enrollment, LineItem, Person, ResourceLink, Score, utcnow
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.paging import Page
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.seed import add_line_item
from lti_tool.sandbox.service_io import (
    ServiceCall,
    json_number,
    json_response,
    media_type,
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
# Which gradingProgress values make scoreGiven count as a grade.
# Canvas: FullyGraded and PendingManual; Moodle: FullyGraded only (it nulls the rest).
COUNTED_PROGRESS = {"canvas": ("FullyGraded", "PendingManual"), "moodle": ("FullyGraded",)}


def _moodle_type_id_check() -> None:
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


def _call(course_lms_id: int, *scopes: str) -> ServiceCall:
    _moodle_type_id_check()
    call = service_call(course_lms_id, *scopes)
    if call.flavour.name == "moodle" and request.args["type_id"] != str(call.registration.type_id):
        raise ServiceError("moodle", "type_id does not match the calling tool", 403)
    return call


def _line_item(call: ServiceCall, item_lms_id: int) -> LineItem:
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


def _page(call: ServiceCall) -> Page:
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
    call = _call(course_lms_id, *READ_SCOPES)
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
    page = _page(call)
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
    call = _call(course_lms_id, vocab.SCOPE_LINEITEM)
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
        _moodle_type_id_check()
        raise ServiceError("moodle", "POST is not supported on a line item", 405)
    scopes = READ_SCOPES if request.method == "GET" else (vocab.SCOPE_LINEITEM,)
    call = _call(course_lms_id, *scopes)
    item = _line_item(call, item_lms_id)
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


def _score_person(call: ServiceCall, user_id: str) -> Person | None:
    """The learner the score is for, if enrolled as a learner in the line item's course."""
    db = request_db()
    query = select(Person).where(Person.flavour == call.flavour.name)
    if call.flavour.name == "canvas" and user_id.isdigit():
        # Canvas accepts the LTI user id or the numeric Canvas user id.
        query = query.where((Person.sub == user_id) | (Person.lms_id == int(user_id)))
    else:
        query = query.where(Person.sub == user_id)
    person = db.scalar(query)
    if person is None:
        return None
    enrolled = db.scalar(
        select(Enrollment.id).where(
            Enrollment.course_id == call.course.id,
            Enrollment.person_id == person.id,
            Enrollment.role == "learner",
            Enrollment.status == "Active",
        )
    )
    return person if enrolled is not None else None


def _validate_score(call: ServiceCall, body: dict[str, Any]) -> tuple[Any, ...]:
    name = call.flavour.name
    moodle = name == "moodle"
    # Moodle reports every malformed score the same way.
    moodle_error = "Incorrect score received"
    missing = [
        key
        for key in ("userId", "activityProgress", "gradingProgress", "timestamp")
        if key not in body
    ]
    if missing:
        raise ServiceError(name, moodle_error if moodle else f"param is missing: {missing[0]}", 400)
    user_id = str(body["userId"])
    if body["activityProgress"] not in vocab.ACTIVITY_PROGRESS:
        raise ServiceError(name, moodle_error if moodle else "invalid activityProgress", 400)
    if body["gradingProgress"] not in vocab.GRADING_PROGRESS:
        raise ServiceError(name, moodle_error if moodle else "invalid gradingProgress", 400)
    timestamp_at = parse_timestamp(body["timestamp"])
    if timestamp_at is None:
        message = f"Provided timestamp of {body['timestamp']} not a valid timestamp"
        raise ServiceError(name, moodle_error if moodle else message, 400)
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    for key, value in (("scoreGiven", given), ("scoreMaximum", maximum)):
        if value is not None and not isinstance(value, Decimal):
            raise ServiceError(name, moodle_error if moodle else f"{key} must be a number", 400)
    if given is not None:
        if maximum is None:
            # Canvas: 422 "ScoreMaximum not supplied when ScoreGiven present."
            raise ServiceError(
                name,
                moodle_error if moodle else "ScoreMaximum not supplied when ScoreGiven present.",
                400 if moodle else 422,
            )
        if given < 0 or maximum <= 0:
            raise ServiceError(name, moodle_error if moodle else "scores must not be negative", 400)
        # Stricter than both LMSs (which allow extra credit): a CME score above the
        # maximum is always a tool bug, so the sandbox refuses it.
        if given > maximum:
            raise ServiceError(name, f"scoreGiven {given} is above scoreMaximum {maximum}", 400)
    return user_id, timestamp_at, given, maximum


@bp.post(CANVAS_ITEM + "/scores")
@bp.post(MOODLE_ITEM + "/scores")
@service_endpoint
def post_score(course_lms_id: int, item_lms_id: int) -> Response:
    call = _call(course_lms_id, vocab.SCOPE_SCORE)
    name = call.flavour.name
    if media_type() != vocab.MEDIA_SCORE:
        raise ServiceError(
            name, f"Content-Type must be {vocab.MEDIA_SCORE}", 400 if name == "moodle" else 415
        )
    item = _line_item(call, item_lms_id)
    body = read_json_object(call.flavour)
    user_id = str(body.get("userId", ""))
    person = _score_person(call, user_id)
    if name == "canvas" and person is None:
        # Canvas checks course membership before anything else in the body.
        raise ServiceError(name, "User not found in course or is not a student", 422)
    user_id, timestamp_at, given, maximum = _validate_score(call, body)
    if person is None:
        # Moodle: "is_user_gradable_in_course" failed.
        raise ServiceError(name, "Incorrect score received", 400)
    db = request_db()
    with current_sandbox().write_lock:
        last = db.scalar(
            select(Score)
            .where(Score.line_item_id == item.id, Score.person_id == person.id)
            .order_by(Score.timestamp_at.desc())
            .limit(1)
        )
        if last is not None:
            if name == "canvas" and timestamp_at < last.timestamp_at:
                raise ServiceError(
                    name,
                    f"Provided timestamp of {body['timestamp']} before last updated timestamp "
                    f"of {last.timestamp_at.isoformat(timespec='milliseconds')}",
                    400,
                )
            # Moodle compares whole seconds (strtotime) and needs strictly newer.
            if name == "moodle" and int(timestamp_at.timestamp()) <= int(
                last.timestamp_at.timestamp()
            ):
                raise ServiceError(
                    name,
                    f"Refusing score with an earlier timestamp for item {item.lms_id}"
                    f" and user {user_id}",
                    409,
                )
        score = Score(
            line_item_id=item.id,
            person_id=person.id,
            user_id=user_id,
            score_given=given,
            score_maximum=maximum,
            activity_progress=body["activityProgress"],
            grading_progress=body["gradingProgress"],
            comment=body.get("comment") if isinstance(body.get("comment"), str) else None,
            timestamp=str(body["timestamp"]),
            timestamp_at=timestamp_at,
            received_at=utcnow(),
            body=_jsonable(body),
        )
        db.add(score)
        db.commit()
    if name == "canvas":
        result_url = call.flavour.result_url(line_item_url(call, item), score.id, person)
        return json_response({"resultUrl": result_url}, vocab.MEDIA_SCORE)
    # Moodle answers 200 with an empty JSON array.
    return json_response([], vocab.MEDIA_SCORE)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


@bp.get(CANVAS_ITEM + "/results")
@bp.get(MOODLE_ITEM + "/results")
@service_endpoint
def list_results(course_lms_id: int, item_lms_id: int) -> Response:
    call = _call(course_lms_id, vocab.SCOPE_RESULT_READONLY)
    item = _line_item(call, item_lms_id)
    scores = (
        request_db()
        .scalars(
            select(Score)
            .where(Score.line_item_id == item.id)
            .order_by(Score.timestamp_at, Score.id)
        )
        .all()
    )
    latest: dict[int, Score] = {}
    for score in scores:
        latest[score.person_id] = score
    wanted = request.args.get("user_id")
    results = [
        score
        for score in latest.values()
        if wanted is None or wanted in (score.person.sub, str(score.person.lms_id))
    ]
    url = line_item_url(call, item)
    page = _page(call)
    body = []
    for score in page.slice(results):
        result: dict[str, Any] = {
            "id": call.flavour.result_url(url, score.id, score.person),
            "scoreOf": url,
            "userId": score.person.sub,
            "timestamp": score.timestamp,
        }
        if (
            score.score_given is not None
            and score.grading_progress in COUNTED_PROGRESS[call.flavour.name]
        ):
            result["resultScore"] = json_number(score.score_given)
            result["resultMaximum"] = json_number(score.score_maximum or item.score_maximum)
        if score.comment:
            result["comment"] = score.comment
        body.append(result)
    filters = {"user_id": wanted} if wanted else {}
    link = page.link_header(
        call.flavour, insert_path_segment(url, "results"), len(results), filters
    )
    return json_response(
        body, vocab.MEDIA_RESULT_CONTAINER, headers={"Link": link} if link else None
    )
