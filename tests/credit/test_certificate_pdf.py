"""A certificate issued for each profession of the model activity, read back with pypdf."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from lti_tool.catalog.service import sign_off_version
from lti_tool.credit.issue import certificate_in_force
from lti_tool.models import ActivitySignOff, Certificate

from .support import NABP_ID, claim_form, eligible_participation, issue, pdf_text

COMPLETED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CLAIMED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
AMA = "AMA PRA Category 1 Credit(s)\u2122"
TITLE = (
    "Breaking the hold: avoiding missteps and optimizing management in the identification "
    "and treatment of cervical dystonia"
)
ACCME = (
    "ScientiaCME is accredited by the Accreditation Council for Continuing Medical Education "
    "(ACCME) to provide continuing medical education for physicians."
)
ACPE = (
    "ScientiaCME is accredited by the Accreditation Council for Pharmacy Education (ACPE) "
    "as a provider of continuing pharmacy education."
)


def issued_pdf(credit_tool, credit_config, profession, **overrides):
    factory = credit_tool.services.session_factory
    participation_id = eligible_participation(factory, completed_at=COMPLETED)
    issued = issue(
        factory, credit_config, participation_id, claim_form(profession, **overrides), CLAIMED
    )
    with factory() as session:
        certificate = session.get(Certificate, issued.certificate.id)
        pdf = certificate.pii_bytes("pdf")
    return issued.certificate, pdf, pdf_text(pdf)


def common_elements(certificate, base_url):
    url = f"{base_url}/certificates/verify/{certificate.number}"
    return (
        TITLE,
        "SCIENTIACME",
        f"Certificate number {certificate.number}",
        f"Verify at {url}",
        "Issued March 2, 2026",
    )


def test_physician_certificate_states_the_credits_claimed_and_every_required_element(
    credit_tool, credit_config
):
    certificate, pdf, text = issued_pdf(
        credit_tool, credit_config, "physician", name="Zoë O'Brien-Núñez"
    )

    assert "Certificate of Credit" in text
    assert "Zoë O'Brien-Núñez, MD" in text
    assert f"and is awarded 0.75 {AMA}." in text
    assert "AMA PRA Category 1 Credit" in text and "\u2122" in text
    # The designated maximum appears only inside the provider's designation statement.
    assert text.count("1.25") == 1
    for expected in (
        *common_elements(certificate, credit_tool.base_url),
        "COMPLETED March 2, 2026",
        "RELEASE DATE January 14, 2026",
        "EXPIRATION DATE January 14, 2028",
        "LEARNING FORMAT Enduring material",
        ACCME,
        "ScientiaCME designates this educational activity for a maximum of 1.25",
    ):
        assert expected in text, expected
    assert certificate.number.startswith("CD26-")
    assert certificate.credits == certificate.credits.__class__("0.75")
    assert certificate.pdf_sha256 == hashlib.sha256(pdf).hexdigest()


def test_pharmacist_statement_carries_uan_eprofile_id_contact_hours_and_dates(
    credit_tool, credit_config
):
    certificate, _pdf, text = issued_pdf(credit_tool, credit_config, "pharmacist")

    for expected in (
        *common_elements(certificate, credit_tool.base_url),
        "Statement of Participation",
        "Amelia Okonkwo, PharmD",
        "for 1.25 contact hours (0.125 CEUs) of continuing pharmacy education",
        "ACPE UAN 0574-0000-26-009-H01-P",
        "ACTIVITY TYPE Application (A)",
        f"NABP E-PROFILE ID {NABP_ID}",
        "PARTICIPATION DATE March 2, 2026",
        ACPE,
        "ACPE #0574-0000-26-009-H01-P",
        "NABP CPE Monitor",
    ):
        assert expected in text, expected
    assert "AMA PRA" not in text
    # The birth date is reported to CPE Monitor, never printed.
    assert "0314" not in text and "March 14" not in text


@pytest.mark.parametrize(
    ("profession", "label", "acceptance"),
    [
        ("nurse", "NURSE", "the American Nurses Credentialing Center (ANCC) accepts"),
        ("physician_assistant", "PHYSICIAN ASSISTANT", "(AAPA) accepts AMA PRA Category 1"),
        ("nurse_practitioner", "NURSE PRACTITIONER", "Certification Board (AANPCB) states"),
        ("other", "OTHER HEALTH CARE PROFESSIONAL", None),
    ],
)
def test_other_professions_receive_a_certificate_of_participation_for_the_designated_amount(
    credit_tool, credit_config, profession, label, acceptance
):
    certificate, _pdf, text = issued_pdf(credit_tool, credit_config, profession)

    for expected in (
        *common_elements(certificate, credit_tool.base_url),
        "Certificate of Participation",
        label,
        f"This activity was designated for {AMA}.",
        "Hours of participation reported: 1.25.",
        "COMPLETED March 2, 2026",
        "RELEASE DATE January 14, 2026",
        "EXPIRATION DATE January 14, 2028",
        ACCME,
    ):
        assert expected in text, expected
    if acceptance:
        assert acceptance in text
    else:
        assert not any(body in text for body in ("ANCC", "AAPA", "AANPCB"))
    assert certificate.credits == certificate.max_credits
    # A nurse's licence number is kept for the record, not printed.
    assert "RN-204518" not in text


def test_certificate_is_rendered_once_and_downloads_never_render_again(
    credit_tool, credit_config, monkeypatch
):
    certificate, pdf, _text = issued_pdf(credit_tool, credit_config, "nurse")

    def refuse(_document):
        raise AssertionError("a stored certificate was rendered again")

    monkeypatch.setattr("lti_tool.credit.issue.render_certificate_pdf", refuse)
    with credit_tool.services.session_factory() as session:
        stored = certificate_in_force(session, certificate.participation_id)
        assert stored is not None
        again = stored.pii_bytes("pdf")

    assert again == pdf
    assert stored.pdf_size == len(pdf)


def test_a_demonstration_activity_certificate_says_it_is_not_valid_for_credit(
    credit_tool, credit_config
):
    # The bundled activity is a demonstration (activity.yaml status), written by the project's
    # authors: a certificate from it must not pass for real credit.
    _certificate, _pdf, text = issued_pdf(credit_tool, credit_config, "physician")

    assert "Demonstration" in text and "not valid for credit" in text


def test_a_signed_off_version_issues_certificates_without_the_notice(credit_tool, credit_config):
    factory = credit_tool.services.session_factory
    with factory.begin() as session:
        sign_off = sign_off_version(
            session, "cervical-dystonia", "Dr. Rita Reviewer", date(2026, 2, 1)
        )
        sign_off_id = sign_off.id
    try:
        _certificate, _pdf, text = issued_pdf(credit_tool, credit_config, "physician")
    finally:
        # The session's tool is shared: every other test sees the demonstration again.
        with factory.begin() as session:
            session.delete(session.get(ActivitySignOff, sign_off_id))

    assert "Demonstration" not in text and "Certificate of Credit" in text
