"""Commitment to change, followed up: scheduled at completion, mailed once when due, never
after an opt-out, answered through the link, and counted in the outcomes (issue 16 item 3)."""

from __future__ import annotations

import email
import shutil
import uuid
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from lti_tool.catalog import current_version, load_activities
from lti_tool.certificates.mail import MailSettings
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.followup.queue import FollowUpQueue
from lti_tool.journey import events
from lti_tool.models import (
    EvaluationResponse,
    FollowUpRequest,
    FollowUpStatus,
    Participation,
    User,
)
from lti_tool.models.certificates import LearnerProfile
from lti_tool.outcomes.exports import csv_rows
from lti_tool.outcomes.report import build_outcomes
from tests.conftest import PROJECT_ROOT, Served

MINI = PROJECT_ROOT / "tests" / "fixtures" / "activities" / "mini-activity"
AFTER_DAYS = 30


@pytest.fixture(scope="module")
def activity_slug(tool_services: ToolServices, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The mini activity, following up learners who answer "yes" after 30 days."""
    slug = f"follow-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("follow-up") / slug
    shutil.copytree(MINI, folder)
    meta = folder / "activity.yaml"
    meta.write_text(
        meta.read_text().replace("slug: mini-activity", f"slug: {slug}")
        + f"\nfollow_up:\n  after_days: {AFTER_DAYS}\n  question: intent-to-change\n"
        '  answers: ["yes"]\n'
    )
    with transaction(tool_services.session_factory) as session:
        load_activities(session, folder)
    return slug


def complete(services: ToolServices, slug: str, intent: str, email_address: str) -> int:
    """A learner completes the evaluation, as the journey records it; returns the
    participation id."""
    now = utcnow()
    with transaction(services.session_factory) as session:
        version = current_version(session, slug)
        assert version is not None
        user = User(issuer="https://follow-up.example", sub=uuid.uuid4().hex, name="Rosa Jiménez")
        session.add(user)
        session.flush()
        session.add(
            LearnerProfile(
                user_id=user.id, certificate_name="Rosa Jiménez", profession="nurse",
                email=email_address,
            )
        )  # fmt: skip
        participation = Participation(
            user_id=user.id,
            activity_slug=slug,
            activity_version_id=version.id,
            evaluation_completed_at=now,
        )
        session.add(participation)
        session.flush()
        session.add(
            EvaluationResponse(
                participation_id=participation.id,
                activity_version_id=version.id,
                answers={"intent-to-change": intent},
            )
        )
        session.flush()
        events.journey_completed(session, participation)
        # Claiming credit reports the completion again when it cannot tell it was reported.
        events.journey_completed(session, participation)
        return participation.id


def follow_up_of(services: ToolServices, participation_id: int) -> FollowUpRequest | None:
    with services.session_factory() as session:
        row = session.scalar(
            select(FollowUpRequest).where(FollowUpRequest.participation_id == participation_id)
        )
        session.expunge_all()
        return row


def queue_at(services: ToolServices, folder: Path, days: float) -> FollowUpQueue:
    """The outbox queue, its clock ``days`` after now, mailing into ``folder``."""
    return FollowUpQueue(
        services.session_factory,
        lambda: MailSettings(sender="CME <cme@example.org>", outbox_dir=folder),
        "https://cme.example.org",
        clock=lambda: utcnow() + timedelta(days=days),
    )


def mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def test_a_commitment_to_change_is_mailed_once_after_its_delay(
    tool_services: ToolServices, activity_slug: str, tmp_path: Path
) -> None:
    committed = complete(tool_services, activity_slug, "yes", "rosa@example.org")
    unsure = complete(tool_services, activity_slug, "not-sure", "unsure@example.org")
    scheduled = follow_up_of(tool_services, committed)
    folder = tmp_path / "mail"

    queue_at(tool_services, folder, AFTER_DAYS - 1).run_once()
    before_due = mails_to(folder, "rosa@example.org")
    queue_at(tool_services, folder, AFTER_DAYS + 1).run_once()
    queue_at(tool_services, folder, AFTER_DAYS + 9).run_once()
    sent = mails_to(folder, "rosa@example.org")
    row = follow_up_of(tool_services, committed)

    assert scheduled is not None and follow_up_of(tool_services, unsure) is None
    due_in = scheduled.next_attempt_at - utcnow()
    assert timedelta(days=AFTER_DAYS - 1) < due_in <= timedelta(days=AFTER_DAYS)
    assert before_due == []
    [message] = sent  # once, although the queue ran again later
    assert row is not None and row.status is FollowUpStatus.SENT and row.attempts == 1
    body = message.get_content()
    assert f"https://cme.example.org/follow-up/{row.token}" in body
    assert message["List-Unsubscribe"] == f"<https://cme.example.org/follow-up/{row.token}/opt-out>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "you answered “Yes”" in body


def test_after_an_opt_out_nothing_is_ever_sent(
    tool: Served, tool_services: ToolServices, activity_slug: str, tmp_path: Path
) -> None:
    by_page = complete(tool_services, activity_slug, "yes", "page@example.org")
    by_client = complete(tool_services, activity_slug, "yes", "client@example.org")
    page_row, client_row = (
        follow_up_of(tool_services, by_page),
        follow_up_of(tool_services, by_client),
    )
    assert page_row is not None and client_row is not None
    folder = tmp_path / "mail"

    shown = requests.get(f"{tool.base_url}/follow-up/{page_row.token}/opt-out", timeout=10)
    still_scheduled = follow_up_of(tool_services, by_page)
    clicked = requests.post(f"{tool.base_url}/follow-up/{page_row.token}/opt-out", timeout=10)
    # A mail client's "unsubscribe" button: RFC 8058 one-click POST.
    one_click = requests.post(
        f"{tool.base_url}/follow-up/{client_row.token}/opt-out",
        data={"List-Unsubscribe": "One-Click"},
        timeout=10,
    )
    queue_at(tool_services, folder, AFTER_DAYS + 1).run_once()

    assert shown.status_code == 200 and "Stop follow-up emails" in shown.text
    assert still_scheduled is not None and still_scheduled.status is FollowUpStatus.SCHEDULED
    assert clicked.status_code == 200 and "will not write to you" in clicked.text
    assert one_click.status_code == 200
    for participation_id in (by_page, by_client):
        row = follow_up_of(tool_services, participation_id)
        assert row is not None and row.status is FollowUpStatus.OPTED_OUT
    assert mails_to(folder, "page@example.org") == mails_to(folder, "client@example.org") == []


def test_answers_through_the_link_join_the_outcomes(
    tool: Served, tool_services: ToolServices, activity_slug: str, tmp_path: Path
) -> None:
    participation_id = complete(tool_services, activity_slug, "yes", "answers@example.org")
    queue_at(tool_services, tmp_path / "mail", AFTER_DAYS + 1).run_once()
    row = follow_up_of(tool_services, participation_id)
    assert row is not None
    url = f"{tool.base_url}/follow-up/{row.token}"

    form = requests.get(url, timeout=10)
    incomplete = requests.post(url, data={"what_changed": "x"}, timeout=10)
    answered = requests.post(
        url,
        data={"changed": "partly", "what_changed": "<b>EMG guidance</b> now", "barriers": "Cost"},
        timeout=10,
    )
    again = requests.get(url, timeout=10)
    unknown = requests.get(f"{tool.base_url}/follow-up/not-a-token", timeout=10)
    with tool_services.session_factory() as session:
        report = build_outcomes(session, activity_slug)
    assert report is not None and report.follow_up is not None
    csv_text = "".join(csv_rows(report))

    assert form.status_code == 200 and 'name="changed"' in form.text
    assert (
        incomplete.status_code == 400 and "Choose whether your practice changed" in incomplete.text
    )
    assert answered.status_code == 200 and "Your answers were recorded" in answered.text
    assert "Your answers were recorded" in again.text
    assert unknown.status_code == 404 and "could not find this follow-up" in unknown.text
    assert report.follow_up.changed["Partly"] >= 1
    assert "<b>EMG guidance</b> now" in report.follow_up.what_changed
    assert "Cost" in report.follow_up.barriers
    assert "follow_up,practice changed,Partly," in csv_text
