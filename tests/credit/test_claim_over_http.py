"""Claiming credit through the sandbox LMS over real HTTP: the journey's pages end to end,
then the claim form, the certificate page, the download and the verification page."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from sqlalchemy import func, select

from lti_tool.catalog import activity_for_version
from lti_tool.credit.profile import prefill
from lti_tool.journey import events
from lti_tool.models import AuditEvent, Certificate, Participation, User

from .support import (
    claim_form,
    form_fields,
    launch_learner,
    make_eligible,
    page,
    pdf_text,
)


def submit(learner, current, button, answers=None):
    form = current.form(button)
    return page(
        learner.http.post(
            urljoin(learner.tool.base_url, form.action), data=form.data(answers), timeout=60
        )
    )


def certificates_of(credit_tool, participation_id):
    with credit_tool.services.session_factory() as session:
        found = list(
            session.scalars(
                select(Certificate)
                .where(Certificate.participation_id == participation_id)
                .order_by(Certificate.id)
            )
        )
        session.expunge_all()
        return found


def test_learner_walks_the_journey_claims_credit_and_downloads_a_verifiable_certificate(
    credit_tool,
):
    learner = launch_learner(credit_tool, given_name="Jean-Luc", family_name="D'Arcy")
    with credit_tool.services.session_factory() as session:
        participation = session.get(Participation, learner.participation_id)
        activity = activity_for_version(participation.activity_version)

    current = page(learner.landed)
    current = submit(learner, current, "I have read the disclosures")
    current = submit(learner, current, "Skip the pre-test")
    for section_id in activity.section_ids:
        assert learner.get(f"/activity/sections/{section_id}").status_code == 200
    current = page(learner.get("/activity/posttest"))
    correct = {q.id: q.correct for q in activity.posttest.questions}
    current = submit(learner, current, "Submit my answers", correct)
    current = page(learner.get("/activity/evaluation"))
    form = current.form("Submit the evaluation")
    answers = {name: values[0] for name, values in form.radios.items()}
    answers["fair-balance"] = "yes"
    current = submit(learner, current, "Submit the evaluation", answers)
    record = page(learner.get("/activity/complete"))
    choose = page(
        learner.get(urljoin(credit_tool.base_url, record.link("Claim your credit and certificate")))
    )
    # Step one asks only the profession (a GET form: no JavaScript needed), physicians first.
    assert choose.status == 200
    assert "nabp_eprofile_id" not in choose.html and "time_spent_minutes" not in choose.html
    assert choose.html.index('id="profession-physician"') < choose.html.index(
        'id="profession-pharmacist"'
    )
    step_one, chosen = form_fields(choose.html, "Continue")
    assert "csrf_token" not in chosen
    claim_page = page(
        learner.http.get(
            urljoin(credit_tool.base_url, step_one),
            params={"profession": "physician"},
            timeout=30,
        )
    )
    # Step two: the physician's fields only.
    assert claim_page.status == 200
    assert "Jean-Luc D'Arcy" in claim_page.text  # prefilled from the LMS
    assert "time_spent_minutes" in claim_page.html and "nabp_eprofile_id" not in claim_page.html
    assert "licence_number" not in claim_page.html
    action, fields = form_fields(claim_page.html, "Claim credit and issue my certificate")
    assert fields["profession"] == "physician"
    fields.update(
        {
            "degree": "DO",
            "time_spent_minutes": "75",
            "credits": "1.25",
            "attestation": "yes",
            "email": "jl@example.org",
        }
    )
    done = page(learner.post(urljoin(credit_tool.base_url, action), fields))

    assert done.status == 200, done.text
    assert "Your certificate" in done.text
    number = re.search(r"Certificate number (CD26-[0-9A-Z-]+)", done.text).group(1)
    pdf = learner.get(done.link("Download your certificate"))
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Jean-Luc D'Arcy, DO" in text
    assert "and is awarded 1.25 AMA PRA Category 1 Credit(s)™." in text
    verification = learner.http.get(
        f"{credit_tool.base_url}/certificates/verify/{number}", timeout=10
    )
    assert verification.status_code == 200
    assert "Valid certificate" in verification.text
    with credit_tool.services.session_factory() as session:
        completions = session.scalar(
            select(func.count()).where(
                AuditEvent.participation_id == learner.participation_id,
                AuditEvent.event == events.JOURNEY_COMPLETED,
            )
        )
    assert completions == 1  # recorded when the evaluation was submitted, not again


def test_claim_records_every_step_in_the_audit_log_without_pii(credit_tool):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    response = learner.claim(claim_form("pharmacist"))

    assert response.status_code == 200
    with credit_tool.services.session_factory() as session:
        rows = session.execute(
            select(AuditEvent.event, AuditEvent.details)
            .where(AuditEvent.participation_id == learner.participation_id)
            .order_by(AuditEvent.id)
        ).all()
    recorded = [event for event, _ in rows]
    for step in (
        "cme_registration_saved",
        "credit_claimed",
        "certificate_issued",
        "certificate_mail_queued",
        "cpe_monitor_queued",
        "certificate_mailed",
        events.JOURNEY_COMPLETED,
    ):
        assert step in recorded, step
    details = repr([d for _, d in rows])
    assert "4123456" not in details and "0314" not in details and "@example.org" not in details


def test_a_learner_claims_once_and_a_second_submit_shows_the_same_certificate(credit_tool):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    form = claim_form("nurse")

    first = learner.claim(form)
    second = learner.claim({**form, "certificate_name": "Someone Else"})
    again = learner.get("/certificates/claim")

    assert first.url == second.url == again.url
    assert len(certificates_of(credit_tool, learner.participation_id)) == 1


def test_claim_before_passing_is_refused_with_a_message_and_nothing_is_issued(credit_tool):
    learner = launch_learner(credit_tool)

    shown = learner.get("/certificates/claim")
    posted = learner.claim(claim_form("physician"))

    assert shown.status_code == 409
    assert "Credit is claimed after you pass the post-test" in shown.text
    assert '<form method="post"' not in shown.text
    assert posted.status_code == 409
    assert "nothing was issued" in posted.text
    assert certificates_of(credit_tool, learner.participation_id) == []
    with credit_tool.services.session_factory() as session:
        participation = session.get(Participation, learner.participation_id)
        assert participation.credit_claimed_at is None


def test_the_journey_completion_page_links_to_the_claim(credit_tool):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    record = page(learner.get("/activity/complete"))

    assert record.link("Claim your credit and certificate").endswith("/certificates/claim")


def test_canvas_sends_no_email_so_the_form_asks_for_one(credit_tool):
    learner = launch_learner(credit_tool, "canvas")
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    form = page(learner.get("/certificates/claim?profession=nurse"))

    assert "did not share an email address" in form.text
    assert re.search(r'id="email" name="email" value=""', form.html)


def test_name_and_email_from_the_lms_prefill_the_first_registration(credit_tool):
    user = User(
        issuer="https://moodle.example",
        sub="7",
        given_name="Zoë",
        family_name="Ødegård",
        email="zoe@example.org",
    )

    assert prefill(user, None) == {"certificate_name": "Zoë Ødegård", "email": "zoe@example.org"}


def test_the_time_seen_on_content_is_written_in_good_english(credit_tool):
    learner = launch_learner(credit_tool, "canvas")
    factory = credit_tool.services.session_factory
    make_eligible(factory, learner.participation_id)
    with factory.begin() as session:
        session.get(Participation, learner.participation_id).seconds_on_content = 65

    form = page(learner.get("/certificates/claim?profession=physician"))

    assert "This tool saw about 1 minute on its content pages" in form.text
    assert "1 minutes" not in form.text


def test_the_overview_states_each_designation_once_and_the_support_at_the_top(credit_tool):
    learner = launch_learner(credit_tool, "canvas")
    overview = html.unescape(learner.landed.text)
    with credit_tool.services.session_factory() as session:
        participation = session.get(Participation, learner.participation_id)
        activity = activity_for_version(participation.activity_version)

    assert overview.index("Commercial support:") < overview.index("Statement of need")
    for designation in activity.meta.credits:
        statement = designation.acceptance_statement or designation.designation_statement
        assert overview.count(f"<p>{statement}</p>") == 1, designation.profession
    # The bare sentence the nurse, PA and NP statements quote is not printed above them.
    bare = "<p>This activity is designated for up to 1.25 AMA PRA Category 1 Credit(s)™.</p>"
    assert bare not in overview
