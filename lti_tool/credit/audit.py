"""The credit steps of the append-only audit log (accreditors keep six years of records).

The journey records disclosures, scores and the evaluation (lti_tool/journey/events.py);
this package appends the claim, the certificate, its mail and the CPE Monitor reports to the
same ``AuditEvent`` log. Details hold facts, never PII: no e-Profile ID, birth date, licence
number or email address (the registration event names the fields that changed, not values).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.journey import events
from lti_tool.models import AuditEvent, Participation

REGISTRATION_SAVED = "cme_registration_saved"
CREDIT_CLAIMED = "credit_claimed"
CERTIFICATE_ISSUED = "certificate_issued"
CERTIFICATE_REPLACED = "certificate_replaced"
CERTIFICATE_REVOKED = "certificate_revoked"
CERTIFICATE_MAIL_QUEUED = "certificate_mail_queued"
CERTIFICATE_MAILED = "certificate_mailed"
CERTIFICATE_MAIL_FAILED = "certificate_mail_failed"
CERTIFICATE_DOWNLOADED = "certificate_downloaded"
CPE_MONITOR_QUEUED = "cpe_monitor_queued"
CPE_MONITOR_ACCEPTED = "cpe_monitor_accepted"
CPE_MONITOR_REJECTED = "cpe_monitor_rejected"
CPE_MONITOR_UNREACHABLE = "cpe_monitor_unreachable"
CPE_MONITOR_CORRECTED = "cpe_monitor_corrected"
CPE_MONITOR_EXPORTED = "cpe_monitor_exported"


def record(
    session: Session, participation: Participation, event: str, at: datetime, **details: Any
) -> AuditEvent:
    return events.record(session, participation, event, at=at, **details)


def record_for(
    session: Session, participation_id: int, event: str, at: datetime, **details: Any
) -> AuditEvent:
    """Append an event when only the participation's id is at hand (background senders)."""
    participation = session.get(Participation, participation_id)
    assert participation is not None
    return record(session, participation, event, at, **details)


def completed_once(session: Session, participation: Participation) -> None:
    """Call the journey's completion hook unless it already ran for this participation.

    The hook appends the "journey completed" event and queues the "Completed" score. The
    journey calls it when the evaluation is submitted; claiming credit calls it again here
    only if it never ran, so the completion is recorded exactly once either way.
    """
    already = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.participation_id == participation.id,
            AuditEvent.event == events.JOURNEY_COMPLETED,
        )
        .limit(1)
    )
    if already is None:
        events.journey_completed(session, participation)
