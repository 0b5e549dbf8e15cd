"""The outcomes of an activity in the console, from a hand-built cohort: the funnel by
profession, knowledge change on the paired items (McNemar's test and d, checked by hand in
tests/outcomes/test_knowledge.py), the evaluation summary; the same numbers in CSV and JSON;
the activities list; operators only.

The cohort takes an activity of its own (a copy of the mini activity under a new slug, its
pre-test items paired with ``same_as``), so other tests' learners in the shared database
never count.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from lti_tool.catalog import activity_for_version, load_activities
from lti_tool.course import load_activity
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    EvaluationResponse,
    Participation,
    User,
)
from lti_tool.models.certificates import LearnerProfile
from lti_tool.outcomes.tallies import recount
from tests.conftest import PROJECT_ROOT, Served

MINI = PROJECT_ROOT / "tests" / "fixtures" / "activities" / "mini-activity"
# Pair 1: pre b is right, post a is right (objective 1). Pair 2: b and b (objective 2).
# Each learner: (profession or None, pre answers, post answers, evaluation, claimed)
RIGHT, WRONG = True, False


def _activity(root: Path, slug: str) -> Path:
    folder = root / slug
    shutil.copytree(MINI, folder)
    meta = folder / "activity.yaml"
    meta.write_text(meta.read_text().replace("slug: mini-activity", f"slug: {slug}"))
    pre = folder / "pretest.yaml"
    text = pre.read_text()
    text = text.replace("  - id: mini-pre-01\n", "  - id: mini-pre-01\n    same_as: mini-post-01\n")
    text = text.replace("  - id: mini-pre-02\n", "  - id: mini-pre-02\n    same_as: mini-post-02\n")
    pre.write_text(text)
    return folder


def _cohort() -> list[tuple[str | None, bool, bool, bool, bool]]:
    """(profession, pair 1 before, pair 1 after, pair 2 before, pair 2 after) per learner.

    Pair 1: 2 right both, 1 right before only, 8 right after only, 1 wrong both (12).
    Pair 2: 5 right both, 0 right before only, 4 right after only, 3 wrong both (12).
    """
    pair1 = [(RIGHT, RIGHT)] * 2 + [(RIGHT, WRONG)] + [(WRONG, RIGHT)] * 8 + [(WRONG, WRONG)]
    pair2 = [(RIGHT, RIGHT)] * 5 + [(WRONG, RIGHT)] * 4 + [(WRONG, WRONG)] * 3
    professions = ["physician"] * 5 + ["nurse"] * 6 + [None]
    return [
        (profession, one[0], one[1], two[0], two[1])
        for profession, one, two in zip(professions, pair1, pair2, strict=True)
    ]


@pytest.fixture(scope="module")
def cohort_slug(console_services: ToolServices, tmp_path_factory: pytest.TempPathFactory) -> str:
    slug = f"outcomes-{uuid.uuid4().hex[:8]}"
    folder = _activity(tmp_path_factory.mktemp("outcomes"), slug)
    now = utcnow()
    with transaction(console_services.session_factory) as session:
        [version] = [v for v in load_activities(session, folder) if v.slug == slug]
        for n, (profession, pre1, post1, pre2, post2) in enumerate(_cohort()):
            user = User(issuer="https://outcomes.example", sub=f"{slug}-{n}", name=f"Learner {n}")
            session.add(user)
            session.flush()
            if profession:
                session.add(
                    LearnerProfile(
                        user_id=user.id,
                        certificate_name=f"Learner {n}",
                        profession=profession,
                        email=f"learner{n}@example.org",
                    )
                )
            evaluated = n < 10  # 10 of 12 submitted the evaluation, 8 claimed credit
            participation = Participation(
                user_id=user.id,
                activity_slug=slug,
                activity_version_id=version.id,
                disclosures_acknowledged_at=now,
                sections_viewed=["welcome", "key-facts"] if n < 11 else ["welcome"],
                evaluation_completed_at=now if evaluated else None,
                credit_claimed_at=now if n < 8 else None,
            )
            session.add(participation)
            session.flush()
            pre = {"mini-pre-01": "b" if pre1 else "a", "mini-pre-02": "b" if pre2 else "a"}
            post = {
                "mini-post-01": "a" if post1 else "b",
                "mini-post-02": "b" if post2 else "a",
                "mini-post-03": "b",
            }
            for kind, answers in (("pretest", pre), ("posttest", post)):
                session.add(
                    Attempt(
                        public_id=uuid.uuid4().hex,
                        participation_id=participation.id,
                        activity_version_id=version.id,
                        kind=kind,
                        number=1,
                        answers=answers,
                        passed=kind == "posttest" and n < 11,
                        submitted_at=now,
                    )
                )
            if evaluated:
                session.add(
                    EvaluationResponse(
                        participation_id=participation.id,
                        activity_version_id=version.id,
                        answers={
                            "objective-met-1": 5 if n < 6 else 4,
                            "fair-balance": "yes",
                            "intent-to-change": "yes" if n < 7 else "not-sure",
                            "comments": "<b>More cases</b>, please" if n == 0 else "",
                        },
                    )
                )
        # The rows above were written directly, not through the journey that tallies them
        # as it stores them: count them as revision 0010 counts stored answers.
        session.flush()
        recount(session, {version.id: activity_for_version(version)})
        # One learner who launched and stopped there.
        stopped = User(issuer="https://outcomes.example", sub=f"{slug}-stopped")
        session.add(stopped)
        session.flush()
        session.add(
            Participation(user_id=stopped.id, activity_slug=slug, activity_version_id=version.id)
        )
        assert session.get(ActivityVersion, version.id) is not None
    return slug


def test_outcomes_page_csv_and_json_agree_with_the_hand_built_cohort(
    console_tool: Served, signed_in: requests.Session, cohort_slug: str
) -> None:
    base = f"{console_tool.base_url}/admin/activities/{cohort_slug}/outcomes"
    report = signed_in.get(base + ".json", timeout=30).json()

    assert report["funnel_total"] == {
        "launched": 13,
        "disclosures": 12,
        "pretest": 12,
        "content": 11,
        "posttest_passed": 11,
        "evaluation": 10,
        "credit": 8,
    }
    assert report["funnel"]["physician"]["launched"] == 5
    assert report["funnel"]["nurse"]["launched"] == 6
    assert report["funnel"]["not stated yet"]["launched"] == 2
    first, second = report["items"]
    assert (first["pretest_item"], first["posttest_item"], first["objective"]) == (
        "mini-pre-01",
        "mini-post-01",
        1,
    )
    assert (first["pairs"], first["right_before_only"], first["right_after_only"]) == (12, 1, 8)
    assert first["percent_before"] == pytest.approx(25.0)
    assert first["percent_after"] == pytest.approx(250 / 3)
    assert first["test"] == "exact binomial"
    assert first["p_value"] == pytest.approx(0.0390625)  # 2 · (1 + 9) / 512
    assert first["effect_size_d"] == pytest.approx(1.14646, abs=1e-5)  # ln 8 · √3/π
    assert second["zero_cell_corrected"] is True
    assert second["effect_size_d"] == pytest.approx(1.21139, abs=1e-5)  # ln 9 · √3/π
    assert second["p_value"] == pytest.approx(0.125)  # 2 · 1 / 2^4
    objectives = {o["objective"]: o for o in report["objectives"]}
    assert objectives[1]["pairs"] == 12 and objectives[2]["pairs"] == 12
    intent = next(e for e in report["evaluation"] if e["item_id"] == "intent-to-change")
    assert intent["counts"] == {"Yes": 7, "No": 0, "Not sure": 3}

    page = signed_in.get(base, timeout=30)
    assert page.status_code == 200
    assert "&lt;b&gt;More cases&lt;/b&gt;, please" in page.text  # free text, escaped
    assert '<th scope="row">Physician</th>' in page.text  # people's names for professions
    assert '<th scope="row">physician</th>' not in page.text
    assert page.text.count("<svg") == 2  # funnel and knowledge change charts
    charts = re.findall(r"<svg.*?</svg>", page.text, flags=re.S)
    # The page's CSP blocks inline styles: the charts' colours are presentation attributes.
    assert all('style="' not in chart for chart in charts)
    assert 'fill="#1d4f91"' in charts[0]
    assert "0.0391" in page.text and "1.15" in page.text

    exported = signed_in.get(base + ".csv", timeout=30)
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert ["funnel", "physician", "Credit claimed", "5"] in rows
    assert ["item", "mini-pre-01 / mini-post-01", "p_value", "0.0390625"] in rows
    assert ["evaluation", "comments", "text", "'<b>More cases</b>, please"] not in rows
    assert ["evaluation", "comments", "text", "<b>More cases</b>, please"] in rows


def test_the_activities_list_shows_versions_and_links_to_outcomes(
    console_tool: Served, signed_in: requests.Session, cohort_slug: str
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/activities", timeout=30)

    assert page.status_code == 200
    assert cohort_slug in page.text
    # Learners of the version: started · completed the evaluation · claimed credit.
    assert re.search(
        r"demonstration \(not signed off\)</td>\s*<td data-version=\"\d+\">13 · 10 · 8</td>",
        page.text,
    )
    assert f"/admin/activities/{cohort_slug}/outcomes" in page.text


def test_outcomes_are_for_operators_only(console_tool: Served, cohort_slug: str) -> None:
    for path in ("", ".csv", ".json"):
        response = requests.get(
            f"{console_tool.base_url}/admin/activities/{cohort_slug}/outcomes{path}",
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code in (302, 401, 403)
        assert "mini-pre-01" not in response.text and "Completion funnel" not in response.text


def test_a_pre_test_item_paired_with_no_post_test_item_is_refused(tmp_path: Path) -> None:
    folder = _activity(tmp_path, "pairs")
    pre = folder / "pretest.yaml"
    pre.write_text(pre.read_text().replace("same_as: mini-post-02", "same_as: mini-post-99"))

    with pytest.raises(Exception, match="no post-test question 'mini-post-99'"):
        load_activity(folder)


def test_the_grantor_report_is_aggregate_and_names_no_learner(
    console_tool: Served, signed_in: requests.Session, cohort_slug: str
) -> None:
    base = f"{console_tool.base_url}/admin/activities/{cohort_slug}"
    pdf = signed_in.get(f"{base}/grantor-report.pdf", timeout=60)

    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Participation by profession" in text and "Knowledge change" in text
    assert "Remaining gaps" in text and "No follow-up results" in text
    assert "0.0391" in text  # objective 1's McNemar p, as on the console page
    # Nothing that identifies a learner: names, emails, LMS ids, free text.
    for n in range(12):
        assert f"Learner {n} " not in text + " "
        assert f"learner{n}@example.org" not in text
    assert cohort_slug + "-" not in text
    assert "More cases" not in text
    assert "@" not in text


def test_a_date_range_counts_only_learners_who_started_in_it(
    console_tool: Served, signed_in: requests.Session, cohort_slug: str
) -> None:
    base = f"{console_tool.base_url}/admin/activities/{cohort_slug}/outcomes.json"
    future = signed_in.get(base, params={"from": "2999-01-01"}, timeout=30).json()
    today = signed_in.get(
        base, params={"from": utcnow().date().isoformat(), "to": utcnow().date().isoformat()}
    ).json()
    refused = signed_in.get(base, params={"from": "yesterday"}, timeout=30)

    assert future["funnel_total"]["launched"] == 0 and future["items"] == []
    assert today["funnel_total"]["launched"] == 13
    assert refused.status_code == 400


def test_the_page_shows_recently_counted_figures_and_counts_again_when_asked(
    console_tool: Served,
    console_services: ToolServices,
    signed_in: requests.Session,
    tmp_path: Path,
) -> None:
    slug = f"snapshot-{uuid.uuid4().hex[:8]}"
    with transaction(console_services.session_factory) as session:
        [version] = [
            v for v in load_activities(session, _activity(tmp_path, slug)) if v.slug == slug
        ]
    page_url = f"{console_tool.base_url}/admin/activities/{slug}/outcomes"

    def counted(page: requests.Response) -> str:
        found = re.search(r"Counted at ([0-9-]+ [0-9:]+) UTC", page.text)
        assert found is not None, page.text
        return found.group(1)

    first = signed_in.get(page_url, timeout=30)
    with transaction(console_services.session_factory) as session:
        user = User(issuer="https://outcomes.example", sub=f"{slug}-late", name="Late Learner")
        session.add(user)
        session.flush()
        session.add(
            Participation(user_id=user.id, activity_slug=slug, activity_version_id=version.id)
        )
    time.sleep(1.1)  # the page shows the time to the second
    again = signed_in.get(page_url, timeout=30)
    fresh = signed_in.get(page_url, params={"fresh": "1"}, timeout=30)
    exported = signed_in.get(page_url + ".json", timeout=30).json()

    assert counted(first) == counted(again)  # the same snapshot, without the late learner
    assert counted(fresh) != counted(first)
    assert 'href="/admin/activities/' in fresh.text and "fresh=1" in fresh.text
    assert exported["funnel_total"]["launched"] == 1  # downloads are always counted anew


def test_the_console_shows_who_loaded_a_version_and_closes_it_to_new_learners(
    console_tool: Served,
    console_services: ToolServices,
    signed_in: requests.Session,
    tmp_path: Path,
) -> None:
    from lti_tool.catalog import who_ran
    from tests.registration.fixtures import csrf_of

    slug = f"retire-{uuid.uuid4().hex[:8]}"
    loaded_by = who_ran("activities load /srv/cme/activities")
    with transaction(console_services.session_factory) as session:
        loaded = load_activities(session, _activity(tmp_path, slug), loaded_by=loaded_by)
        [version_id] = [v.id for v in loaded if v.slug == slug]
    listing = signed_in.get(f"{console_tool.base_url}/admin/activities", timeout=30)

    closed = signed_in.post(
        f"{console_tool.base_url}/admin/activities/versions/{version_id}/retire",
        data={"csrf_token": csrf_of(listing)},
        timeout=30,
    )
    forged = signed_in.post(
        f"{console_tool.base_url}/admin/activities/versions/{version_id}/reopen",
        data={"csrf_token": "not-the-token"},
        timeout=30,
        allow_redirects=False,
    )
    with console_services.session_factory() as session:
        version = session.get(ActivityVersion, version_id)
        assert version is not None
        retired_at, retired_by = version.retired_at, version.retired_by

    assert "lti-tool activities load /srv/cme/activities (" in listing.text
    assert f'action="/admin/activities/versions/{version_id}/retire"' in listing.text
    assert closed.status_code == 200 and "closed to new learners" in closed.text
    assert retired_at is not None and retired_by  # the operator who closed it
    assert forged.status_code in (400, 403)  # no reopening without the console's token


def test_a_stored_version_the_code_cannot_read_does_not_break_the_outcomes(
    console_tool: Served,
    console_services: ToolServices,
    signed_in: requests.Session,
    tmp_path: Path,
) -> None:
    slug = f"unreadable-{uuid.uuid4().hex[:8]}"
    with transaction(console_services.session_factory) as session:
        load_activities(session, _activity(tmp_path, slug))
        # An older version whose stored files this code no longer accepts.
        old = ActivityVersion(
            slug=slug, content_hash="0" * 64, title="Old", files={}, is_current=False
        )
        user = User(issuer="https://outcomes.example", sub=f"{slug}-old", name="Old Learner")
        session.add_all([old, user])
        session.flush()
        session.add(Participation(user_id=user.id, activity_slug=slug, activity_version_id=old.id))
    base = f"{console_tool.base_url}/admin/activities/{slug}/outcomes"

    page = signed_in.get(base, timeout=30)
    exported = signed_in.get(base + ".json", timeout=30)

    assert page.status_code == 200
    assert "1 learner(s) started a version of this activity that the tool can no longer read" in (
        page.text
    )
    assert exported.status_code == 200
    assert exported.json()["funnel_total"]["launched"] == 1
