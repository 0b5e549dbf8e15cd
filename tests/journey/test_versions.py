"""Activity versions under learners: a reloaded folder never changes a journey under way;
and any valid activity folder runs through the same engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_tool.catalog import validate_folder
from lti_tool.models import ActivityVersion, Participation, User

from .conftest import REPO, LaunchFactory, Tool, replace_in, write_activity
from .flows import begin, open_posttest, read_all_sections

CERVICAL_DYSTONIA = REPO / "configs" / "activities" / "cervical-dystonia"


def test_a_reload_makes_a_new_version_while_learners_keep_theirs(
    tool: Tool, launch: LaunchFactory
) -> None:
    early = launch(sub="early-learner")
    begin(early)
    read_all_sections(early)
    open_posttest(early)

    replace_in(
        tool.activities_dir / "mini-activity",
        "sections/01-welcome.md",
        "This refresher takes five minutes.",
        "This refresher, revised, takes five minutes.",
    )
    tool.reload()
    late = launch(sub="late-learner")
    late_page = begin(late)

    assert "revised" in late_page.text
    assert "revised" not in early.get("/sections/welcome").text
    with tool.session() as session:
        versions = session.scalars(select(ActivityVersion).order_by(ActivityVersion.id)).all()
        assert [v.is_current for v in versions] == [False, True]
        old, new = versions
        by_learner = {
            sub: version_id
            for sub, version_id in session.execute(
                select(User.sub, Participation.activity_version_id).join(Participation.user)
            )
        }
        assert by_learner == {"early-learner": old.id, "late-learner": new.id}
        early_participation = session.scalars(
            select(Participation).join(Participation.user).where(User.sub == "early-learner")
        ).one()
        assert {a.activity_version_id for a in early_participation.attempts} == {old.id}
        assert "posttest" in {a.kind for a in early_participation.attempts}


def test_the_bundled_activity_runs_through_the_same_engine(
    tool: Tool, launch: LaunchFactory
) -> None:
    activity, issues = validate_folder(CERVICAL_DYSTONIA)
    if activity is None:
        pytest.skip(f"cervical-dystonia is still being written ({len(issues)} issues)")
    write_activity(tool.activities_dir, source=CERVICAL_DYSTONIA)
    tool.reload()
    tab = launch(slug="cervical-dystonia", link="link-cd")

    overview = tab.get("/")
    assert "Merz Pharmaceuticals" in overview.text
    assert "Hwai Yin (Evelyn) Ooi, MD" in overview.text
    assert "Faculty WILL discuss off-label uses" in overview.text
    page = tab.submit(overview.form("I have read the disclosures"))
    if page.path.endswith("/pretest"):
        page = tab.submit(page.form("Skip the pre-test"))
    assert f"Section 1 of {len(activity.sections)}" in page.text


def test_a_version_closed_to_new_learners_lets_those_who_started_finish(
    tool: Tool, launch: LaunchFactory
) -> None:
    from lti_tool.catalog import current_version, reopen_version, retire_version
    from lti_tool.db import utcnow

    early = launch(sub="started-before")
    begin(early)
    with tool.services.session_factory.begin() as session:
        version = current_version(session, "mini-activity")
        assert version is not None
        retire_version(session, version, "ops@provider", utcnow())

    refused = launch(sub="came-after").get("/")
    still_open = early.get("/sections/welcome")
    with tool.services.session_factory.begin() as session:
        version = current_version(session, "mini-activity")
        assert version is not None
        reopen_version(session, version)
    reopened = launch(sub="came-after-reopening").get("/")

    assert refused.status == 410
    assert "This activity is closed to new learners" in refused.text
    assert still_open.status == 200
    assert reopened.status == 200
    with tool.session() as session:
        subs = set(
            session.scalars(select(User.sub).join(Participation, Participation.user_id == User.id))
        )
    assert subs == {"started-before", "came-after-reopening"}  # no participation for the refused
