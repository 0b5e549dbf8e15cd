"""Self-check of a registered platform: does the tool's side of the trust actually work?

It fetches the platform's key set (launches are verified with it; LTI 1.3 Core §5.1.3) and
asks the platform's token endpoint for a grade-passback token and a roster (NRPS) token
with the tool's signed client assertion (1EdTech Security Framework §4.1, RFC 7523), then
says in plain words what works and what is misconfigured. Used by ``lti-tool platforms
check`` and the console's "Check" button. Nothing is stored and no grade is sent.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.keys import KeyStore
from lti_tool.models import DeploymentStatus, Registration
from lti_tool.registration.outbound import Outbound, OutboundError, error_text
from lti_tool.registration.platforms import is_pending_approval

OK, INFO, WARNING, PROBLEM = "ok", "info", "warning", "problem"


@dataclass(frozen=True)
class Finding:
    level: str
    title: str
    detail: str


@dataclass
class SelfCheckReport:
    platform: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level == PROBLEM]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def add(self, level: str, title: str, detail: str) -> None:
        self.findings.append(Finding(level, title, detail))


def check_platform(
    session: Session, registration: Registration, key_store: KeyStore, outbound: Outbound
) -> SelfCheckReport:
    report = SelfCheckReport(platform=f"{registration.name} (client ID {registration.client_id})")
    _check_state(session, registration, report)
    _check_key_set(registration, outbound, report)
    _check_token(registration, key_store, outbound, report)
    return report


def _check_state(session: Session, registration: Registration, report: SelfCheckReport) -> None:
    if is_pending_approval(session, registration):
        report.add(
            WARNING,
            "Waiting for approval",
            "An operator has not approved this LMS yet; its launches are refused until then.",
        )
    elif not registration.active:
        report.add(WARNING, "Disabled", "This LMS is disabled; its launches are refused.")
    active = [d for d in registration.deployments if d.status is DeploymentStatus.ACTIVE]
    pending = [d for d in registration.deployments if d.status is DeploymentStatus.PENDING]
    if pending:
        report.add(
            WARNING,
            "Deployments waiting for approval",
            f"{len(pending)} deployment(s) launched but are not approved yet: "
            + ", ".join(d.deployment_id for d in pending),
        )
    if not active and not registration.auto_approve_deployments:
        report.add(
            INFO,
            "No approved deployment yet",
            "The LMS has not launched the tool from an approved deployment. Canvas tells the "
            "tool its deployment at the first launch; approve it here when it appears.",
        )


def _check_key_set(registration: Registration, outbound: Outbound, report: SelfCheckReport) -> None:
    url = registration.key_set_url
    consequence = "Launches from this LMS will be refused because they cannot be verified."
    try:
        response = outbound.request("GET", url)
    except OutboundError as exc:
        report.add(PROBLEM, "Public keys unreachable", f"{exc.reason} {consequence}")
        return
    if response.status_code != 200:
        report.add(
            PROBLEM,
            "Public keys not found",
            f"The key set URL {url} answered HTTP {response.status_code}. Check the "
            f"'public keyset URL' copied from the LMS. {consequence}",
        )
        return
    try:
        document = response.json()
    except ValueError:
        document = None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        report.add(
            PROBLEM,
            "Not a key set",
            f"{url} does not answer a JSON Web Key Set (no 'keys' list). {consequence}",
        )
        return
    usable = [
        key
        for key in keys
        if isinstance(key, dict) and key.get("kty") == "RSA" and key.get("use", "sig") == "sig"
    ]
    if not usable:
        report.add(PROBLEM, "No signing keys", f"{url} publishes no RSA signing key. {consequence}")
        return
    report.add(
        OK,
        "Public keys",
        f"The LMS publishes {len(usable)} signing key(s) at {url}; launches can be verified.",
    )


def client_assertion(registration: Registration, key_store: KeyStore) -> str:
    """The signed JWT the tool presents instead of a client secret (RFC 7523 §2.2)."""
    key = key_store.signing_key()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": registration.client_id,
        "sub": registration.client_id,
        "aud": registration.auth_audience or registration.auth_token_url,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


@dataclass(frozen=True)
class _Service:
    """One LTI Advantage service the self-check asks a token for, and how to say so."""

    name: str
    scopes: tuple[str, ...]
    not_granted: str
    refused: str
    unreachable: str


SERVICES = (
    _Service(
        name="Grade passback",
        scopes=tuple(protocol.AGS_SCOPES),
        not_granted="The LMS granted no grade scope, so the tool does not send grades; "
        "nothing to test.",
        refused="Enable Assignment and Grade Services for this tool in the LMS, or grades "
        "stay in the tool.",
        unreachable="Grades cannot be sent until it answers.",
    ),
    # NRPS 2.0 §2.3: the roster is read with its own scope; Moodle ties it to the tool's
    # "IMS LTI Names and Role Provisioning" setting, Canvas to the developer key's scopes.
    _Service(
        name="Course roster (NRPS)",
        scopes=(protocol.SCOPE_NRPS,),
        not_granted="The LMS did not grant Names and Role Provisioning; instructors see only "
        "learners who have opened the activity. Nothing to test.",
        refused="Enable Names and Role Provisioning for this tool in the LMS (Moodle: 'IMS "
        "LTI Names and Role Provisioning' in the tool's settings; Canvas: the developer "
        "key's NRPS scope), or instructors see only learners who opened the activity.",
        unreachable="The roster cannot be read until it answers.",
    ),
)


def _check_token(
    registration: Registration, key_store: KeyStore, outbound: Outbound, report: SelfCheckReport
) -> None:
    for service in SERVICES:
        _check_service_token(registration, key_store, outbound, report, service)


def _check_service_token(
    registration: Registration,
    key_store: KeyStore,
    outbound: Outbound,
    report: SelfCheckReport,
    service: _Service,
) -> None:
    granted = registration.granted_scopes
    scopes = [s for s in service.scopes if granted is None or s in granted]
    if not scopes:
        report.add(INFO, f"{service.name} not granted", service.not_granted)
        return
    url = registration.auth_token_url
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": protocol.CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion(registration, key_store),
        "scope": " ".join(scopes),
    }
    try:
        response = outbound.request("POST", url, data=form)
    except OutboundError as exc:
        report.add(PROBLEM, "Token endpoint unreachable", f"{exc.reason} {service.unreachable}")
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code == 200 and isinstance(body.get("access_token"), str):
        issued = str(body.get("scope") or " ".join(scopes)).split()
        missing = [s for s in scopes if s not in issued]
        report.add(
            OK,
            service.name,
            "The LMS accepted the tool's signed request and issued a token for "
            f"{len(issued)} {service.name.lower()} scope(s).",
        )
        if missing:
            report.add(
                WARNING,
                f"Fewer {service.name.lower()} scopes than registered",
                "The token does not cover: " + ", ".join(missing) + ".",
            )
        return
    error = str(body.get("error") or "")
    said = error_text(response)
    if error == "invalid_scope":
        report.add(
            PROBLEM,
            f"{service.name}: scope refused",
            f"The LMS refused the scope ({said}). {service.refused}",
        )
    elif error in ("invalid_client", "unauthorized_client") or response.status_code == 401:
        report.add(
            PROBLEM,
            "The LMS does not accept the tool's signature",
            f"The token endpoint said: {said}. Check that the client ID here "
            f"({registration.client_id}) is the one the LMS shows, and that the LMS uses the "
            "tool's public keyset URL rather than a pasted key.",
        )
    else:
        report.add(
            PROBLEM,
            "Token request failed",
            f"{url} answered HTTP {response.status_code}: {said}. Check the token URL.",
        )
