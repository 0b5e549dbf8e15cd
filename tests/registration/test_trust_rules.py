"""The trust rules' reasons (registration/trust.py), for the cases the served test tool cannot
be put in: production refuses http and loopback addresses, so it is checked here directly."""

from __future__ import annotations

from lti_tool.models import Registration
from lti_tool.registration.trust import (
    APPROVAL_BY_POLICY,
    APPROVAL_IN_PRODUCTION,
    base_reasons,
    issuer_conflict,
)


def test_production_self_registration_waits_unless_invited() -> None:
    waits = base_reasons(
        issuer_unverified=None, policy_requires_approval=False, production=True, invited=False
    )
    invited = base_reasons(
        issuer_unverified=None, policy_requires_approval=False, production=True, invited=True
    )
    development = base_reasons(
        issuer_unverified=None, policy_requires_approval=False, production=False, invited=False
    )

    assert waits == [APPROVAL_IN_PRODUCTION]
    assert invited == []
    assert development == []


def test_an_invitation_never_covers_an_unverified_issuer() -> None:
    reasons = base_reasons(
        issuer_unverified="cannot check",
        policy_requires_approval=True,
        production=True,
        invited=True,
    )

    assert reasons == ["cannot check"]
    assert APPROVAL_BY_POLICY not in reasons


def test_another_client_id_or_key_set_under_a_known_issuer_conflicts() -> None:
    known = Registration(
        issuer="https://lms.example.edu", client_id="a", key_set_url="https://lms.example.edu/k"
    )

    assert issuer_conflict([known], "b", "https://lms.example.edu/k") is not None
    assert issuer_conflict([known], "a", "https://elsewhere.example/k") is not None
    assert issuer_conflict([known], "a", "https://lms.example.edu/k") is None
    assert issuer_conflict([], "a", "https://lms.example.edu/k") is None
