"""The learner's credit pages under ``/a/<launch_token>/certificates/``: CME registration and
claim, the certificate (download, mail and CPE Monitor status), corrections, the transcript.

Each view parses the request, calls one service, renders (or redirects after a POST). The
request boundary commits (lti_tool/web.py) only responses below 400, so a refused claim
stores nothing. The journey's completion page links to ``certificates.claim``.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from lti_tool import course
from lti_tool.catalog import activity_for_version
from lti_tool.course import (
    Activity,
    ActivityExpired,
    ActivityNotReleased,
    ClaimNotAllowedYet,
    CreditAlreadyClaimed,
    CreditError,
    Profession,
    Step,
)
from lti_tool.credit import audit, present
from lti_tool.credit.cpe_reports import ReportLocked, report_of
from lti_tool.credit.forms import read_claim_form
from lti_tool.credit.issue import (
    CertificateNotInForce,
    Issued,
    certificate_in_force,
    claim_and_issue,
    correct_certificate,
)
from lti_tool.credit.mail_confirmation import hold_unless_known, send_confirmation
from lti_tool.credit.profile import prefill, profile_of
from lti_tool.credit.queues import deliver_after_commit
from lti_tool.credit.settings import credit_config
from lti_tool.db import utcnow
from lti_tool.extensions import after_commit, db, services
from lti_tool.journey.errors import register_error_handler
from lti_tool.journey.state import Journey, open_journey
from lti_tool.launch.pages import current_launch, launch_blueprint
from lti_tool.limits import Limit, check
from lti_tool.models import Certificate, CertificateMail
from lti_tool.models.certificates import ReportStatus

log = logging.getLogger("lti_tool.credit")

bp = launch_blueprint("certificates", __name__, "/certificates")
register_error_handler(bp)


class CertificateNotFound(Exception):
    """No certificate with this number belongs to the learner of the launch."""


@bp.errorhandler(CertificateNotFound)
def _not_found(_error: CertificateNotFound) -> tuple[str, int]:
    return render_template(
        "credit/message.html",
        title="Certificate not found",
        message="You have no certificate with this number. Your transcript lists them all.",
    ), 404


def _journey() -> Journey:
    journey = open_journey(db(), current_launch(), utcnow())
    g.journey = journey  # the journey's error pages explain themselves with it
    course.require_entry(Step.OVERVIEW, journey.activity, journey.progress, journey.now)
    return journey


def _own_certificate(number: str) -> Certificate:
    certificate = db().scalar(
        select(Certificate).where(
            Certificate.number == number.upper(), Certificate.user_id == current_launch().user.id
        )
    )
    if certificate is None:
        raise CertificateNotFound(number)
    return certificate


def _see_certificate(certificate: Certificate) -> Response:
    return redirect(url_for(".certificate", number=certificate.number), code=303)


def _render_form(
    template: str,
    activity: Activity,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    **context: Any,
) -> tuple[str, int]:
    page = render_template(
        template,
        activity=activity,
        **present.form_context(activity, values, errors),
        **context,
    )
    return page, status


# -- claim ------------------------------------------------------------------------------------
@bp.get("/claim")
def claim() -> Response | tuple[str, int]:
    journey = _journey()
    if journey.participation.credit_claimed_at is not None:
        found = certificate_in_force(db(), journey.participation.id)
        return _see_certificate(found) if found else redirect(url_for(".transcript"))
    problem = course.entry_problem(Step.CREDIT, journey.activity, journey.progress, journey.now)
    if problem is not None:
        return _not_claimable(journey, problem)
    user = current_launch().user
    values = prefill(user, profile_of(db(), user))
    # Step two of the form: the profession chosen in step one (a GET form, no JavaScript).
    if "profession" in request.args:
        values["profession"] = request.args["profession"]
    return _render_claim(journey, values, {})


def _render_claim(
    journey: Journey,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    problem: str | None = None,
) -> tuple[str, int]:
    return _render_form(
        "credit/claim.html",
        journey.activity,
        values,
        errors,
        status,
        problem=problem,
        lms_sent_email=bool(current_launch().user.email),
        minutes_on_content=journey.participation.seconds_on_content // 60,
    )


def _not_claimable(journey: Journey, problem: Exception) -> tuple[str, int]:
    status = 410 if isinstance(problem, ActivityExpired) else 409
    unavailable = journey.unavailable
    if unavailable is not None:
        message = unavailable.message
    elif isinstance(problem, ActivityNotReleased):
        message = "This activity is not open yet."
    else:
        message = (
            "Credit is claimed after you pass the post-test and complete the evaluation. "
            "Please finish those steps first."
        )
    # An expired activity will never give credit: "not available yet" would mislead.
    heading = (
        "Credit is no longer available"
        if isinstance(problem, ActivityExpired)
        else "Credit is not available yet"
    )
    return render_template(
        "credit/not_claimable.html", activity=journey.activity, message=message, heading=heading
    ), status


@bp.post("/claim")
def submit_claim() -> Response | tuple[str, int]:
    journey = _journey()
    result = read_claim_form(request.form, journey.activity)
    if result.request is None:
        return _render_claim(journey, result.values, result.errors, 400)
    session = db()
    try:
        issued = claim_and_issue(
            session,
            credit_config(),
            current_launch().user,
            journey.participation,
            journey.activity,
            result.request,
            journey.now,
        )
    except CreditAlreadyClaimed:
        session.rollback()
        found = certificate_in_force(session, journey.participation.id)
        return _see_certificate(found) if found else redirect(url_for(".transcript"), code=303)
    except (ClaimNotAllowedYet, ActivityExpired, ActivityNotReleased) as refused:
        status = 410 if isinstance(refused, ActivityExpired) else 409
        return _render_claim(journey, result.values, {}, status, _refusal(journey, refused))
    except CreditError as refused:  # a rule of the domain core the form did not word
        return _render_claim(journey, result.values, {}, 400, str(refused))
    _deliver(issued)
    return _see_certificate(issued.certificate)


def _refusal(journey: Journey, refused: Exception) -> str:
    if isinstance(refused, ActivityExpired):
        expired = journey.activity.meta.expiration_date
        return (
            f"This activity expired on {present.long_date(expired)}: credit can no longer be "
            "claimed, and nothing was issued."
        )
    if isinstance(refused, ActivityNotReleased):
        return "This activity is not open yet: nothing was issued."
    return (
        "Credit is claimed after you pass the post-test and complete the evaluation; "
        "nothing was issued. Please finish those steps first."
    )


def _deliver(issued: Issued) -> None:
    """After the commit: mail the certificate, then submit the CPE Monitor report."""
    outbox, config = services().outbox, credit_config()
    mail_id = issued.mail.id
    report_id = issued.report.id if issued.report is not None else None
    after_commit(lambda: deliver_after_commit(outbox, config, mail_id, report_id))


# -- the certificate --------------------------------------------------------------------------
@bp.get("/<number>")
def certificate(number: str) -> str:
    found = _own_certificate(number)
    session = db()
    mail = session.scalar(
        select(CertificateMail)
        .where(CertificateMail.certificate_id == found.id)
        .order_by(CertificateMail.id.desc())
        .limit(1)
    )
    report = report_of(session, found.participation_id)
    replaced_by = session.get(Certificate, found.replaced_by_id) if found.replaced_by_id else None
    return render_template(
        "credit/certificate.html",
        certificate=found,
        credit_line=present.credit_line(found),
        profession=present.profession_label(found.profession),
        mail_notice=present.mail_notice(mail) if found.in_force else None,
        cpe_notice=present.cpe_notice(report) if found.in_force else None,
        cpe_rejected=report is not None and report.status is ReportStatus.REJECTED,
        replaced_by=replaced_by,
        long_date=present.long_date,
    )


@bp.get("/<number>/certificate.pdf")
def download(number: str) -> Response:
    found = _own_certificate(number)
    pdf = found.pii_bytes("pdf")
    if pdf is None or hashlib.sha256(pdf).hexdigest() != found.pdf_sha256:
        # A stored certificate that does not match its hash is never served.
        log.error("certificate %s: stored PDF does not match its SHA-256", found.number)
        abort(500)
    audit.record(
        db(), found.participation, audit.CERTIFICATE_DOWNLOADED, utcnow(), certificate=found.number
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{found.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


# -- corrections ------------------------------------------------------------------------------
def _correction_target(number: str) -> Certificate:
    found = _own_certificate(number)
    if not found.in_force:
        raise CertificateNotFound(number)
    return found


@bp.get("/<number>/correct")
def correct(number: str) -> tuple[str, int]:
    found = _correction_target(number)
    user = current_launch().user
    values = prefill(user, profile_of(db(), user))
    values["profession"] = found.profession
    if found.time_spent_minutes is not None:
        values["time_spent_minutes"] = str(found.time_spent_minutes)
        values["credits"] = present.format_credits(found.credits)
    return _render_correction(found, values, {})


def _render_correction(
    found: Certificate, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    activity = activity_for_version(found.activity_version)
    return _render_form(
        "credit/correct.html",
        activity,
        values,
        errors,
        status,
        certificate=found,
        profession=present.profession_label(found.profession),
        locked_profession=found.profession,
    )


@bp.post("/<number>/correct")
def submit_correction(number: str) -> Response | tuple[str, int]:
    found = _correction_target(number)
    activity = activity_for_version(found.activity_version)
    result = read_claim_form(request.form, activity, locked_profession=Profession(found.profession))
    if result.request is None:
        return _render_correction(found, result.values, result.errors, 400)
    # Each correction renders and mails a new certificate: a few per learner and activity a day.
    settings = services().settings
    check(
        services().session_factory,
        Limit("corrections", settings.corrections_per_day, 24 * 3600),
        f"participation:{found.participation_id}",
        "certificate corrections for this activity",
    )
    try:
        issued = correct_certificate(
            db(),
            credit_config(),
            current_launch().user,
            found,
            activity,
            result.request,
            utcnow(),
        )
    except ReportLocked:
        errors = {
            "nabp_eprofile_id": "CPE Monitor already accepted your credit with the e-Profile ID "
            "and birth date on file; to change them, contact the provider."
        }
        return _render_correction(found, result.values, errors, 409)
    except CertificateNotInForce as stale:
        raise CertificateNotFound(number) from stale
    held = hold_unless_known(
        db(), issued.mail, current_launch().user, settings.secret_key, settings.base_url
    )
    if held is not None:
        # Only the link goes to an address not known to be the learner's; nothing with PII.
        mail_settings, outbox = credit_config().mail, services().outbox
        after_commit(lambda: send_confirmation(held, mail_settings, outbox.in_background))
    _deliver(issued)
    return _see_certificate(issued.certificate)


# -- transcript -------------------------------------------------------------------------------
@bp.get("/transcript")
def transcript() -> str:
    rows = db().scalars(
        select(Certificate)
        .where(Certificate.user_id == current_launch().user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    certificates = list(rows)
    return render_template(
        "credit/transcript.html",
        in_force=[c for c in certificates if c.in_force],
        replaced=[c for c in certificates if not c.in_force],
        credit_line=present.credit_line,
        long_date=present.long_date,
    )
