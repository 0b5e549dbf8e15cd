"""Assignment and Grade Services 2.0, platform side: the score publish and result services.

https://www.imsglobal.org/spec/lti-ags/v2p0 §3.4 score publish service (POST
``application/vnd.ims.lis.v1.score+json`` to ``<lineitem>/scores``) and §3.3 result service
(GET ``<lineitem>/results``). Each LMS refuses scores its own way:
- Canvas: 403 without User-Agent; 422 (Canvas JSON body) for a user not in the course, checked
  before the body; 400 for a score older than the last one for that user and line item.
- Moodle: scores go to ``.../lineitem/scores?type_id=1``; 400 "Incorrect score received" for
  any malformed score or an unenrolled user; 409 for a score that is not newer, compared in
  whole seconds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.ags import (
    CANVAS_ITEM,
    MOODLE_ITEM,
    ags_call,
    find_line_item,
    line_item_url,
    requested_page,
)
from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.faults import service_endpoint
from lti_tool.sandbox.flavours import insert_path_segment
from lti_tool.sandbox.models import Enrollment, Person, Score, utcnow
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.service_io import (
    ServiceCall,
    json_number,
    json_response,
    media_type,
    parse_timestamp,
    read_json_object,
)

bp = Blueprint("sandbox_ags_scores", __name__)

# Which gradingProgress values make scoreGiven count as a grade.
# Canvas: FullyGraded and PendingManual; Moodle: FullyGraded only (it nulls the rest).
COUNTED_PROGRESS = {"canvas": ("FullyGraded", "PendingManual"), "moodle": ("FullyGraded",)}


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


def _validate_score(
    call: ServiceCall, body: dict[str, Any]
) -> tuple[str, datetime, Decimal | None, Decimal | None]:
    """userId, timestamp, scoreGiven and scoreMaximum of a well-formed score."""
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
    call = ags_call(course_lms_id, vocab.SCOPE_SCORE)
    name = call.flavour.name
    if media_type() != vocab.MEDIA_SCORE:
        raise ServiceError(
            name, f"Content-Type must be {vocab.MEDIA_SCORE}", 400 if name == "moodle" else 415
        )
    item = find_line_item(call, item_lms_id)
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
    call = ags_call(course_lms_id, vocab.SCOPE_RESULT_READONLY)
    item = find_line_item(call, item_lms_id)
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
    page = requested_page(call)
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
