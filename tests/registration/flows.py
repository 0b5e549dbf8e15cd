"""Helpers that play the LMS administrator's browser through Dynamic Registration."""

from __future__ import annotations

import re

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Registration
from lti_tool.models.admin import RegistrationRecord
from tests.registration.fixtures import form_in


def open_registration(tool_url: str, token: dict[str, str]) -> requests.Response:
    """What the LMS does: open the tool's registration URL with its two parameters."""
    return requests.get(
        f"{tool_url}/lti/register",
        params={
            "openid_configuration": token["openid_configuration"],
            "registration_token": token["registration_token"],
        },
        timeout=15,
    )


def press_register(review: requests.Response) -> requests.Response:
    form = form_in(review, "/lti/register")
    return requests.post(form.action, data=form.fields, timeout=15)


def register(tool_url: str, token: dict[str, str]) -> requests.Response:
    review = open_registration(tool_url, token)
    assert review.status_code == 200, review.text
    return press_register(review)


def client_id_on(page: requests.Response) -> str:
    match = re.search(r'<code id="client-id">([^<]+)</code>', page.text)
    assert match, page.text
    return match.group(1)


def stored(services: ToolServices, issuer: str, client_id: str) -> Registration | None:
    with transaction(services.session_factory) as session:
        return session.scalar(
            select(Registration)
            .options(selectinload(Registration.deployments))
            .where(Registration.issuer == issuer, Registration.client_id == client_id)
        )


def record_of(services: ToolServices, registration: Registration) -> RegistrationRecord:
    with transaction(services.session_factory) as session:
        record = session.scalar(
            select(RegistrationRecord).where(RegistrationRecord.registration_id == registration.id)
        )
    assert record is not None
    return record


def registrations_of(services: ToolServices, issuer: str) -> int:
    with transaction(services.session_factory) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Registration).where(Registration.issuer == issuer)
            )
            or 0
        )
