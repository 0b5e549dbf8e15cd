"""Claiming credit and issuing the certificate; correcting a certificate by replacing it.

``claim_and_issue`` is the one way a certificate comes to exist. In one transaction it asks
the domain core whether the claim stands (``claim_credit``: a passed post-test, a completed
evaluation, inside the release and expiration dates, not claimed before, the amount on the
quarter-hour grid), marks the participation claimed exactly once, stores the learner's
registration, renders the PDF once and stores it (sealed, with its SHA-256), queues the mail
and, for pharmacy, the CPE Monitor report, and appends every step to the audit log.

Why the PDF lives in the database, not in a file under the instance folder: the certificate
and its PDF then commit or roll back together, one database backup covers the six years of
records accreditors ask for, and web and worker hosts need no shared disk. A certificate is
some tens of kilobytes. Downloads decrypt and check the SHA-256; they never render again.

``correct_certificate`` handles a learner's correction (a misspelt name, a wrong e-Profile
ID after a CPE Monitor rejection, a physician's amount): the old certificate is revoked and
points to its replacement, which gets a new number; both stay.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_tool.certificates.document import CertificateDocument
from lti_tool.course import (
    Activity,
    CertificateFacts,
    CreditAlreadyClaimed,
    certificate_facts,
    claim_credit,
    record_credit_claim,
)
from lti_tool.course.schema import PHARMACY_PROFESSIONS
from lti_tool.credit import audit, cpe_reports
from lti_tool.credit.documents import certificate_document, new_number
from lti_tool.credit.forms import ClaimRequest
from lti_tool.credit.mail_outbox import queue_mail
from lti_tool.credit.profile import save_registration
from lti_tool.credit.rendering import render_certificate_pdf
from lti_tool.credit.settings import CreditConfig
from lti_tool.journey.state import progress_of
from lti_tool.models import Certificate, CertificateMail, CpeMonitorReport, Participation, User

REPLACED_REASON = "Replaced by a corrected certificate at the learner's request."
_NUMBER_TRIES = 5


class CertificateNotInForce(Exception):
    """Only the certificate in force can be corrected (a replaced one is history)."""


@dataclass(frozen=True)
class Issued:
    certificate: Certificate
    mail: CertificateMail
    report: CpeMonitorReport | None
    replaced: Certificate | None = None


def certificate_in_force(session: Session, participation_id: int) -> Certificate | None:
    return session.scalar(
        select(Certificate).where(
            Certificate.participation_id == participation_id, Certificate.revoked_at.is_(None)
        )
    )


def claim_and_issue(
    session: Session,
    config: CreditConfig,
    user: User,
    participation: Participation,
    activity: Activity,
    request: ClaimRequest,
    now: datetime,
) -> Issued:
    """Make the learner's claim and issue its certificate, or raise the domain's typed
    reason (``ClaimNotAllowedYet``, ``ActivityExpired``, ``CreditAlreadyClaimed``, ...)."""
    progress = progress_of(participation, activity)
    facts = claim_credit(activity, progress, request.credit_claim(), now)
    record_credit_claim(activity, progress, now)
    rendered = _render(session, config, activity, facts, request, now)
    claimed = session.execute(
        update(Participation)
        .where(Participation.id == participation.id, Participation.credit_claimed_at.is_(None))
        .values(credit_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # Another request (a double click, a second tab) claimed first.
        session.refresh(participation)
        raise CreditAlreadyClaimed(participation.credit_claimed_at or now)
    session.refresh(participation)
    _save_registration(session, user, participation, request, now)
    physician = request.physician
    audit.record(
        session,
        participation,
        audit.CREDIT_CLAIMED,
        now,
        profession=facts.profession.value,
        credits=str(facts.credits),
        max_credits=str(facts.max_credits),
        time_spent_minutes=physician.time_spent_minutes if physician else None,
        attested_commensurate=physician.attested if physician else None,
        activity_version=activity.content_hash,
    )
    issued = _issue(session, config, participation, activity, facts, request, now, rendered)
    audit.completed_once(session, participation)
    return issued


def correct_certificate(
    session: Session,
    config: CreditConfig,
    user: User,
    certificate: Certificate,
    activity: Activity,
    request: ClaimRequest,
    now: datetime,
) -> Issued:
    """Replace ``certificate`` with one built from the corrected ``request``.

    Raises ``CertificateNotInForce`` for a replaced certificate and
    ``cpe_reports.ReportLocked`` when CPE Monitor already accepted other pharmacy details.
    """
    if not certificate.in_force:
        raise CertificateNotInForce(certificate.number)
    participation = certificate.participation
    assert participation.evaluation_completed_at is not None
    assert participation.credit_claimed_at is not None
    facts = certificate_facts(
        activity,
        request.credit_claim(),
        participation.evaluation_completed_at,
        participation.credit_claimed_at,
    )
    if facts.profession in PHARMACY_PROFESSIONS:
        cpe_reports.check_changeable(cpe_reports.report_of(session, participation.id), facts)
    rendered = _render(session, config, activity, facts, request, now)
    changed = _save_registration(session, user, participation, request, now)
    certificate.revoked_at = now
    certificate.revoked_reason = REPLACED_REASON
    # The in-force index allows one unrevoked certificate: revoke before the new one exists.
    session.flush()
    issued = _issue(session, config, participation, activity, facts, request, now, rendered)
    certificate.replaced_by_id = issued.certificate.id
    audit.record(
        session,
        participation,
        audit.CERTIFICATE_REPLACED,
        now,
        replaced=certificate.number,
        by=issued.certificate.number,
        changed=changed,
        credits=str(facts.credits),
    )
    return Issued(issued.certificate, issued.mail, issued.report, replaced=certificate)


def revoke_certificate(
    session: Session, certificate: Certificate, reason: str, now: datetime
) -> None:
    """Withdraw a certificate without replacing it (an operator's decision, e.g. credit
    awarded in error); verification then says it was revoked, and why."""
    if not certificate.in_force:
        raise CertificateNotInForce(certificate.number)
    certificate.revoked_at = now
    certificate.revoked_reason = reason
    audit.record(
        session,
        certificate.participation,
        audit.CERTIFICATE_REVOKED,
        now,
        certificate=certificate.number,
        reason=reason,
    )


def _save_registration(
    session: Session,
    user: User,
    participation: Participation,
    request: ClaimRequest,
    now: datetime,
) -> list[str]:
    _profile, changed = save_registration(session, user, request.registration, now)
    if changed:
        audit.record(session, participation, audit.REGISTRATION_SAVED, now, changed=changed)
    return changed


@dataclass(frozen=True)
class _Rendered:
    number: str
    document: CertificateDocument
    pdf: bytes


def _render(
    session: Session,
    config: CreditConfig,
    activity: Activity,
    facts: CertificateFacts,
    request: ClaimRequest,
    now: datetime,
) -> _Rendered:
    """The certificate's number and PDF, made before the claim's first write: rendering
    takes most of a claim's time, and on SQLite the first write holds the one write lock
    until the commit, so every other learner's save would wait behind the renderer."""
    issued_on = now.astimezone(activity.meta.provider.zone).date()
    number = _unused_number(session, activity.slug, issued_on)
    document = certificate_document(facts, request.registration, number, config.base_url, issued_on)
    return _Rendered(number, document, render_certificate_pdf(document))


def _issue(
    session: Session,
    config: CreditConfig,
    participation: Participation,
    activity: Activity,
    facts: CertificateFacts,
    request: ClaimRequest,
    now: datetime,
    rendered: _Rendered,
) -> Issued:
    number, document, pdf = rendered.number, rendered.document, rendered.pdf
    certificate = Certificate(
        number=number,
        participation_id=participation.id,
        user_id=participation.user_id,
        activity_slug=activity.slug,
        activity_version_id=participation.activity_version_id,
        kind=facts.kind.value,
        profession=facts.profession.value,
        learner_name=document.learner_name,
        degree=document.degree,
        activity_title=document.activity_title,
        provider_name=document.provider_name,
        credit_type=document.credit_name,
        credits=facts.credits,
        max_credits=facts.max_credits,
        time_spent_minutes=request.physician.time_spent_minutes if request.physician else None,
        completed_on=facts.completed_on,
        issued_at=now,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_size=len(pdf),
    )
    certificate.set_pii("pdf", pdf)
    session.add(certificate)
    session.flush()
    audit.record(
        session,
        participation,
        audit.CERTIFICATE_ISSUED,
        now,
        certificate=number,
        kind=certificate.kind,
        profession=certificate.profession,
        credits=str(facts.credits),
        pdf_sha256=certificate.pdf_sha256,
    )
    mail = queue_mail(session, certificate, document, pdf, request.registration.email, config, now)
    report = None
    if facts.profession in PHARMACY_PROFESSIONS:
        report = cpe_reports.queue_report(session, certificate, facts, now)
    return Issued(certificate, mail, report)


def _unused_number(session: Session, slug: str, issued_on: date) -> str:
    for _ in range(_NUMBER_TRIES):
        number = new_number(slug, issued_on)
        if session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
    raise RuntimeError("no unused certificate number after several tries")
