"""A Dynamic Registration for a client ID the tool already has: update it in place.

Moodle 5.1 asks "Update / Register as a new external tool" when a tool on the same host
exists, and recommends Update: it sends the registration again and answers with the
existing tool's client ID and deployment, having changed that tool in place. Canvas
re-installs do the same. The tool keeps the registration's deployments, launches, links
and grades, writes what changed to the registration's history, and applies the trust
rules of :mod:`trust`: new keys or endpoints for a live platform wait for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.models import Registration
from lti_tool.models.admin import ApprovalState, RegistrationRecord
from lti_tool.registration.platforms import (
    TRUST_FIELDS,
    apply_update,
    approval_state,
    record_event,
    registration_record,
)

ACTOR = "dynamic registration"
FIELD_NAMES = {
    "auth_login_url": "login (authorization) URL",
    "auth_token_url": "token URL",
    "key_set_url": "key set URL",
}


@dataclass(frozen=True)
class UpdateResult:
    # The update waits for an operator; the registration is unchanged meanwhile.
    held: bool
    # Why launches wait (a held update, or the registration itself still pending).
    pending_reason: str | None


def _record(session: Session, registration: Registration) -> RegistrationRecord:
    record = registration_record(session, registration)
    if record is None:
        # Registered by hand before: it gets its record now, approved as it was.
        record = RegistrationRecord(
            registration_id=registration.id, source="cli", approval=ApprovalState.APPROVED
        )
        session.add(record)
        session.flush()
    return record


def update_registration(
    session: Session, registration: Registration, update: dict[str, Any], *, reasons: list[str]
) -> UpdateResult:
    """Apply (or hold) a re-registration; ``reasons`` are trust.base_reasons for it."""
    record = _record(session, registration)
    state = approval_state(session, registration)
    if state in ("pending", "rejected"):
        # Not live: nothing to protect yet, so the newest values replace the old and the
        # registration waits (again) for an operator.
        changes = apply_update(session, registration, update)
        record.approval = ApprovalState.PENDING
        record.approval_reason = " ".join(
            dict.fromkeys([record.approval_reason, *reasons])
        ).strip()[:1024]
        record.proposed_update = None
        registration.active = False
        record_event(session, registration, "updated", actor=ACTOR, details=changes)
        session.flush()
        return UpdateResult(
            held=False,
            pending_reason=record.approval_reason
            or "The tool's operator has not approved this LMS yet.",
        )
    trust_changes = {
        name: [getattr(registration, name), update[name]]
        for name in TRUST_FIELDS
        if update.get(name) and update[name] != getattr(registration, name)
    }
    if trust_changes:
        record.proposed_update = update
        record_event(session, registration, "update_held", actor=ACTOR, details=trust_changes)
        session.flush()
        changed = ", ".join(FIELD_NAMES[name] for name in trust_changes)
        return UpdateResult(
            held=True,
            pending_reason=(
                f"This update changes the LMS's {changed}. Whoever holds those can sign "
                "launches as the LMS's learners, so the tool's operator must approve the "
                "change; until then launches keep working with the registration as it was."
            ),
        )
    changes = apply_update(session, registration, update)
    record_event(session, registration, "updated", actor=ACTOR, details=changes)
    session.flush()
    return UpdateResult(held=False, pending_reason=None)
