"""A first launch's participation is inserted by a plain statement and handed to its page
as a loaded row (``db.insert_or_find``): the row handed over must be the row stored, column
for column, on SQLite and PostgreSQL alike; a second call finds it instead of inserting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from lti_tool.db import insert_or_find
from lti_tool.extensions import ToolServices
from lti_tool.models import Participation, User
from tests.conftest import Sandbox, launch, unique


def test_the_participation_handed_over_is_the_one_stored(
    sandbox: Sandbox, tool_services: ToolServices
) -> None:
    # A real launch gives a link with an activity, and a version a learner started on.
    landed = launch(sandbox.driver("moodle"), "learner05")
    assert landed.status_code == 200, landed.text
    with tool_services.session_factory() as session:
        model = session.scalars(select(Participation).order_by(Participation.id.desc())).first()
        assert model is not None
        version_id, link_pk, slug = (
            model.activity_version_id,
            model.resource_link_pk,
            model.activity_slug,
        )

    started = dt.datetime(2026, 12, 6, 9, 30, 15, tzinfo=dt.UTC)
    with tool_services.session_factory() as session:
        learner = User(issuer="https://lms.example.test", sub=unique("handed-"))
        session.add(learner)
        session.flush()
        defaults = {
            "activity_version_id": version_id,
            "resource_link_pk": link_pk,
            "started_at": started,
            "sections_viewed": ["one", "two"],
            "seconds_on_content": 42,
            "evaluation_draft": {"q1": "4"},
        }
        handed, inserted = insert_or_find(
            session, Participation, defaults, user_id=learner.id, activity_slug=slug
        )
        assert inserted
        assert inspect(handed).persistent and handed in session
        columns = [attribute.key for attribute in inspect(Participation).column_attrs]
        as_handed = {key: getattr(handed, key) for key in columns}
        session.commit()

    with tool_services.session_factory() as session:
        stored = session.get(Participation, as_handed["id"])
        assert stored is not None
        assert {key: getattr(stored, key) for key in columns} == as_handed
        assert as_handed["started_at"] == started
        assert as_handed["sections_viewed"] == ["one", "two"]
        assert as_handed["evaluation_draft"] == {"q1": "4"}

        again, inserted_again = insert_or_find(
            session, Participation, defaults, user_id=as_handed["user_id"], activity_slug=slug
        )
        assert not inserted_again
        assert again.id == as_handed["id"]
