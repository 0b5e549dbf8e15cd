"""Request and response helpers shared by the AGS and NRPS endpoints.

JSON bodies are read with exact decimals (scores are compared with ``Decimal``, never float);
numbers go back out as JSON numbers. Timestamps must be ISO 8601 with a time zone (AGS 2.0
§3.4.2 "timestamp").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Response, request
from sqlalchemy import select

from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import Course, ToolRegistration
from lti_tool.sandbox.oauth import Grant, current_flavour, require_grant
from lti_tool.sandbox.sandbox import current_sandbox, request_db


def json_number(value: Decimal) -> int | float:
    """A JSON number for an exact score; only the wire format is binary floating point."""
    return int(value) if value == value.to_integral_value() else float(value)


def json_response(
    data: Any, mimetype: str, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    response = Response(json.dumps(data), status=status, mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def read_json_object(flavour: Flavour) -> dict[str, Any]:
    try:
        body = json.loads(
            request.get_data(as_text=True) or "null", parse_float=Decimal, parse_int=Decimal
        )
    except ValueError as exc:
        raise ServiceError(flavour.name, f"body is not JSON: {exc}", 400) from exc
    if not isinstance(body, dict):
        raise ServiceError(flavour.name, "body must be a JSON object", 400)
    return body


def parse_timestamp(value: object) -> datetime | None:
    """ISO 8601 with a UTC offset or Z, else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def media_type() -> str:
    return (request.mimetype or "").lower()


@dataclass(frozen=True)
class ServiceCall:
    """An authorised service request: which flavour, course and tool."""

    flavour: Flavour
    course: Course
    registration: ToolRegistration
    root: str
    grant: Grant


def service_call(course_lms_id: int, *accepted_scopes: str) -> ServiceCall:
    flavour = current_flavour()
    grant = require_grant(flavour, *accepted_scopes)
    course = request_db().scalar(
        select(Course).where(Course.flavour == flavour.name, Course.lms_id == course_lms_id)
    )
    if course is None:
        raise ServiceError(flavour.name, f"Not Found: Course {course_lms_id} doesn't exist.", 404)
    sandbox = current_sandbox()
    return ServiceCall(flavour, course, grant.registration, sandbox.root(flavour), grant)
