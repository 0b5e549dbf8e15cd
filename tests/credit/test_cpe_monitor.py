"""Reporting pharmacists' completions to CPE Monitor: the client against the stand-in served
on loopback, the learner's correction of a rejection, the batch file, the 60-day flags."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from urllib.parse import urljoin

from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.certificates.cpe_monitor import Accepted, TransientFailure
from lti_tool.credit.commands import reports
from lti_tool.credit.cpe_reports import deadline_flags, submit_pending_reports, submit_report
from lti_tool.db import utcnow
from lti_tool.models import Certificate, CpeMonitorReport
from lti_tool.models.certificates import ReportStatus

from .support import (
    NABP_ID,
    claim_form,
    eligible_participation,
    form_fields,
    issue,
    launch_learner,
    make_eligible,
    page,
    pdf_text,
)

UAN = "0574-0000-26-009-H01-P"


def report_for(credit_tool, participation_id):
    with credit_tool.services.session_factory() as session:
        found = session.scalar(
            select(CpeMonitorReport).where(CpeMonitorReport.participation_id == participation_id)
        )
        session.expunge_all()
        return found


def wait_for_report(credit_tool, participation_id, wanted, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = report_for(credit_tool, participation_id)
        if found is not None and found.status is wanted and found.lease_until is None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"report is {found.status if found else None}, not {wanted}")


def in_force(credit_tool, participation_id):
    with credit_tool.services.session_factory() as session:
        found = session.scalar(
            select(Certificate).where(
                Certificate.participation_id == participation_id, Certificate.revoked_at.is_(None)
            )
        )
        session.expunge_all()
        return found


def test_pharmacist_completion_is_reported_right_after_the_claim_and_accepted(
    credit_tool, configure_credit, cpe_standin
):
    configure_credit(credit=cpe_standin.settings)
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    learner.claim(claim_form("pharmacist"))
    report = wait_for_report(credit_tool, learner.participation_id, ReportStatus.ACCEPTED)
    certificate = in_force(credit_tool, learner.participation_id)
    shown = learner.get(f"/certificates/{certificate.number}")

    assert (NABP_ID, UAN) in cpe_standin.state.accepted
    assert report.attempts == 1 and report.accepted_at is not None
    assert report.participation_date == certificate.completed_on
    assert "CPE Monitor accepted your credit" in shown.text


def test_rejected_eprofile_id_is_shown_to_the_learner_who_corrects_it_and_it_is_accepted(
    credit_tool, configure_credit, cpe_standin
):
    configure_credit(credit=cpe_standin.settings)
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    learner.claim(claim_form("pharmacist", nabp_eprofile_id="4999999"))
    rejected = wait_for_report(credit_tool, learner.participation_id, ReportStatus.REJECTED)
    first = in_force(credit_tool, learner.participation_id)
    notice = page(learner.get(f"/certificates/{first.number}"))
    correction = page(learner.get(notice.link("Correct your NABP e-Profile ID or birth date")))
    action, fields = form_fields(correction.html, "Issue the corrected certificate")
    fields["nabp_eprofile_id"] = NABP_ID
    corrected = page(learner.post(urljoin(credit_tool.base_url, action), fields))
    accepted = wait_for_report(credit_tool, learner.participation_id, ReportStatus.ACCEPTED)
    second = in_force(credit_tool, learner.participation_id)

    assert rejected.error_code == "EPID_DOB_MISMATCH"
    assert "e-Profile ID was not found or the birth date does not match" in notice.text
    assert 'value="4999999"' in correction.html  # prefilled with what is on file
    assert corrected.status == 200 and "Your certificate" in corrected.text
    assert second.number != first.number
    assert accepted.certificate_id == second.id
    assert (NABP_ID, UAN) in cpe_standin.state.accepted
    pdf = learner.get(f"/certificates/{second.number}/certificate.pdf").content
    assert f"NABP E-PROFILE ID {NABP_ID}" in pdf_text(pdf)
    replaced = page(learner.get(f"/certificates/{first.number}"))
    assert "Replaced certificate" in replaced.text
    assert second.number in replaced.text


def test_outage_leaves_the_report_queued_and_the_worker_submits_it_later(
    credit_tool, credit_config, cpe_standin
):
    factory = credit_tool.services.session_factory
    participation_id = eligible_participation(factory)
    report = issue(factory, credit_config, participation_id, claim_form("pharmacist")).report
    cpe_standin.state.fail_with_503(requests=1)

    during = submit_report(factory, report.id, cpe_standin.settings)
    waiting = report_for(credit_tool, participation_id)
    later = waiting.next_attempt_at + timedelta(seconds=1)
    answered = submit_pending_reports(factory, cpe_standin.settings, now=later, limit=1000)

    assert during == TransientFailure("CPE Monitor answered HTTP 503", 503)
    assert waiting.status is ReportStatus.QUEUED
    assert waiting.next_attempt_at > utcnow()
    assert "503" in waiting.error_text
    assert answered >= 1
    assert report_for(credit_tool, participation_id).status is ReportStatus.ACCEPTED


def test_a_completion_cpe_monitor_already_holds_counts_as_reported(
    credit_tool, credit_config, cpe_standin
):
    factory = credit_tool.services.session_factory
    participation_id = eligible_participation(factory)
    report = issue(factory, credit_config, participation_id, claim_form("pharmacist")).report
    cpe_standin.state.accepted.add((NABP_ID, UAN))  # e.g. an answer lost in transit earlier

    submit_report(factory, report.id, cpe_standin.settings)

    found = report_for(credit_tool, participation_id)
    assert found.status is ReportStatus.ACCEPTED
    assert found.error_code == "DUPLICATE"


def test_accepted_details_cannot_be_changed_by_a_correction(
    credit_tool, configure_credit, cpe_standin
):
    configure_credit(credit=cpe_standin.settings)
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    learner.claim(claim_form("pharmacist"))
    wait_for_report(credit_tool, learner.participation_id, ReportStatus.ACCEPTED)
    number = in_force(credit_tool, learner.participation_id).number

    refused = learner.post(
        f"/certificates/{number}/correct",
        {"csrf_token": learner.csrf, **claim_form("pharmacist", nabp_eprofile_id="4200001")},
    )

    assert refused.status_code == 409
    assert "CPE Monitor already accepted your credit" in refused.text
    assert in_force(credit_tool, learner.participation_id).number == number


def test_without_a_cpe_monitor_url_reports_stay_queued_for_the_batch_file(credit_tool):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    claimed = learner.claim(claim_form("pharmacist"))
    report = report_for(credit_tool, learner.participation_id)

    assert report.status is ReportStatus.QUEUED and report.attempts == 0
    assert "queued for NABP CPE Monitor" in claimed.text
    assert (
        submit_pending_reports(credit_tool.services.session_factory, credit_tool.config.credit) == 0
    )


def cli_env(credit_tool, tmp_path):
    settings = credit_tool.services.settings
    return {
        "LTI_TOOL_DATABASE_URL": settings.database_url,
        "LTI_TOOL_KEYS_DIR": str(settings.keys_dir),
        "LTI_TOOL_INSTANCE_DIR": str(tmp_path / "cli-instance"),
        "LTI_TOOL_SECRET_KEY": settings.secret_key,
        "LTI_TOOL_CPE_MONITOR_URL": "",
        "LTI_TOOL_ACPE_PROVIDER_NUMBER": "0574",
    }


def old_completion(credit_tool, credit_config, days_ago, **form):
    """A pharmacist who completed and claimed ``days_ago`` days ago, still unreported."""
    factory = credit_tool.services.session_factory
    completed = utcnow() - timedelta(days=days_ago)
    participation_id = eligible_participation(factory, completed_at=completed)
    return issue(
        factory,
        credit_config,
        participation_id,
        claim_form("pharmacist", **form),
        now=completed + timedelta(minutes=30),
    )


def test_batch_export_command_writes_queued_completions_and_flags_the_60_day_limit(
    credit_tool, credit_config, tmp_path
):
    issued = old_completion(
        credit_tool, credit_config, 50, nabp_eprofile_id="4300002", birth_month="2", birth_day="29"
    )
    number, day = issued.certificate.number, issued.report.participation_date
    since = (day - timedelta(days=1)).isoformat()
    output = tmp_path / "cpe-monitor.csv"

    result = CliRunner().invoke(
        reports,
        ["cpe-monitor", "--since", since, "--output", str(output)],
        env=cli_env(credit_tool, tmp_path),
    )
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8"), newline="")))

    assert result.exit_code == 0, result.output
    assert rows[0][:3] == ["Provider Number", "NABP e-Profile ID", "Birth Date (MMDD)"]
    assert ["0574", "4300002", "0229", UAN, day.isoformat()] in rows
    assert "not configured (LTI_TOOL_CPE_MONITOR_URL is empty)" in result.stderr
    assert "upload the batch file at CPE Monitor by hand" in result.stderr
    age = (utcnow().date() - day).days  # 50, or 51 late in the provider's day
    assert re.search(
        rf"{number}\s+UAN {UAN}\s+participated {day.isoformat()}\s+"
        rf"day {age} of 60, {60 - age} day\(s\) left",
        result.stderr,
    )


def test_marking_a_batch_exported_stops_its_flags_and_submissions(
    credit_tool, credit_config, tmp_path
):
    issued = old_completion(credit_tool, credit_config, 61)
    number, day = issued.certificate.number, issued.report.participation_date
    env = cli_env(credit_tool, tmp_path)

    before = CliRunner().invoke(reports, ["cpe-monitor-status"], env=env)
    exported = CliRunner().invoke(
        reports, ["cpe-monitor", "--since", day.isoformat(), "--mark-exported"], env=env
    )
    after = CliRunner().invoke(reports, ["cpe-monitor-status"], env=env)

    assert re.search(rf"{number}.*OVERDUE by \d+ day\(s\)", before.stderr)
    assert exported.exit_code == 0
    assert number not in exported.stdout  # the batch file has CPE Monitor's five columns only
    assert "4123456" in exported.stdout
    assert report_for(credit_tool, issued.report.participation_id).status is (ReportStatus.EXPORTED)
    assert number not in after.stderr


def test_flags_start_near_the_limit_most_urgent_first(credit_tool, credit_config):
    warned = old_completion(credit_tool, credit_config, 46).certificate.number
    fresh = old_completion(credit_tool, credit_config, 40).certificate.number
    late = old_completion(credit_tool, credit_config, 70).certificate.number

    with credit_tool.services.session_factory() as session:
        flags = deadline_flags(session, utcnow().date())
    numbers = [flag.certificate_number for flag in flags]

    assert fresh not in numbers
    assert numbers.index(late) < numbers.index(warned)
    assert next(f for f in flags if f.certificate_number == late).flag.overdue


def test_client_outcome_types_are_recorded_not_raised(credit_tool, credit_config, cpe_standin):
    factory = credit_tool.services.session_factory
    participation_id = eligible_participation(factory)
    report = issue(factory, credit_config, participation_id, claim_form("pharmacist")).report

    outcome = submit_report(factory, report.id, cpe_standin.settings)
    again = submit_report(factory, report.id, cpe_standin.settings)

    assert outcome == Accepted()
    assert again is None  # accepted reports are not submitted twice
