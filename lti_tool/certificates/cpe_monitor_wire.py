"""The wire format of CPE Monitor, in one place: the only module to change for the real thing.

CPE Monitor is run by ACPE and NABP: a provider reports each pharmacist's completion (provider
number, NABP e-Profile ID, birth month and day, the activity's UAN, date of participation)
and CPE Monitor accepts it onto the learner's e-Profile or rejects it. The interface document
(ACPE "CPE Monitor Technical Specifications") goes to accredited providers; what is public,
and what this module follows:

* the service is an ASMX web service at
  ``https://cpemonitor.acpe-accredit.org/service/cpemonitorservice.asmx`` (test host
  ``cpemonitortest.acpe-accredit.org``) offering SOAP and "HTTP Get with JSON response";
* the JSON operation is ``SubmitCPEActivityJSON`` with query parameters ``provider_number``,
  ``epid``, ``date_of_birth``, ``uan``, ``date_of_participation``, ``action=I``, ``username``,
  ``password``; its answer carries ``status`` (``"Accepted"`` on success) and
  ``error_message`` (as read by public integrations of that operation);
* NABP's own e-Profile API answers "Provided DOB is not a match/e-Profile not found" as one
  condition, so a stand-in must not tell the two apart;
* providers must report within 60 days of participation.

What is not public and is therefore this project's assumption, to be replaced from ACPE's
document: the date formats (``MMDD`` birth date, ISO participation date), the ``error_code``
field and its values (``REJECTION_CODES``), and the column order of the batch upload file
(``BATCH_COLUMNS``). ``lti_tool.certificates.cpe_monitor`` (client) and
``lti_tool.certificates.cpe_monitor_standin`` (local stand-in) both speak only through the
functions below, so when the provider receives the interface document, this module alone
changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

SUBMIT_PATH = "/service/cpemonitorservice.asmx/SubmitCPEActivityJSON"
PRODUCTION_ENDPOINT = "https://cpemonitor.acpe-accredit.org" + SUBMIT_PATH
TEST_ENDPOINT = "https://cpemonitortest.acpe-accredit.org" + SUBMIT_PATH

# Our codes for the rejections the stand-in models; texts are what a learner can act on.
REJECTION_CODES = {
    "EPID_DOB_MISMATCH": "The NABP e-Profile ID was not found or the birth date does not match it.",
    "DUPLICATE": "This participant has already been reported for this activity.",
    "UAN_UNKNOWN": "The UAN is not an activity of this provider.",
    "DATE_OUT_OF_RANGE": "The date of participation is outside the activity's active dates.",
    "INVALID_FIELD": "A field is missing or malformed.",
}

# Column order of the batch upload file; ACPE's template is not public, so these are the five
# fields the web service takes, named plainly, in the order the service lists them.
BATCH_COLUMNS = (
    "Provider Number",
    "NABP e-Profile ID",
    "Birth Date (MMDD)",
    "UAN",
    "Date of Participation (YYYY-MM-DD)",
)

_EPID_RE = re.compile(r"^\d{1,9}$")
_MMDD_RE = re.compile(r"^(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_UAN_RE = re.compile(r"^\d{4}-\d{4}-\d{2}-\d{3}-[A-Z]\d{2}-[PT]$")


class MalformedSubmission(ValueError):
    """A submission whose fields cannot be read (the stand-in answers INVALID_FIELD)."""


@dataclass(frozen=True, slots=True)
class Submission:
    """One completion as the service receives it."""

    provider_number: str
    nabp_eprofile_id: str
    birth_mmdd: str
    uan: str
    participation_date: date


@dataclass(frozen=True, slots=True)
class Verdict:
    """The service's answer to one submission."""

    accepted: bool
    code: str = ""
    text: str = ""


def validate(submission: Submission) -> None:
    """Raise ``MalformedSubmission`` unless every field has the documented shape."""
    if not _EPID_RE.match(submission.nabp_eprofile_id):
        raise MalformedSubmission("the NABP e-Profile ID is a number of up to nine digits")
    if not _MMDD_RE.match(submission.birth_mmdd):
        raise MalformedSubmission("the birth date is MMDD, e.g. 0314")
    if not _UAN_RE.match(submission.uan):
        raise MalformedSubmission("the UAN looks like 0574-0000-26-009-H01-P")
    if not submission.provider_number.strip():
        raise MalformedSubmission("the provider number is empty")


def encode_submission(submission: Submission, username: str, password: str) -> dict[str, str]:
    """Query parameters of the GET request for ``submission``."""
    return {
        "provider_number": submission.provider_number,
        "epid": submission.nabp_eprofile_id,
        "date_of_birth": submission.birth_mmdd,
        "uan": submission.uan,
        "date_of_participation": submission.participation_date.isoformat(),
        "action": "I",  # insert a new completion (the only action this tool uses)
        "username": username,
        "password": password,
    }


def decode_submission(params: Mapping[str, str]) -> tuple[Submission, str, str]:
    """The stand-in's reading of a request: the submission, username and password."""
    try:
        submission = Submission(
            provider_number=params["provider_number"],
            nabp_eprofile_id=params["epid"],
            birth_mmdd=params["date_of_birth"],
            uan=params["uan"],
            participation_date=date.fromisoformat(params["date_of_participation"]),
        )
        if params["action"] != "I":
            raise MalformedSubmission("only action=I is modelled")
        return submission, params["username"], params["password"]
    except (KeyError, ValueError) as error:
        raise MalformedSubmission(str(error)) from error


def encode_verdict(verdict: Verdict) -> str:
    """The stand-in's JSON body for ``verdict``."""
    body: dict[str, Any] = {"status": "Accepted" if verdict.accepted else "Rejected"}
    if not verdict.accepted:
        body["error_code"] = verdict.code
        body["error_message"] = verdict.text
    return json.dumps(body)


def decode_verdict(body: str) -> Verdict:
    """The client's reading of a 200 response; ``ValueError`` when it is not a verdict."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or "status" not in payload:
        raise ValueError("response has no status")
    if payload["status"] == "Accepted":
        return Verdict(accepted=True)
    return Verdict(
        accepted=False,
        code=str(payload.get("error_code") or "UNSPECIFIED"),
        text=str(payload.get("error_message") or "CPE Monitor gave no reason"),
    )


def batch_row(submission: Submission) -> list[str]:
    """``submission`` as one row of the batch upload file, in ``BATCH_COLUMNS`` order."""
    return [
        submission.provider_number,
        submission.nabp_eprofile_id,
        submission.birth_mmdd,
        submission.uan,
        submission.participation_date.isoformat(),
    ]
