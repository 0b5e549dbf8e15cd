"""The CPE Monitor client against the stand-in served over real HTTP on loopback."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import requests

from lti_tool.certificates.cpe_monitor import (
    Accepted,
    CompletionRecord,
    CpeMonitorClient,
    Rejected,
    TransientFailure,
    export_batch_csv,
    flag_reporting_deadlines,
)
from lti_tool.certificates.cpe_monitor_wire import BATCH_COLUMNS, REJECTION_CODES, SUBMIT_PATH

RECORD = CompletionRecord(
    nabp_eprofile_id="4123456",
    birth_mmdd="0314",
    uan="0574-0000-26-009-H01-P",
    participation_date=date(2026, 3, 2),
    reference="CD26-M6QA-T0VB-9K29",
)


def test_valid_completion_is_accepted_and_remembered(standin):
    outcome = CpeMonitorClient(standin.settings).submit(RECORD)

    assert outcome == Accepted()
    assert ("4123456", "0574-0000-26-009-H01-P") in standin.state.accepted


def test_unknown_eprofile_id_is_rejected_with_a_reason(standin):
    outcome = CpeMonitorClient(standin.settings).submit(replace(RECORD, nabp_eprofile_id="9999999"))

    assert outcome == Rejected("EPID_DOB_MISMATCH", REJECTION_CODES["EPID_DOB_MISMATCH"])


def test_birth_date_not_matching_the_eprofile_gets_the_same_rejection(standin):
    outcome = CpeMonitorClient(standin.settings).submit(replace(RECORD, birth_mmdd="0315"))

    assert outcome == Rejected("EPID_DOB_MISMATCH", REJECTION_CODES["EPID_DOB_MISMATCH"])
    assert standin.state.accepted == set()


def test_second_report_of_the_same_learner_and_activity_is_a_duplicate(standin):
    client = CpeMonitorClient(standin.settings)

    first = client.submit(RECORD)
    second = client.submit(replace(RECORD, participation_date=date(2026, 3, 3)))

    assert first == Accepted()
    assert isinstance(second, Rejected)
    assert second.code == "DUPLICATE"


def test_participation_outside_the_activity_dates_is_rejected(standin):
    outcome = CpeMonitorClient(standin.settings).submit(
        replace(RECORD, participation_date=date(2025, 12, 31))
    )

    assert isinstance(outcome, Rejected)
    assert outcome.code == "DATE_OUT_OF_RANGE"


def test_uan_of_another_provider_is_rejected(standin):
    outcome = CpeMonitorClient(standin.settings).submit(
        replace(RECORD, uan="0999-0000-26-001-H01-P")
    )

    assert isinstance(outcome, Rejected)
    assert outcome.code == "UAN_UNKNOWN"


def test_malformed_birth_date_is_rejected_before_anything_is_sent(standin):
    standin.state.fail_with_503()  # a request reaching the stand-in would come back 503

    outcome = CpeMonitorClient(standin.settings).submit(replace(RECORD, birth_mmdd="1399"))

    assert isinstance(outcome, Rejected)
    assert outcome.code == "INVALID_FIELD"


def test_outage_answers_503_and_becomes_a_transient_failure(standin):
    client = CpeMonitorClient(standin.settings)
    standin.state.fail_with_503(requests=1)

    during = client.submit(RECORD)
    after = client.submit(RECORD)

    assert during == TransientFailure("CPE Monitor answered HTTP 503", 503)
    assert after == Accepted()


def test_outage_can_be_started_over_http(standin):
    started = requests.post(f"{standin.base_url}/_standin/outage", json={}, timeout=5)
    during = CpeMonitorClient(standin.settings).submit(RECORD)
    requests.delete(f"{standin.base_url}/_standin/outage", timeout=5)
    after = CpeMonitorClient(standin.settings).submit(RECORD)

    assert started.json() == {"outage_remaining": -1}
    assert isinstance(during, TransientFailure)
    assert after == Accepted()


def test_wrong_password_is_a_transient_failure_that_does_not_echo_the_password(standin):
    settings = replace(standin.settings, password="not-the-password")

    outcome = CpeMonitorClient(settings).submit(RECORD)

    assert outcome == TransientFailure("CPE Monitor answered HTTP 401", 401)
    assert "not-the-password" not in outcome.reason


def test_unreachable_service_is_a_transient_failure_not_an_exception(standin, unused_port):
    settings = replace(
        standin.settings, endpoint_url=f"http://127.0.0.1:{unused_port}{SUBMIT_PATH}"
    )

    outcome = CpeMonitorClient(settings).submit(RECORD)

    assert outcome == TransientFailure("could not reach CPE Monitor (ConnectionError)")


def test_batch_file_has_the_documented_columns_and_keeps_leading_zeros():
    records = [RECORD, replace(RECORD, nabp_eprofile_id="4300002", birth_mmdd="0229")]

    exported = export_batch_csv(records, provider_number="0574")
    rows = list(csv.reader(io.StringIO(exported, newline="")))

    assert exported.startswith('"Provider Number","NABP e-Profile ID"')
    assert "\r\n" in exported
    assert rows[0] == list(BATCH_COLUMNS)
    assert rows[1] == ["0574", "4123456", "0314", "0574-0000-26-009-H01-P", "2026-03-02"]
    assert rows[2][1:3] == ["4300002", "0229"]
    assert len(rows) == 3


def test_completions_from_day_45_are_flagged_most_urgent_first():
    today = date(2026, 6, 30)
    ages = {"fresh": 44, "warn": 45, "last-day": 60, "late": 61}
    records = [
        replace(
            RECORD, reference=name, participation_date=date.fromordinal(today.toordinal() - age)
        )
        for name, age in ages.items()
    ]

    flags = flag_reporting_deadlines(records, today)

    assert [flag.record.reference for flag in flags] == ["late", "last-day", "warn"]
    assert [(flag.age_days, flag.days_left, flag.overdue) for flag in flags] == [
        (61, -1, True),
        (60, 0, False),
        (45, 15, False),
    ]


def test_flagging_thresholds_can_be_tightened():
    today = date(2026, 6, 30)
    record = replace(RECORD, participation_date=date(2026, 6, 10))  # 20 days old

    assert flag_reporting_deadlines([record], today) == []
    assert len(flag_reporting_deadlines([record], today, warn_after_days=14)) == 1
