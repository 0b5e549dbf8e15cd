"""The Alembic migrations build exactly the schema the models declare, on SQLite and on
PostgreSQL (the session's database was created by ``lti-tool db upgrade``'s code)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

import lti_tool.models  # noqa: F401  (every table on the metadata)
import lti_tool.pii  # noqa: F401
from lti_tool.db import Base, include_in_schema, utcnow
from lti_tool.migrate import alembic_config
from lti_tool.models import (
    Deployment,
    Launch,
    Participation,
    ParticipationPlacement,
    Registration,
    ResourceLink,
    User,
)


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_in_schema}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_placements_are_filled_from_participations_and_launches(tmp_path: Path) -> None:
    """Revision 0006 remembers every placement a learner already came through, so an upgrade
    keeps sending each of them the learner's score (issue 11)."""
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    command.upgrade(alembic_config(url), "0005")
    engine = create_engine(url)
    now = utcnow()
    with Session(engine) as session, session.begin():
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
            key_set_url="https://lms.example.edu/jwks",
        )
        session.add(registration)
        session.flush()
        deployment = Deployment(registration_id=registration.id, deployment_id="d")
        user = User(issuer=registration.issuer, sub="learner-1")
        other = User(issuer=registration.issuer, sub="learner-2")
        session.add_all([deployment, user, other])
        # The 0005 columns only (the model has grown since).
        version_id = session.execute(
            text(
                "INSERT INTO activity_versions (slug, content_hash, title, files, source_dir,"
                " is_current, loaded_at) VALUES ('cd', 'h', 'CD', '{}', '', 1, :now)"
                " RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        session.flush()
        links = [
            ResourceLink(
                registration_id=registration.id, resource_link_id=f"l{n}", activity_slug=slug
            )
            for n, slug in enumerate(["cd", "cd", "cd", "other"])
        ]
        session.add_all(links)
        session.flush()
        mine = Participation(
            user_id=user.id,
            activity_slug="cd",
            activity_version_id=version_id,
            resource_link_pk=links[0].id,
        )
        theirs = Participation(
            user_id=other.id,
            activity_slug="cd",
            activity_version_id=version_id,
            resource_link_pk=links[2].id,
        )
        session.add_all([mine, theirs])
        session.flush()
        for n, (who, link) in enumerate([(user, 0), (user, 1), (user, 1), (user, 3), (other, 1)]):
            session.add(
                Launch(
                    id=f"launch-{n}",
                    registration_id=registration.id,
                    deployment_pk=deployment.id,
                    user_id=who.id,
                    resource_link_pk=links[link].id,
                    message_type="LtiResourceLinkRequest",
                    role="learner",
                    expires_at=now,
                )
            )
        ids = {"mine": mine.id, "theirs": theirs.id, "links": [link.id for link in links]}
    command.upgrade(alembic_config(url), "0006")
    with Session(engine) as session:
        found = set(
            (row[0], row[1])
            for row in session.execute(
                select(
                    ParticipationPlacement.participation_id,
                    ParticipationPlacement.resource_link_pk,
                )
            )
        )
    engine.dispose()
    link = ids["links"]
    # Learner 1: the placement on the participation and the second link launched (twice);
    # the link to another activity is not a placement of this participation.
    assert found == {
        (ids["mine"], link[0]),
        (ids["mine"], link[1]),
        (ids["theirs"], link[2]),
        (ids["theirs"], link[1]),
    }


def test_outcome_tallies_are_counted_from_the_answers_already_stored(tmp_path: Path) -> None:
    """Revision 0010 fills the outcomes report's running tallies from the answers stored
    before it, so the report shows the same figures after an upgrade (issue 16 item 6)."""
    import datetime as dt
    import shutil

    from lti_tool.catalog import load_activities
    from lti_tool.models import Attempt, EvaluationResponse
    from lti_tool.outcomes.knowledge import PairCounts
    from lti_tool.outcomes.tallies import evaluation_counts, pair_counts

    folder = tmp_path / "activities" / "mini-activity"
    shutil.copytree(Path(__file__).parent / "fixtures" / "activities" / "mini-activity", folder)
    pretest = folder / "pretest.yaml"
    pretest.write_text(
        pretest.read_text().replace(
            "  - id: mini-pre-01\n", "  - id: mini-pre-01\n    same_as: mini-post-01\n"
        )
    )
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    started = dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        [version] = load_activities(session, folder)
        for n, (before, after) in enumerate([("b", "a"), ("a", "a"), ("a", "c")]):
            user = User(issuer="https://lms.example.edu", sub=f"learner-{n}")
            session.add(user)
            session.flush()
            participation = Participation(
                user_id=user.id,
                activity_slug=version.slug,
                activity_version_id=version.id,
                started_at=started,
            )
            session.add(participation)
            session.flush()
            for kind, answers in (("pretest", {"mini-pre-01": before}),
                                  ("posttest", {"mini-post-01": after})):  # fmt: skip
                session.add(
                    Attempt(
                        public_id=f"{kind}-{n}",
                        participation_id=participation.id,
                        activity_version_id=version.id,
                        kind=kind,
                        number=1,
                        answers=answers,
                        submitted_at=started,
                    )
                )
            session.add(
                EvaluationResponse(
                    participation_id=participation.id,
                    activity_version_id=version.id,
                    answers={"fair-balance": "yes", "comments": "Good" if n == 0 else ""},
                )
            )
        version_id = version.id
    command.upgrade(alembic_config(url), "0010")
    day = started.date()
    with Session(engine) as session:
        pairs = pair_counts(session, version_id, day, day)
        other_days = pair_counts(session, version_id, day + dt.timedelta(days=1), None)
        given = evaluation_counts(session, [version_id], None, None)
    engine.dispose()

    assert pairs == {("mini-pre-01", "mini-post-01"): PairCounts(1, 0, 1, 1)}
    assert other_days == {}
    assert given == {"fair-balance": {"yes": 3}, "comments": {"": 1}}


def test_signed_login_states_keep_the_old_table_for_hosts_not_yet_restarted(
    tmp_path: Path,
) -> None:
    """Revision 0011 adds the used-states table and leaves the old login states in place:
    during a rolling upgrade, a host still running the code before it keeps its logins
    working until it is restarted. Downgrading drops only what 0011 added."""
    from sqlalchemy import inspect

    url = f"sqlite:///{tmp_path / 'rolling.sqlite3'}"
    command.upgrade(alembic_config(url), "0011")
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"login_states", "used_login_states"} <= tables
        command.downgrade(alembic_config(url), "0010")
        tables = set(inspect(engine).get_table_names())
        assert "login_states" in tables and "used_login_states" not in tables
    finally:
        engine.dispose()
