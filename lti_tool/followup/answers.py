"""What the learner does with the follow-up link: answer it, or opt out of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_tool.models import FollowUpRequest, FollowUpStatus

# Did practice change? The answer choices, in the order the page shows them.
CHANGED = {"yes": "Yes", "partly": "Partly", "no": "No"}
MAX_TEXT = 4000


class FollowUpNotFound(LookupError):
    """No follow-up has this token (mistyped, or its participation was deleted)."""


@dataclass(frozen=True)
class FollowUpAnswers:
    changed: str
    what_changed: str
    barriers: str


def find(session: Session, token: str) -> FollowUpRequest:
    row = session.scalar(select(FollowUpRequest).where(FollowUpRequest.token == token))
    if row is None:
        raise FollowUpNotFound(token)
    return row


def read_form(form: dict[str, str]) -> tuple[FollowUpAnswers | None, dict[str, str]]:
    """The answers, or the problem with each field the learner must fix."""
    errors: dict[str, str] = {}
    changed = form.get("changed", "")
    if changed not in CHANGED:
        errors["changed"] = "Choose whether your practice changed: yes, partly or no."
    texts = {}
    for field in ("what_changed", "barriers"):
        text = form.get(field, "").strip()
        if len(text) > MAX_TEXT:
            errors[field] = f"Please keep this under {MAX_TEXT} characters."
        texts[field] = text
    if errors:
        return None, errors
    return FollowUpAnswers(changed, texts["what_changed"], texts["barriers"]), {}


def record_answers(
    session: Session, row: FollowUpRequest, answers: FollowUpAnswers, now: datetime
) -> bool:
    """Keep the learner's answers (the first ones; a second post changes nothing)."""
    if row.status is FollowUpStatus.ANSWERED:
        return False
    row.status = FollowUpStatus.ANSWERED
    row.answered_at = now
    row.changed, row.what_changed, row.barriers = (
        answers.changed,
        answers.what_changed,
        answers.barriers,
    )
    return True


def opt_out(session: Session, row: FollowUpRequest, now: datetime) -> None:
    """No follow-up mail is sent after this, whatever its state (an answered one stays)."""
    session.execute(
        update(FollowUpRequest)
        .where(FollowUpRequest.id == row.id, FollowUpRequest.status != FollowUpStatus.ANSWERED)
        .values(status=FollowUpStatus.OPTED_OUT, opted_out_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
