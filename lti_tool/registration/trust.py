"""When a registration may go live without an operator: the rules of registration trust.

A person is one (issuer, sub) (``models/identity.py``): whoever can sign launches for an
issuer can open any of that issuer's learners' certificates and PII. So:

1. A registration for an issuer that already has one under another client ID, or with
   another key set, never goes live by itself, whatever the policy: the second party may
   not be the LMS (an attacker who got its configuration accepted, or a test server
   claiming the live issuer). An operator decides.
2. A re-registration of a live platform (Moodle's "Update", Canvas re-installs) that
   changes its key set or endpoints is held the same way; the live values keep serving
   launches meanwhile. One that changes only scopes, placements or deployments applies.
3. In production Dynamic Registration waits for an operator unless the LMS administrator
   came with an invitation (:mod:`invitations`); the open policy is for development.
4. The operator's policy may hold every new platform (an invitation satisfies it too).
5. An issuer the tool could not check against the configuration's address (Canvas
   outside Instructure's cloud) waits for an operator.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import Registration

APPROVAL_BY_POLICY = (
    "The tool's operator reviews every new LMS before it goes live; launches are refused "
    "until then."
)
APPROVAL_IN_PRODUCTION = (
    "This tool accepts self-registered LMSs only after its operator approves them (or with "
    "an invitation link from the operator); launches are refused until then."
)


def registrations_of_issuer(session: Session, issuer: str) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration).where(Registration.issuer == issuer).order_by(Registration.id)
        )
    )


def issuer_conflict(
    others: Sequence[Registration], client_id: str | None, key_set_url: str
) -> str | None:
    """Rule 1: why a registration beside ``others`` (same issuer) needs an operator."""
    conflicting = [
        r
        for r in others
        if (client_id is None or r.client_id != client_id) or (r.key_set_url != key_set_url)
    ]
    if not conflicting:
        return None
    first = conflicting[0]
    return (
        f"The tool already has a registration for the issuer {first.issuer} (client ID "
        f"{first.client_id}, keys at {first.key_set_url}). A second registration for the same "
        "issuer could sign launches as that LMS's learners, so the tool's operator must "
        "confirm it comes from the same LMS before it goes live."
    )


def base_reasons(
    *,
    issuer_unverified: str | None,
    policy_requires_approval: bool,
    production: bool,
    invited: bool,
) -> list[str]:
    """Rules 3–5: the reasons that do not depend on what the tool already has."""
    reasons = [issuer_unverified] if issuer_unverified else []
    if invited:
        # The operator approved this LMS in advance by handing out the invitation.
        return reasons
    if policy_requires_approval:
        reasons.append(APPROVAL_BY_POLICY)
    elif production:
        reasons.append(APPROVAL_IN_PRODUCTION)
    return reasons
