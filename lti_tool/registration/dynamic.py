"""LTI Dynamic Registration 1.0, tool side: plan, register, store.

https://www.imsglobal.org/spec/lti-dr/v1p0 . The platform opens ``/lti/register`` with
``openid_configuration`` and ``registration_token`` (§3.3). The tool:

1. fetches the platform's OpenID configuration, sending the token as a Bearer token
   (Canvas requires it there; §3.4), and checks it (:mod:`platform_config`);
2. shows the LMS administrator what it is about to register (:func:`plan_registration`);
3. POSTs its client registration to the platform's ``registration_endpoint`` with the
   token (§3.5), asking only for the scopes and placements the platform offers;
4. stores the registration from the answer (§3.6): the ``client_id``, the ``scope`` the
   platform actually granted (Canvas admins may grant fewer), and the ``deployment_id``
   Moodle returns inside the tool configuration (Canvas tells it at the first launch);
5. shows what was registered; the page then sends ``org.imsglobal.lti.close`` (§4).

Everything that can fail is checked before the POST; the answer is stored in the request's
transaction, so a failure leaves no half-registered platform behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.models import Registration
from lti_tool.models.admin import RegistrationRecord
from lti_tool.registration.errors import (
    DuplicateRegistration,
    InvitationInvalid,
    MissingRegistrationParameters,
    RegistrationRefused,
    RegistrationTokenRefused,
)
from lti_tool.registration.invitations import spend_invitation, usable_invitation
from lti_tool.registration.outbound import Outbound, OutboundError, error_text, origin
from lti_tool.registration.platform_config import (
    PlatformConfiguration,
    fetch_platform_configuration,
)
from lti_tool.registration.platforms import DuplicatePlatform, create_platform, find_platform
from lti_tool.registration.policy import registration_policy
from lti_tool.registration.reregistration import update_registration
from lti_tool.registration.services import ServiceLine, service_status
from lti_tool.registration.tool_profile import (
    ToolProfile,
    client_metadata,
    deep_linking_placements,
)
from lti_tool.registration.trust import base_reasons, issuer_conflict, registrations_of_issuer

SCOPE_NAMES = {
    protocol.SCOPE_SCORE: "send scores to the gradebook",
    protocol.SCOPE_LINEITEM: "create gradebook columns",
    protocol.SCOPE_LINEITEM_READONLY: "read gradebook columns",
    protocol.SCOPE_RESULT_READONLY: "read results",
    protocol.SCOPE_NRPS: "read the course roster",
}


@dataclass(frozen=True)
class RegistrationPlan:
    """What the tool is about to register, for the LMS administrator to read first."""

    platform: PlatformConfiguration
    requested_scopes: list[str]
    unavailable_scopes: list[str]
    placements: list[str]
    # Registrations the tool already has for this LMS (a second one is allowed, e.g.
    # a test and a live tool in one Moodle, but it waits for the operator: trust.py).
    existing: list[Registration]
    # Why it will wait for an operator, as far as is known before the LMS names the
    # client ID (trust.base_reasons); the issuer rule is applied once it has.
    reasons: list[str]
    trust_new_deployments: bool
    # The secret of the operator's invitation the administrator came with, if any.
    invitation: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def pending_reason(self) -> str | None:
        return " ".join(self.reasons) or None

    def metadata(self, profile: ToolProfile) -> dict[str, Any]:
        return client_metadata(
            profile,
            product_family=self.platform.product_family,
            scopes=self.requested_scopes,
            deep_linking_placements=self.placements or None,
        )


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    deployment_id: str | None
    granted_scopes: list[str]
    refused_scopes: list[str]
    services: list[ServiceLine]
    pending_reason: str | None
    placements: list[str]
    # A re-registration of a client ID the tool had (Moodle's "Update").
    updated: bool = False
    # ... whose new keys or endpoints wait for an operator (the old ones still serve).
    update_held: bool = False


def _require(value: str | None, name: str) -> str:
    if not value or not value.strip():
        raise MissingRegistrationParameters(
            f"The request has no {name}. Open this page from your LMS's tool registration screen."
        )
    return value.strip()


def _registrations_of_the_same_lms(
    session: Session, platform: PlatformConfiguration
) -> list[Registration]:
    query = select(Registration).where(Registration.issuer == platform.issuer)
    if platform.product_family == "canvas":
        # Every Instructure-hosted school shares one issuer: the school is the host its
        # configuration was served from.
        query = query.join(
            RegistrationRecord, RegistrationRecord.registration_id == Registration.id
        ).where(RegistrationRecord.openid_configuration_url.startswith(origin(platform.url) + "/"))
    return list(session.scalars(query.order_by(Registration.id)))


def plan_registration(
    session: Session,
    outbound: Outbound,
    profile: ToolProfile,
    openid_configuration: str | None,
    registration_token: str | None,
    *,
    production: bool = False,
    invitation: str | None = None,
) -> RegistrationPlan:
    if invitation is not None:
        # Checked before anything is fetched: a spent link should say so at once.
        usable_invitation(session, invitation)
    url = _require(openid_configuration, "openid_configuration")
    token = _require(registration_token, "registration_token")
    platform = fetch_platform_configuration(outbound, url, token)
    supported = platform.scopes_supported
    requested = [s for s in profile.scopes if supported is None or s in supported]
    unavailable = [s for s in profile.scopes if s not in requested]
    placements: list[str] = []
    warnings = []
    if platform.supports_deep_linking:
        placements = deep_linking_placements(
            platform.product_family, platform.messages[protocol.MESSAGE_DEEP_LINKING]
        )
    else:
        warnings.append(
            "Your LMS does not offer Deep Linking, so instructors cannot pick activities from "
            "a list; each link must be set up by hand."
        )
    if unavailable:
        warnings.append(
            "Your LMS does not offer these services: "
            + ", ".join(SCOPE_NAMES.get(s, s) for s in unavailable)
            + ". The tool works without them, with less done for you."
        )
    existing = _registrations_of_the_same_lms(session, platform)
    if existing or registrations_of_issuer(session, platform.issuer):
        warnings.append(
            f"The tool already has {len(existing) or 'a'} registration(s) for this LMS. If your "
            'LMS is updating that registration (Moodle\'s "Update"), the tool updates it in '
            "place; a new registration for the same LMS waits for the tool operator's approval."
        )
    policy = registration_policy(session)
    return RegistrationPlan(
        platform=platform,
        requested_scopes=requested,
        unavailable_scopes=unavailable,
        placements=placements,
        existing=existing,
        reasons=base_reasons(
            issuer_unverified=platform.issuer_unverified,
            policy_requires_approval=policy.require_approval,
            production=production,
            invited=invitation is not None,
        ),
        trust_new_deployments=policy.trust_new_deployments,
        invitation=invitation,
        warnings=warnings,
    )


def _post_registration(
    outbound: Outbound, plan: RegistrationPlan, profile: ToolProfile, token: str
) -> dict[str, Any]:
    endpoint = plan.platform.registration_endpoint
    try:
        response = outbound.request("POST", endpoint, bearer=token, json=plan.metadata(profile))
    except OutboundError as exc:
        raise RegistrationRefused(
            f"The tool could not send its registration to {endpoint}: {exc.reason}"
        ) from exc
    if response.status_code in (401, 403):
        raise RegistrationTokenRefused(
            f"Your LMS refused the registration token (it said: {error_text(response)})."
        )
    if response.status_code not in (200, 201):
        raise RegistrationRefused(
            f"Your LMS answered HTTP {response.status_code} to the tool's registration "
            f"(it said: {error_text(response)}). Nothing was registered."
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise RegistrationRefused("Your LMS's answer to the registration is not a JSON object.")
    client_id = answer.get("client_id")
    if not isinstance(client_id, str | int) or not str(client_id).strip():
        raise RegistrationRefused(
            "Your LMS accepted the registration but sent no client_id, so the tool cannot "
            "recognise its launches. Nothing was stored; remove the tool from the LMS and "
            "try again."
        )
    return answer


def _granted_scopes(answer: dict[str, Any]) -> list[str] | None:
    """The scopes the platform granted; None when it did not say (DR §3.6 makes it optional)."""
    scope = answer.get("scope")
    if not isinstance(scope, str):
        return None
    granted = set(scope.split())
    return [s for s in protocol.TOOL_SCOPES if s in granted]


def complete_registration(
    session: Session,
    outbound: Outbound,
    profile: ToolProfile,
    openid_configuration: str | None,
    registration_token: str | None,
    *,
    production: bool = False,
    invitation: str | None = None,
) -> RegistrationOutcome:
    plan = plan_registration(
        session,
        outbound,
        profile,
        openid_configuration,
        registration_token,
        production=production,
        invitation=invitation,
    )
    token = _require(registration_token, "registration_token")
    answer = _post_registration(outbound, plan, profile, token)
    client_id = str(answer["client_id"]).strip()
    tool_configuration = answer.get(protocol.LTI_TOOL_CONFIGURATION)
    deployment_id = None
    if isinstance(tool_configuration, dict) and tool_configuration.get("deployment_id"):
        # Moodle returns the deployment (its tool type id) with the registration.
        deployment_id = str(tool_configuration["deployment_id"]).strip()
    granted = _granted_scopes(answer)
    platform = plan.platform
    details: dict[str, Any] = {
        "platform_name": platform.display_name,
        "placements": plan.placements,
        "deployment_id_returned": deployment_id,
    }
    config_url = answer.get(protocol.CANVAS_REGISTRATION_CONFIG_URL)
    if isinstance(config_url, str):
        # Canvas: where its admins review (and may trim) what was registered.
        details["canvas_registration_config_url"] = config_url
    refused = [s for s in plan.requested_scopes if granted is not None and s not in granted]
    known = find_platform(session, platform.issuer, client_id)
    if known is not None:
        # A client ID the tool has, from the platform that issued it: the LMS re-registered
        # (Moodle 5.1's recommended "Update" when a tool on the same host exists; Canvas
        # re-installs). It changed that registration in place, so the tool does too.
        update = update_registration(
            session,
            known,
            {
                "auth_login_url": platform.authorization_endpoint,
                "auth_token_url": platform.token_endpoint,
                "key_set_url": platform.jwks_uri,
                "product_family": platform.product_family,
                "deployment_ids": [deployment_id] if deployment_id else [],
                "requested_scopes": plan.requested_scopes,
                "platform_version": platform.version,
                "details": details,
                **({"granted_scopes": granted} if granted is not None else {}),
            },
            reasons=plan.reasons,
        )
        return RegistrationOutcome(
            registration=known,
            deployment_id=deployment_id,
            granted_scopes=granted or [],
            refused_scopes=refused,
            services=service_status(known),
            pending_reason=update.pending_reason,
            placements=plan.placements,
            updated=True,
            update_held=update.held,
        )
    reasons = list(plan.reasons)
    conflict = issuer_conflict(
        registrations_of_issuer(session, platform.issuer), client_id, platform.jwks_uri
    )
    if conflict:
        reasons.append(conflict)
    try:
        registration = create_platform(
            session,
            issuer=platform.issuer,
            client_id=client_id,
            auth_login_url=platform.authorization_endpoint,
            auth_token_url=platform.token_endpoint,
            key_set_url=platform.jwks_uri,
            source="dynamic",
            name=platform.display_name,
            deployment_ids=[deployment_id] if deployment_id else [],
            product_family=platform.product_family,
            auto_approve_deployments=plan.trust_new_deployments,
            granted_scopes=granted,
            pending_reason=" ".join(reasons) or None,
            openid_configuration_url=platform.url,
            platform_version=platform.version,
            requested_scopes=plan.requested_scopes,
            details={**details, "invited": plan.invitation is not None},
        )
        if plan.invitation is not None:
            spend_invitation(session, plan.invitation, registration.id)
    except (DuplicatePlatform, IntegrityError) as exc:
        # A concurrent registration of the same client_id loses at the unique constraint.
        session.rollback()
        raise DuplicateRegistration(
            f"Your LMS registered the tool with client ID {client_id}, which the tool already "
            f"has for {platform.issuer}."
        ) from exc
    except InvitationInvalid:
        session.rollback()
        raise
    return RegistrationOutcome(
        registration=registration,
        deployment_id=deployment_id,
        granted_scopes=granted or [],
        refused_scopes=refused,
        services=service_status(registration),
        pending_reason=" ".join(reasons) or None,
        placements=plan.placements,
    )
