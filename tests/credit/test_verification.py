"""The public verification page over real HTTP: valid, unknown, malformed, replaced, revoked."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from lti_tool.catalog import activity_for_version
from lti_tool.certificates import new_certificate_number
from lti_tool.credit.forms import read_claim_form
from lti_tool.credit.issue import correct_certificate, revoke_certificate
from lti_tool.db import utcnow
from lti_tool.models import Certificate

from .support import NABP_ID, claim_form, eligible_participation, issue


def verify(credit_tool, number, **options):
    return requests.get(
        f"{credit_tool.base_url}/certificates/verify/{number}", timeout=10, **options
    )


def issued(credit_tool, credit_config, profession="pharmacist", **form):
    factory = credit_tool.services.session_factory
    participation_id = eligible_participation(factory)
    return issue(factory, credit_config, participation_id, claim_form(profession, **form))


def test_valid_certificate_shows_for_whom_and_what_without_pii(credit_tool, credit_config):
    result = issued(credit_tool, credit_config, name="Mei Chen", email="mei.chen@example.org")

    response = verify(credit_tool, result.certificate.number)

    assert response.status_code == 200
    for expected in (
        "Valid certificate",
        f"Certificate {result.certificate.number} is valid.",
        "Mei Chen, PharmD",
        "Pharmacist",
        "Breaking the hold",
        "ScientiaCME",
        "1.25 contact hours of continuing pharmacy education (ACPE)",
    ):
        assert expected in response.text, expected
    for private in (NABP_ID, "0314", "March 14", "mei.chen@example.org"):
        assert private not in response.text
    assert '<meta name="robots" content="noindex">' in response.text


def test_physician_verification_states_the_credits_claimed(credit_tool, credit_config):
    result = issued(
        credit_tool, credit_config, "physician", credits="0.50", time_spent_minutes="30"
    )

    response = verify(credit_tool, result.certificate.number)

    assert "0.50 AMA PRA Category 1 Credit(s)™ claimed" in response.text


def test_unknown_number_is_not_found(credit_tool):
    response = verify(credit_tool, new_certificate_number("CD26"))

    assert response.status_code == 404
    assert "No certificate with the number" in response.text


def test_mistyped_number_fails_its_check_character(credit_tool, credit_config):
    number = issued(credit_tool, credit_config, "nurse").certificate.number
    last = number[-1]
    mistyped = number[:-1] + ("0" if last != "0" else "1")

    response = verify(credit_tool, mistyped)

    assert response.status_code == 404
    assert "This is not a certificate number" in response.text


def test_number_typed_in_lower_case_with_spaces_leads_to_its_page(credit_tool, credit_config):
    number = issued(credit_tool, credit_config, "other").certificate.number
    typed = number.lower().replace("-", " ")

    looked_up = requests.get(
        f"{credit_tool.base_url}/certificates/verify", params={"number": typed}, timeout=10
    )

    assert looked_up.status_code == 200
    assert looked_up.url.endswith(f"/certificates/verify/{number}")
    assert "Valid certificate" in looked_up.text


def test_replaced_certificate_names_its_replacement(credit_tool, credit_config):
    old = issued(credit_tool, credit_config, "nurse", name="Amelia Okonko").certificate
    factory = credit_tool.services.session_factory
    with factory.begin() as session:
        certificate = session.get(Certificate, old.id)
        activity = activity_for_version(certificate.activity_version)
        corrected = read_claim_form(claim_form("nurse", name="Amelia Okonkwo"), activity)
        new = correct_certificate(
            session,
            credit_config,
            certificate.user,
            certificate,
            activity,
            corrected.request,
            utcnow(),
        ).certificate

    replaced = verify(credit_tool, old.number)
    current = verify(credit_tool, new.number)

    assert replaced.status_code == 410
    assert "This certificate is no longer valid" in replaced.text
    link = rf'by\s+<a href="/certificates/verify/{new.number}">certificate {new.number}</a>'
    assert re.search(link, replaced.text)
    assert current.status_code == 200
    assert "Amelia Okonkwo, RN, BSN" in current.text
    assert new.number != old.number


def test_revoked_certificate_says_so_and_why(credit_tool, credit_config):
    number = issued(credit_tool, credit_config, "physician_assistant").certificate.number
    with credit_tool.services.session_factory.begin() as session:
        certificate = session.scalars(select(Certificate).filter_by(number=number)).one()
        revoke_certificate(session, certificate, "Credit was awarded in error.", utcnow())

    response = verify(credit_tool, number)

    assert response.status_code == 410
    assert f"Certificate {number} was revoked on" in response.text
    assert "Credit was awarded in error." in response.text
    assert "Valid certificate" not in response.text


def test_a_demonstration_certificate_says_on_the_verification_page_it_is_not_for_credit(
    credit_tool, credit_config
):
    # The bundled activity has no reviewer's sign-off, so its certificates are demonstrations.
    result = issued(credit_tool, credit_config, "physician")

    response = verify(credit_tool, result.certificate.number)

    assert "Demonstration — not valid for credit." in response.text
    assert 'data-status="demonstration"' in response.text
