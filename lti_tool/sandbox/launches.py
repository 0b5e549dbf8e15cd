"""Starting a launch and building its id_token: the platform's half of an LTI message.

LTI 1.3 Core §4 "LTI message general details" and §5 "Resource link launch request message";
Deep Linking 2.0 §4.4 "Deep linking request message"; 1EdTech Security Framework §5.1.1
"OpenID Connect Launch Flow Overview" (third-party initiated login).

A launch starts with a ``LaunchHint`` row: its random id is the ``lti_message_hint`` the tool
receives at /lti/login and must hand back to the authorization endpoint unchanged. The hint
says who launches what (user, role, course, resource link, message type, custom params); a
tool cannot alter it without the authorization endpoint noticing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.sandbox import vocab
from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import (
    Course,
    Enrollment,
    LaunchHint,
    LineItem,
    Person,
    ResourceLink,
    ToolRegistration,
    utcnow,
)
from lti_tool.sandbox.sandbox import Sandbox
from lti_tool.sandbox.seed import MAIN_COURSE
from lti_tool.sandbox.tools import find_registration

# The frame that answers the client-side postMessage storage messages: the course page
# that holds the tool's iframe.
STORAGE_TARGET = "_parent"


@dataclass(frozen=True)
class LoginInitiation:
    """Where and with what the platform sends the browser to start OIDC login."""

    login_url: str
    params: dict[str, str]
    hint_id: str


def start_launch(
    session: Session,
    sandbox: Sandbox,
    flavour: Flavour,
    *,
    registration: ToolRegistration,
    course: Course,
    person: Person,
    role: str,
    message_type: str = vocab.RESOURCE_LINK_REQUEST,
    resource_link: ResourceLink | None = None,
    custom: Mapping[str, str] | None = None,
    with_storage_target: bool = False,
    accept_multiple: bool = True,
) -> LoginInitiation:
    if role not in vocab.ROLE_NAMES:
        raise ValueError(f"role must be one of {vocab.ROLE_NAMES}")
    if message_type not in vocab.MESSAGE_TYPES:
        raise ValueError(f"message_type must be one of {vocab.MESSAGE_TYPES}")
    if message_type == vocab.RESOURCE_LINK_REQUEST and resource_link is None:
        raise ValueError("a resource link launch needs a resource link")
    if custom and not all(isinstance(k, str) and isinstance(v, str) for k, v in custom.items()):
        raise ValueError("custom parameters must map strings to strings")
    deep_linking = message_type == vocab.DEEP_LINKING_REQUEST
    hint = LaunchHint(
        id=secrets.token_urlsafe(24),
        registration=registration,
        course=course,
        person=person,
        resource_link=None if deep_linking else resource_link,
        message_type=message_type,
        role=role,
        custom=dict(custom or {}),
        deep_link_data=secrets.token_urlsafe(24) if deep_linking else None,
        accept_multiple=accept_multiple,
        expires_at=utcnow() + timedelta(seconds=sandbox.settings.launch_hint_lifetime),
    )
    session.add(hint)
    session.flush()
    params = {
        "iss": sandbox.issuer(flavour),
        "login_hint": person.sub,
        "target_link_uri": target_link_uri(hint),
        "lti_message_hint": hint.id,
        "client_id": registration.client_id,
        "lti_deployment_id": registration.deployment_id,
        **flavour.login_initiation_extras(registration),
    }
    if with_storage_target:
        params["lti_storage_target"] = STORAGE_TARGET
    return LoginInitiation(registration.initiate_login_uri, params, hint.id)


def target_link_uri(hint: LaunchHint) -> str:
    registration = hint.registration
    if hint.message_type == vocab.DEEP_LINKING_REQUEST:
        return registration.deep_link_uri or registration.target_link_uri
    link = hint.resource_link
    return (link.target_link_uri if link else None) or registration.target_link_uri


def _substitutions(flavour: Flavour, hint: LaunchHint) -> dict[str, str]:
    """LTI 1.3 Core Appendix C: custom parameter substitution variables."""
    person, course, link = hint.person, hint.course, hint.resource_link
    variables = {
        "$User.id": person.sub,
        "$User.username": person.username,
        "$Person.name.full": person.name,
        "$Person.name.given": person.given_name,
        "$Person.name.family": person.family_name,
        "$Person.email.primary": person.email,
        "$Context.id": course.context_id,
        "$Context.label": course.label,
        "$Context.title": course.title,
    }
    if link is not None:
        variables["$ResourceLink.id"] = link.resource_link_id
        variables["$ResourceLink.title"] = link.title
    variables.update(flavour.substitution_variables(hint))
    return variables


def custom_claim(flavour: Flavour, hint: LaunchHint) -> dict[str, str]:
    merged: dict[str, str] = {}
    merged.update(hint.registration.custom_parameters)
    if hint.resource_link is not None:
        merged.update(hint.resource_link.custom)
    merged.update(hint.custom)
    variables = _substitutions(flavour, hint)
    # Unknown or unavailable variables are sent as the literal "$Name" (both LMSs do).
    return {key: variables.get(value, value) for key, value in merged.items()}


def id_token_claims(
    session: Session, sandbox: Sandbox, flavour: Flavour, hint: LaunchHint, nonce: str
) -> dict[str, Any]:
    """The full LTI 1.3 claim set for the launch the hint describes."""
    registration, course, person = hint.registration, hint.course, hint.person
    root = sandbox.root(flavour)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": sandbox.issuer(flavour),
        "aud": registration.client_id,
        "azp": registration.client_id,
        "sub": person.sub,
        "exp": now + 3600,
        "iat": now,
        "nonce": nonce,
        **flavour.identity_claims(person, sandbox.settings),
        vocab.CLAIM_MESSAGE_TYPE: hint.message_type,
        vocab.CLAIM_VERSION: vocab.LTI_VERSION,
        vocab.CLAIM_DEPLOYMENT_ID: registration.deployment_id,
        vocab.CLAIM_TARGET_LINK_URI: target_link_uri(hint),
        vocab.CLAIM_ROLES: flavour.roles(hint.role),
        vocab.CLAIM_CONTEXT: {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [flavour.context_type],
        },
        vocab.CLAIM_TOOL_PLATFORM: flavour.tool_platform(root),
        vocab.CLAIM_LAUNCH_PRESENTATION: {
            "document_target": "iframe",
            "return_url": flavour.return_url(root, course, hint),
            "locale": "en",
        },
        vocab.CLAIM_CUSTOM: custom_claim(flavour, hint),
        **flavour.flavour_claims(hint, root),
    }
    if hint.resource_link is not None:
        claims[vocab.CLAIM_RESOURCE_LINK] = {
            "id": hint.resource_link.resource_link_id,
            "title": hint.resource_link.title,
            "description": hint.resource_link.text,
        }
    ags_scopes = [scope for scope in registration.scopes if scope in vocab.AGS_SCOPES]
    if ags_scopes:
        endpoint: dict[str, Any] = {
            "scope": ags_scopes,
            "lineitems": flavour.line_items_url(root, course, registration),
        }
        line_item = _line_item_of(session, hint)
        if line_item is not None:
            endpoint["lineitem"] = flavour.line_item_url(root, course, line_item, registration)
        claims[vocab.CLAIM_AGS_ENDPOINT] = endpoint
    if vocab.SCOPE_NRPS in registration.scopes:
        claims[vocab.CLAIM_NRPS] = {
            "context_memberships_url": flavour.memberships_url(root, course, registration),
            "service_versions": ["2.0"],
        }
    if hint.message_type == vocab.DEEP_LINKING_REQUEST:
        claims[vocab.CLAIM_DL_SETTINGS] = {
            "deep_link_return_url": flavour.deep_link_return_url(root, course, registration),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": hint.accept_multiple,
            "accept_lineitem": True,
            "auto_create": True,
            "title": f"Add to {course.title}",
            "data": hint.deep_link_data,
        }
    return claims


def _line_item_of(session: Session, hint: LaunchHint) -> LineItem | None:
    """The first line item bound to the launched resource link, if any."""
    if hint.resource_link is None:
        return None
    return session.scalar(
        select(LineItem)
        .where(LineItem.resource_link_id == hint.resource_link.id)
        .order_by(LineItem.lms_id)
        .limit(1)
    )


def resolve_and_start(
    session: Session,
    sandbox: Sandbox,
    flavour: Flavour,
    *,
    user: str,
    role: str | None = None,
    course: int | None = None,
    resource_link_id: str | None = None,
    message_type: str = vocab.RESOURCE_LINK_REQUEST,
    custom: Mapping[str, str] | None = None,
    with_storage_target: bool = False,
    accept_multiple: bool = True,
    client_id: str | None = None,
) -> LoginInitiation:
    """Start a launch described with plain values (usernames, LMS course numbers, LTI ids).

    Defaults: the primary tool, the main course, the user's role in that course, and the
    tool's first resource link there. Raises LookupError for anything that does not exist.
    """
    registration = find_registration(session, flavour, client_id)
    if registration is None:
        raise LookupError(f"no tool with client_id {client_id!r} in {flavour.name}")
    course_row = session.scalar(
        select(Course).where(
            Course.flavour == flavour.name, Course.lms_id == (course or MAIN_COURSE[flavour.name])
        )
    )
    if course_row is None:
        raise LookupError(f"no course {course} in {flavour.name}")
    person = session.scalar(
        select(Person).where(
            Person.flavour == flavour.name, (Person.username == user) | (Person.sub == user)
        )
    )
    if person is None:
        raise LookupError(f"no user {user!r} in {flavour.name}")
    if role is None:
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.course_id == course_row.id, Enrollment.person_id == person.id
            )
        )
        role = "admin" if person.is_admin else (enrollment.role if enrollment else "learner")
    link_query = select(ResourceLink).where(
        ResourceLink.course_id == course_row.id, ResourceLink.registration_id == registration.id
    )
    if resource_link_id is not None:
        link_query = link_query.where(ResourceLink.resource_link_id == resource_link_id)
    link = session.scalar(link_query.order_by(ResourceLink.lms_id).limit(1))
    if link is None and (
        resource_link_id is not None or message_type == vocab.RESOURCE_LINK_REQUEST
    ):
        raise LookupError(
            f"no resource link {resource_link_id!r} for this tool in course {course_row.lms_id}"
        )
    return start_launch(
        session,
        sandbox,
        flavour,
        registration=registration,
        course=course_row,
        person=person,
        role=role,
        message_type=message_type,
        resource_link=link,
        custom=custom,
        with_storage_target=with_storage_target,
        accept_multiple=accept_multiple,
    )
