"""The PARS files from a hand-built cohort in the real database: the activity line of the
year (type, dates, hours, physicians and other learners who claimed credit, commercial
support, learner change), the physicians' learner file field by field, its own validator
passing on complete rows and naming what an incomplete one lacks; the year's page names no
learner; operators only.

The cohort takes an activity of its own (the mini activity under a new slug, with its own
ACCME activity number and a commercial supporter) and reports on 2025, so other tests'
learners in the shared database are told apart by activity ID and provider activity ID.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests

from lti_tool.catalog import load_activities
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Participation, User
from lti_tool.models.certificates import Certificate, LearnerProfile
from lti_tool.outcomes.pars import LearnerRow, learner_rows, validate_learner_rows
from tests.conftest import PROJECT_ROOT, Served

MINI = PROJECT_ROOT / "tests" / "fixtures" / "activities" / "mini-activity"
YEAR = 2025


@dataclass(frozen=True)
class Cohort:
    slug: str
    activity_id: str
    version_hash: str


@dataclass(frozen=True)
class Claim:
    name: str
    profession: str
    completed_on: date
    hundredths: int
    birth_mmdd: str | None = None
    licence: tuple[str, str] | None = None  # (state, number)
    revoked: bool = False


CLAIMS = (
    Claim("Ada Lovelace", "physician", date(2025, 3, 7), 50, "0307", ("NY", "MD-123456")),
    Claim("Grace Brewster Hopper", "physician", date(2025, 12, 9), 25, "1209", ("CA", "A 99")),
    Claim("Cher", "physician", date(2025, 6, 1), 50),  # one name, no birth date, no licence
    Claim("Revoked Doctor", "physician", date(2025, 5, 5), 50, "0101", ("TX", "R1"), True),
    Claim("Last Year", "physician", date(2024, 12, 31), 50, "0101", ("TX", "L1")),
    Claim("Nora Nurse", "nurse", date(2025, 4, 4), 50),
    Claim("Otto Other", "other", date(2025, 8, 8), 50),
)


def _activity(root: Path, slug: str, activity_id: str) -> Path:
    folder = root / slug
    shutil.copytree(MINI, folder)
    meta = folder / "activity.yaml"
    text = meta.read_text()
    text = text.replace("slug: mini-activity", f"slug: {slug}")
    text = text.replace(
        'accme_activity_number: "100000001"', f'accme_activity_number: "{activity_id}"'
    )
    text = text.replace("release_date: 2026-01-01", "release_date: 2025-01-01")
    text = text.replace(
        "commercial_support:\n"
        "  acknowledgement: There is no commercial support for this activity.\n",
        "commercial_support:\n"
        "  supporters: [Acme Pharma]\n"
        "  acknowledgement: Supported by an educational grant from Acme Pharma.\n"
        "  mitigation: Acme Pharma had no part in choosing topics, sources or authors.\n",
    )
    meta.write_text(text)
    return folder


@pytest.fixture(scope="module")
def cohort(console_services: ToolServices, tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    slug = f"pars-{uuid.uuid4().hex[:8]}"
    activity_id = str(random.randint(300_000_000, 999_999_999))
    folder = _activity(tmp_path_factory.mktemp("pars"), slug, activity_id)
    with transaction(console_services.session_factory) as session:
        [version] = [v for v in load_activities(session, folder) if v.slug == slug]
        for n, claim in enumerate(CLAIMS):
            user = User(issuer="https://pars.example", sub=f"{slug}-{n}", name=claim.name)
            session.add(user)
            session.flush()
            profile = LearnerProfile(
                user_id=user.id,
                certificate_name=claim.name,
                profession=claim.profession,
                email=f"{slug}-{n}@example.org",
                licence_state=claim.licence[0] if claim.licence else "",
            )
            profile.set_pii("birth_mmdd", claim.birth_mmdd)
            profile.set_pii("licence_number", claim.licence[1] if claim.licence else None)
            session.add(profile)
            started = datetime.combine(claim.completed_on, datetime.min.time(), UTC)
            participation = Participation(
                user_id=user.id,
                activity_slug=slug,
                activity_version_id=version.id,
                started_at=started,
                credit_claimed_at=started,
            )
            session.add(participation)
            session.flush()
            pdf = b"%PDF-1.4 stand-in"
            certificate = Certificate(
                number=f"{slug}-{n}",
                participation_id=participation.id,
                user_id=user.id,
                activity_slug=slug,
                activity_version_id=version.id,
                kind="credit",
                profession=claim.profession,
                learner_name=claim.name,
                activity_title=version.title,
                provider_name="Example CME Provider",
                credit_type="AMA PRA Category 1 Credit™",
                credit_hundredths=claim.hundredths,
                max_credit_hundredths=50,
                completed_on=claim.completed_on,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_size=len(pdf),
                revoked_at=started if claim.revoked else None,
            )
            certificate.set_pii("pdf", pdf)
            session.add(certificate)
        # Started in 2025 and stopped: the version is listed, nobody is counted for it.
        stopped = User(issuer="https://pars.example", sub=f"{slug}-stopped")
        session.add(stopped)
        session.flush()
        session.add(
            Participation(
                user_id=stopped.id,
                activity_slug=slug,
                activity_version_id=version.id,
                started_at=datetime(2025, 2, 2, tzinfo=UTC),
            )
        )
        version_hash = version.content_hash
    return Cohort(slug, activity_id, version_hash)


def _learner_lines(text: str, activity_id: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if line.startswith(activity_id + "\t")]


def test_the_activity_line_of_the_year_counts_who_claimed_credit(
    console_tool: Served, signed_in: requests.Session, cohort: Cohort
) -> None:
    response = signed_in.get(
        f"{console_tool.base_url}/admin/pars/{YEAR}/activities.csv", timeout=30
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    [row] = [r for r in rows if r["Provider activity ID"].startswith(cohort.slug + "@")]
    assert row == {
        "ACCME activity ID": cohort.activity_id,
        "Provider activity ID": f"{cohort.slug}@{cohort.version_hash[:12]}",
        "Activity title": row["Activity title"],
        "Activity type": "Internet Enduring Material",
        "Start date": "01/01/2025",
        "End date": "12/31/2027",
        "Hours of instruction": "0.50",
        "Physician learners": "3",  # Ada, Grace, Cher: not the revoked one, not 2024's
        "Other learners": "2",  # the nurse and the other professional
        "Commercial support": "Yes",
        "Commercial support sources": "Acme Pharma",
        "Commercial support amount": "",
        "Learner change measured": "Yes",
    }
    assert row["Activity title"]


def test_the_learner_file_holds_the_physicians_of_the_year_field_by_field(
    console_tool: Served, signed_in: requests.Session, cohort: Cohort
) -> None:
    response = signed_in.get(f"{console_tool.base_url}/admin/pars/{YEAR}/learners.txt", timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in response.headers["Content-Disposition"]
    assert not response.text.startswith("ACCME")  # no header row
    a = cohort.activity_id
    assert _learner_lines(response.text, a) == [
        [a, "Ada", "Lovelace", "03/07", "", "NY", "MD-123456", "", "", "03/07/2025", "0.50", ""],
        [
            a,
            "Grace Brewster",
            "Hopper",
            "12/09",
            "",
            "CA",
            "A 99",
            "",
            "",
            "12/09/2025",
            "0.25",
            "",
        ],
        [a, "", "Cher", "", "", "", "", "", "", "06/01/2025", "0.50", ""],
    ]


def test_the_file_passes_its_own_validator_except_for_what_a_row_lacks(
    console_services: ToolServices, cohort: Cohort
) -> None:
    with console_services.session_factory() as session:
        rows: list[LearnerRow] = [
            e.row for e in learner_rows(session, YEAR) if e.row.activity_id == cohort.activity_id
        ]

    problems = validate_learner_rows(rows, today=date(2026, 1, 15))

    assert [(p.row, p.field) for p in problems] == [
        (3, "first_name"),
        (3, "birth_mmdd"),
        (3, "licence_id"),
    ]
    assert validate_learner_rows(rows[:2], today=date(2026, 1, 15)) == []


def test_the_year_page_lists_activities_and_problems_but_names_no_learner(
    console_tool: Served, signed_in: requests.Session, cohort: Cohort
) -> None:
    base = f"{console_tool.base_url}/admin/pars/{YEAR}"
    pages = [signed_in.get(base, timeout=30)]
    while 'rel="next"' in pages[-1].text or ">Next</a>" in pages[-1].text:
        pages.append(signed_in.get(base, params={"page": len(pages) + 1}, timeout=30))
    text = "".join(page.text for page in pages)

    assert all(page.status_code == 200 for page in pages)
    assert pages[0].headers["Content-Type"].startswith("text/html")
    assert cohort.activity_id in text and "Internet Enduring Material" in text
    assert f"{cohort.slug}-2" in text  # Cher's certificate number, with her problems
    assert "First name: first name is required" in text
    assert "Date of birth (MM/DD): date of birth (month and day) is required" in text
    assert 'id="column-order-notice"' in text  # the unconfirmed column order is said
    assert (
        f"/admin/pars/{YEAR}/learners.txt" in text and f"/admin/pars/{YEAR}/activities.csv" in text
    )
    for claim in CLAIMS:
        for part in claim.name.split():
            assert f">{part}<" not in text and f" {part} " not in text
    for secret in ("MD-123456", "A 99", "03/07<", "12/09<", "@example.org"):
        assert secret not in text


def test_the_activities_page_links_to_pars(
    console_tool: Served, signed_in: requests.Session
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/activities", timeout=30)

    assert page.status_code == 200 and "/admin/pars" in page.text


def test_pars_files_are_for_operators_only(console_tool: Served, cohort: Cohort) -> None:
    for path in ("", "/activities.csv", "/learners.txt"):
        response = requests.get(
            f"{console_tool.base_url}/admin/pars/{YEAR}{path}", timeout=10, allow_redirects=False
        )
        assert response.status_code in (302, 401, 403)
        assert cohort.activity_id not in response.text and "Lovelace" not in response.text


def test_a_page_number_that_is_not_a_number_is_refused(
    console_tool: Served, signed_in: requests.Session
) -> None:
    response = signed_in.get(
        f"{console_tool.base_url}/admin/pars/{YEAR}", params={"page": "x"}, timeout=30
    )

    assert response.status_code == 400
