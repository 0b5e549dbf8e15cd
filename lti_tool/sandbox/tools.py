"""Tool registrations inside the platform, and the platform details a tool needs in return.

LTI 1.3 Core §3.1.3 "Tool deployment" and 1EdTech Security Framework §4.1: the platform
issues the tool a client_id and one deployment per install; the tool needs the platform's
issuer, OIDC authorization endpoint, token endpoint and JWKS URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.sandbox import vocab
from lti_tool.sandbox.flavours import Flavour, flavour_named
from lti_tool.sandbox.models import ToolRegistration
from lti_tool.sandbox.sandbox import Sandbox, sandbox_of
from lti_tool.sandbox.seed import place_tool

# Canvas: the developer key's custom fields; Canvas expands the variables at launch and
# sends the literal "$Canvas.assignment.id" when the launch is not from an assignment.
CANVAS_CUSTOM_FIELDS = {
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_id": "$Canvas.user.id",
    "canvas_api_domain": "$Canvas.api.domain",
    "canvas_assignment_id": "$Canvas.assignment.id",
}


@dataclass(frozen=True)
class RegisteredTool:
    """What the platform assigned to a tool."""

    flavour: str
    client_id: str
    deployment_id: str
    type_id: int
    name: str


def _as_registered(registration: ToolRegistration) -> RegisteredTool:
    return RegisteredTool(
        flavour=registration.flavour,
        client_id=registration.client_id,
        deployment_id=registration.deployment_id,
        type_id=registration.type_id,
        name=registration.name,
    )


def update_registration(
    session: Session, registration: ToolRegistration, **fields: Any
) -> ToolRegistration:
    """Moodle's "Update": the same tool type (client_id, deployment) with what the tool sent.

    Moodle also resets "Tool configuration usage" to "Show as preconfigured tool"; the
    sandbox keeps no such setting, so its placements stay as they were.
    """
    for attribute, value in fields.items():
        setattr(registration, attribute, value)
    session.flush()
    return registration


def create_registration(
    session: Session,
    flavour: Flavour,
    *,
    name: str,
    initiate_login_uri: str,
    redirect_uris: Sequence[str],
    jwks_uri: str,
    target_link_uri: str,
    deep_link_uri: str | None,
    scopes: Sequence[str],
    custom_parameters: Mapping[str, str],
    primary: bool,
    created_via: str,
) -> ToolRegistration:
    """Insert (or, for the primary tool, update) a registration and place the tool."""
    fields: dict[str, Any] = {
        "name": name,
        "initiate_login_uri": initiate_login_uri,
        "redirect_uris": list(redirect_uris),
        "jwks_uri": jwks_uri,
        "target_link_uri": target_link_uri,
        "deep_link_uri": deep_link_uri,
        "scopes": list(scopes),
        "custom_parameters": dict(custom_parameters),
    }
    if primary:
        existing = session.scalar(
            select(ToolRegistration).where(
                ToolRegistration.flavour == flavour.name, ToolRegistration.is_primary.is_(True)
            )
        )
        if existing is not None:
            for attribute, value in fields.items():
                setattr(existing, attribute, value)
            session.flush()
            return existing
    count = (
        session.scalar(
            select(func.count())
            .select_from(ToolRegistration)
            .where(ToolRegistration.flavour == flavour.name)
        )
        or 0
    )
    highest_type = session.scalar(
        select(func.max(ToolRegistration.type_id)).where(ToolRegistration.flavour == flavour.name)
    )
    type_id = flavour.first_type_id if highest_type is None else highest_type + 1
    registration = ToolRegistration(
        flavour=flavour.name,
        client_id=flavour.new_client_id(count),
        deployment_id=flavour.deployment_id(type_id),
        type_id=type_id,
        is_primary=primary,
        created_via=created_via,
        **fields,
    )
    session.add(registration)
    session.flush()
    place_tool(session, flavour, registration)
    return registration


def register_tool(
    target: Flask | Sandbox,
    flavour: str,
    *,
    tool_base_url: str | None = None,
    name: str = "CME tool",
    initiate_login_uri: str | None = None,
    redirect_uris: Sequence[str] | None = None,
    jwks_uri: str | None = None,
    target_link_uri: str | None = None,
    deep_link_uri: str | None = None,
    scopes: Sequence[str] = vocab.ALL_SERVICE_SCOPES,
    custom_parameters: Mapping[str, str] | None = None,
    primary: bool = True,
) -> RegisteredTool:
    """Register a tool in one flavour; URLs default to the team's fixed tool URLs.

    ``primary=True`` (the default) registers *the* tool under test: calling it again updates
    the same registration (same client_id), e.g. when the tool came back on another port.
    ``primary=False`` always adds another tool with a fresh client_id and deployment.
    Every new registration is placed in each course of the flavour.
    """
    sandbox = target if isinstance(target, Sandbox) else sandbox_of(target)
    chosen = flavour_named(flavour)
    base = tool_base_url.rstrip("/") if tool_base_url else None

    def default(value: str | None, path: str) -> str:
        if value:
            return value
        if base is None:
            raise ValueError(f"give tool_base_url or every tool URL (missing {path})")
        return base + path

    login = default(initiate_login_uri, "/lti/login")
    launch = default(target_link_uri, "/lti/launch")
    uris = list(redirect_uris) if redirect_uris else [launch]
    unknown = set(scopes) - set(vocab.ALL_SERVICE_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    if custom_parameters is None:
        custom_parameters = CANVAS_CUSTOM_FIELDS if chosen.name == "canvas" else {}
    with sandbox.write_lock, sandbox.session() as session:
        registration = create_registration(
            session,
            chosen,
            name=name,
            initiate_login_uri=login,
            redirect_uris=uris,
            jwks_uri=default(jwks_uri, "/.well-known/jwks.json"),
            target_link_uri=launch,
            deep_link_uri=deep_link_uri,
            scopes=scopes,
            custom_parameters=custom_parameters,
            primary=primary,
            created_via="api",
        )
        return _as_registered(registration)


def find_registration(
    session: Session, flavour: Flavour, client_id: str | None
) -> ToolRegistration | None:
    """By client_id, or the primary tool when client_id is None."""
    query = select(ToolRegistration).where(ToolRegistration.flavour == flavour.name)
    if client_id is None:
        query = query.where(ToolRegistration.is_primary.is_(True))
    else:
        query = query.where(ToolRegistration.client_id == client_id)
    return session.scalar(query)


def platform_registration(
    target: Flask | Sandbox, flavour: str, client_id: str | None = None
) -> dict[str, Any]:
    """What the tool stores to trust this platform (pylti1p3 ToolConfDict field names).

    Describes the primary tool's registration unless ``client_id`` picks another one.
    """
    sandbox = target if isinstance(target, Sandbox) else sandbox_of(target)
    chosen = flavour_named(flavour)
    root = sandbox.root(chosen)
    with sandbox.session() as session:
        registration = find_registration(session, chosen, client_id)
        if registration is None:
            raise LookupError(f"no tool registered in the {flavour} flavour")
        return {
            "flavour": chosen.name,
            "product_family_code": chosen.product_family_code,
            "issuer": sandbox.issuer(chosen),
            "client_id": registration.client_id,
            "auth_login_url": chosen.auth_login_url(root),
            "auth_token_url": chosen.token_url(root),
            # The token endpoint accepts its own URL (the default) or the issuer as aud.
            "auth_audience": None,
            "key_set_url": chosen.jwks_url(root),
            "deployment_ids": [registration.deployment_id],
        }
