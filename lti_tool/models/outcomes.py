"""Running tallies of the outcomes report, kept as answers are stored
(``lti_tool.outcomes.tallies``).

Counting the knowledge change and the evaluation of 100,000 learners from their stored
answers means parsing every answer document (seconds); these tables hold the same counts
per activity version and per day the learners started (UTC), so the report adds up a few
hundred rows, and a date range still selects exactly the learners who started in it.
Participation records are never deleted or rewritten (see ``lti_tool.models.course``), so a
tally, once added to, stays true.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from lti_tool.db import Base, intpk


class KnowledgePairTally(Base):
    """Learners of one version who started on one day, for one pre-test item and the
    post-test item that repeats it (``same_as``): the four cells of McNemar's 2×2 table over
    their first pre-test and first post-test (``lti_tool.outcomes.knowledge``)."""

    __tablename__ = "knowledge_pair_tallies"
    __table_args__ = (
        UniqueConstraint(
            "activity_version_id",
            "started_on",
            "pretest_item",
            "posttest_item",
            name=conv("uq_knowledge_pair_tallies_key"),
        ),
    )

    id: Mapped[intpk]
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    started_on: Mapped[dt.date]
    pretest_item: Mapped[str] = mapped_column(String(128))
    posttest_item: Mapped[str] = mapped_column(String(128))
    both_right: Mapped[int] = mapped_column(default=0)
    right_before_only: Mapped[int] = mapped_column(default=0)
    right_after_only: Mapped[int] = mapped_column(default=0)
    both_wrong: Mapped[int] = mapped_column(default=0)


class EvaluationTally(Base):
    """Learners of one version who started on one day and gave ``answer`` to one evaluation
    item. A free-text item is tallied under the answer ``""``: how many wrote something."""

    __tablename__ = "evaluation_tallies"
    __table_args__ = (
        UniqueConstraint(
            "activity_version_id",
            "started_on",
            "item_id",
            "answer",
            name=conv("uq_evaluation_tallies_key"),
        ),
    )

    id: Mapped[intpk]
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    started_on: Mapped[dt.date]
    item_id: Mapped[str] = mapped_column(String(128))
    answer: Mapped[str] = mapped_column(String(255))
    learners: Mapped[int] = mapped_column(default=0)
