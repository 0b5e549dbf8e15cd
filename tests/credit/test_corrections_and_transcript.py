"""Corrections replace a certificate (both kept); the transcript lists certificates for
re-download at any time; downloads are the learner's own and never re-rendered."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from lti_tool.models import AuditEvent, Certificate

from .support import claim_form, launch_learner, make_eligible, page, pdf_text


def claimed(credit_tool, form, **person):
    learner = launch_learner(credit_tool, **person)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    response = learner.claim(form)
    number = re.search(r"Certificate number</dt><dd>([0-9A-Z-]+)<", response.text).group(1)
    return learner, number


def correct(learner, number, form):
    return learner.post(f"/certificates/{number}/correct", {"csrf_token": learner.csrf, **form})


def test_correction_replaces_the_certificate_and_the_transcript_keeps_both(credit_tool):
    first = claim_form("nurse", name="Amelia Okonko")
    learner, old = claimed(credit_tool, first)

    corrected = page(correct(learner, old, {**first, "certificate_name": "Amelia Okonkwo"}))
    new = re.search(r"Certificate number ([0-9A-Z-]+)", corrected.text).group(1)
    transcript = page(learner.get("/certificates/transcript"))
    pdf = learner.get(transcript.link(f"Download {new}"))

    assert new != old
    assert "Issued to Amelia Okonkwo, RN, BSN" in corrected.text
    assert "Replaced certificates" in transcript.text
    # A way back to the activity, and no link from the transcript to itself.
    assert transcript.link("Back to the activity").endswith("/activity/")
    assert not [href for href, _ in transcript.links if href.endswith("/certificates/transcript")]
    assert f"Download {old}" not in transcript.text
    assert old in transcript.text
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="certificate-{new}.pdf"'
    assert pdf.headers["Cache-Control"] == "private, no-store"
    assert "Amelia Okonkwo, RN, BSN" in pdf_text(pdf.content)
    with credit_tool.services.session_factory() as session:
        rows = session.scalars(
            select(Certificate)
            .where(Certificate.participation_id == learner.participation_id)
            .order_by(Certificate.id)
        ).all()
        replaced = session.scalars(
            select(AuditEvent).where(
                AuditEvent.participation_id == learner.participation_id,
                AuditEvent.event == "certificate_replaced",
            )
        ).one()
    assert [(c.number, c.in_force) for c in rows] == [(old, False), (new, True)]
    assert rows[0].replaced_by_id == rows[1].id
    assert replaced.details["replaced"] == old and replaced.details["by"] == new
    assert replaced.details["changed"] == ["certificate_name"]


def test_physician_may_correct_the_credits_claimed(credit_tool):
    learner, old = claimed(credit_tool, claim_form("physician"))

    corrected = correct(
        learner, old, claim_form("physician", time_spent_minutes="60", credits="1.00")
    )

    assert corrected.status_code == 200
    assert "1.00 AMA PRA Category 1 Credit(s)™ claimed" in corrected.text
    assert "60 minutes" in corrected.text


def test_correction_keeps_the_profession_of_the_claim(credit_tool):
    learner, number = claimed(credit_tool, claim_form("nurse"))

    refused = correct(learner, number, claim_form("pharmacist"))

    assert refused.status_code == 400
    assert "A correction keeps the profession of the claim" in refused.text


def test_a_replaced_certificate_cannot_be_corrected_again(credit_tool):
    learner, old = claimed(credit_tool, claim_form("other"))
    correct(learner, old, claim_form("other", name="Amelia O. Okonkwo"))

    again = correct(learner, old, claim_form("other", name="Someone Else"))

    assert again.status_code == 404


def test_certificates_of_other_learners_are_not_found(credit_tool):
    _owner, number = claimed(credit_tool, claim_form("nurse"))
    stranger = launch_learner(credit_tool)

    assert stranger.get(f"/certificates/{number}").status_code == 404
    assert stranger.get(f"/certificates/{number}/certificate.pdf").status_code == 404
    assert "You have no certificates yet" in stranger.get("/certificates/transcript").text


def test_a_stored_pdf_that_does_not_match_its_hash_is_never_served(credit_tool):
    learner, number = claimed(credit_tool, claim_form("nurse"))
    with credit_tool.services.session_factory.begin() as session:
        session.execute(
            update(Certificate).where(Certificate.number == number).values(pdf_sha256="0" * 64)
        )

    response = learner.get(f"/certificates/{number}/certificate.pdf")

    assert response.status_code == 500
    assert not response.content.startswith(b"%PDF")
