"""Bad input on the claim form: a clear message on the field, tied to it for screen readers,
and nothing issued or stored. Over real HTTP, plus the form rules on their own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from lti_tool.catalog import activity_for_version, current_version
from lti_tool.course import ActivityExpired, ClaimNotAllowedYet
from lti_tool.credit.forms import credits_for_minutes, minutes_for_credits, read_claim_form
from lti_tool.models import Certificate, LearnerProfile, Participation

from .support import (
    claim_form,
    eligible_participation,
    expired_version,
    issue,
    launch_learner,
    make_eligible,
    page,
    pin_to_version,
)

BAD_INPUTS = [
    (
        "pharmacist",
        {"nabp_eprofile_id": "12AB"},
        "nabp_eprofile_id",
        "An NABP e-Profile ID is a number of 6 or 7 digits; “12AB” is not one.",
    ),
    ("pharmacist", {"nabp_eprofile_id": ""}, "nabp_eprofile_id", "Enter your NABP e-Profile ID"),
    (
        "pharmacist",
        {"birth_month": "2", "birth_day": "30"},
        "birth_date",
        "February 30 is not a date",
    ),
    (
        "pharmacist",
        {"birth_month": "", "birth_day": ""},
        "birth_date",
        "Choose the month and the day of your birth",
    ),
    (
        "physician",
        {"credits": "1.50", "time_spent_minutes": "120"},
        "credits",
        "You can claim at most 1.25 credits for this activity.",
    ),
    ("physician", {"credits": "0.30"}, "credits", "quarter-hour steps"),
    ("physician", {"credits": "lots"}, "credits", "Choose the number of credits you claim."),
    (
        "physician",
        {"credits": "1.25", "time_spent_minutes": "30"},
        "credits",
        "You recorded 30 minutes, which is 0.50 credits",
    ),
    ("physician", {"attestation": ""}, "attestation", "commensurate with the extent"),
    ("physician", {"time_spent_minutes": "forty"}, "time_spent_minutes", "whole number"),
    (
        "nurse",
        {"certificate_name": "<b>Amelia</b>"},
        "certificate_name",
        "Your name cannot contain &lt; or &gt;.",
    ),
    (
        "nurse",
        {"certificate_name": "A" * 200},
        "certificate_name",
        "Your name can have at most 120 characters; this one has 200.",
    ),
    ("nurse", {"certificate_name": "  "}, "certificate_name", "Enter your name"),
    ("nurse", {"email": "not-an-address"}, "email", "Enter one email address"),
    ("nurse", {"email": "a@example.org, b@example.org"}, "email", "Enter one email address"),
    ("nurse", {"licence_state": "ZZ"}, "licence_state", "Choose the licensing state"),
    ("nurse", {"profession": "dentist"}, "profession", "offers no credit for that profession"),
    ("nurse", {"profession": "pharmacy_technician"}, "profession", "offers no credit"),
]


@pytest.fixture(scope="module")
def eligible(credit_tool):
    """One eligible learner for every refused claim (none of them issues anything)."""
    learner = launch_learner(credit_tool, given_name="Rosa", family_name="Jiménez")
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    return learner


@pytest.mark.parametrize(("profession", "bad", "field", "message"), BAD_INPUTS)
def test_bad_input_gets_a_message_on_its_field_and_nothing_is_issued(
    credit_tool, eligible, profession, bad, field, message
):
    response = eligible.claim({**claim_form(profession), **bad})
    shown = page(response)

    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error">' in shown.html
    assert message in shown.html
    # The control (or its fieldset) names the message, so screen readers read it out.
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error\b[^"]*"', shown.html)
    if field != "profession":  # a radio group is described, not marked invalid (ARIA 1.2)
        assert 'aria-invalid="true"' in shown.html
    assert 'class="error-summary"' in shown.html
    with credit_tool.services.session_factory() as session:
        participation = session.get(Participation, eligible.participation_id)
        issued = session.scalars(
            select(Certificate).where(Certificate.participation_id == participation.id)
        ).all()
        profile = session.scalar(
            select(LearnerProfile).where(LearnerProfile.user_id == participation.user_id)
        )
    assert participation.credit_claimed_at is None
    assert issued == []
    assert profile is None


def test_markup_in_a_name_is_shown_back_escaped(eligible):
    shown = eligible.claim(claim_form("nurse", name='<script>alert("x")</script>')).text

    assert "<script>alert" not in shown
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in shown


def test_a_name_from_the_lms_with_markup_is_escaped_in_the_prefilled_form(credit_tool):
    learner = launch_learner(
        credit_tool, given_name="<img src=x onerror=alert(1)>", family_name="O'Neil"
    )
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    shown = learner.get("/certificates/claim").text

    assert "<img src=x" not in shown
    assert "&lt;img src=x onerror=alert(1)&gt; O&#39;Neil" in shown


def test_claim_after_expiration_is_refused_on_the_form_and_nothing_is_issued(credit_tool):
    factory = credit_tool.services.session_factory
    learner = launch_learner(credit_tool)
    pin_to_version(factory, learner.participation_id, expired_version(factory))
    make_eligible(factory, learner.participation_id)  # evaluation "completed" after expiry

    shown = learner.get("/certificates/claim")
    posted = learner.claim(claim_form("physician"))

    assert shown.status_code == 410
    assert "This activity expired on October 1, 2026" in shown.text
    assert "Credit is no longer available" in shown.text
    assert "not available yet" not in shown.text  # it never will be
    assert posted.status_code == 410
    assert "credit can no longer be claimed, and nothing was issued" in posted.text
    with factory() as session:
        assert (
            session.scalars(
                select(Certificate).where(Certificate.participation_id == learner.participation_id)
            ).all()
            == []
        )


def test_domain_core_refuses_claims_before_passing_and_after_expiration(credit_tool, credit_config):
    factory = credit_tool.services.session_factory
    not_passed = eligible_participation(factory, passed=False)
    late = eligible_participation(factory, completed_at=datetime(2028, 1, 20, tzinfo=UTC))

    with pytest.raises(ClaimNotAllowedYet):
        issue(factory, credit_config, not_passed, claim_form("nurse"))
    with pytest.raises(ActivityExpired):
        issue(
            factory, credit_config, late, claim_form("nurse"), now=datetime(2028, 1, 21, tzinfo=UTC)
        )
    with factory() as session:
        for participation_id in (not_passed, late):
            assert session.get(Participation, participation_id).credit_claimed_at is None


def test_evaluation_completed_before_expiration_may_still_claim_after_it(
    credit_tool, credit_config
):
    factory = credit_tool.services.session_factory
    in_time = eligible_participation(factory, completed_at=datetime(2028, 1, 10, tzinfo=UTC))

    issued = issue(
        factory, credit_config, in_time, claim_form("other"), now=datetime(2028, 2, 1, tzinfo=UTC)
    )

    assert issued.certificate.number.startswith("CD28-")


@pytest.mark.parametrize(
    "name", ["Zoë O'Brien-Núñez", "Jean-Luc D’Arcy", "Nguyễn Thị Minh Khai", "李小龍", "A" * 120]
)
def test_names_with_accents_apostrophes_and_hyphens_are_accepted(credit_tool, name):
    with credit_tool.services.session_factory() as session:
        activity = activity_for_version(current_version(session, "cervical-dystonia"))

    result = read_claim_form(claim_form("nurse", name=name), activity)

    assert result.errors == {}
    assert result.request.registration.certificate_name == name


def test_time_spent_rounds_to_the_nearest_quarter_hour():
    assert credits_for_minutes(7) == Decimal("0")
    assert credits_for_minutes(8) == Decimal("0.25")
    assert credits_for_minutes(45) == Decimal("0.75")
    assert credits_for_minutes(67) == Decimal("1.00")
    assert credits_for_minutes(68) == Decimal("1.25")
    assert minutes_for_credits(Decimal("1.25")) == 68
    assert all(
        credits_for_minutes(minutes_for_credits(Decimal(q) / 4)) == Decimal(q) / 4
        for q in range(1, 9)
    )


def test_fields_of_other_professions_are_not_kept(credit_tool):
    with credit_tool.services.session_factory() as session:
        activity = activity_for_version(current_version(session, "cervical-dystonia"))

    result = read_claim_form(
        claim_form(
            "nurse", nabp_eprofile_id="4123456", birth_month="3", birth_day="14", credits="1.25"
        ),
        activity,
    )

    registration = result.request.registration
    assert (registration.nabp_eprofile_id, registration.birth_mmdd) == (None, None)
    assert result.request.physician is None
