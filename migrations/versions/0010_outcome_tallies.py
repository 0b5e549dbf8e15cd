"""outcome tallies: knowledge pairs and evaluation answers per version and start day; partial
indexes for the funnel's attempts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 14:10:00

Issue 16 item 6: the outcomes page counted 100,000 learners in about 4 s, most of it parsing
every stored answer document. The report now adds up running tallies, written when a first
post-test or an evaluation is stored; this revision creates them and fills them from the
answers already stored (lti_tool.outcomes.tallies.recount), so the report's figures do not
change on upgrade. Two partial indexes let the funnel read "pre-test taken" and "post-test
passed" without reading the attempts table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PRETEST_TAKEN = "kind = 'pretest' AND submitted_at IS NOT NULL"
POSTTEST_PASSED = {
    "postgresql": "kind = 'posttest' AND passed IS true",
    "sqlite": "kind = 'posttest' AND passed IS 1",
}


def upgrade() -> None:
    op.create_table(
        "knowledge_pair_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_version_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("pretest_item", sa.String(128), nullable=False),
        sa.Column("posttest_item", sa.String(128), nullable=False),
        sa.Column("both_right", sa.Integer(), nullable=False),
        sa.Column("right_before_only", sa.Integer(), nullable=False),
        sa.Column("right_after_only", sa.Integer(), nullable=False),
        sa.Column("both_wrong", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_version_id"],
            ["activity_versions.id"],
            name=op.f("fk_knowledge_pair_tallies_activity_version_id_activity_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_pair_tallies")),
        sa.UniqueConstraint(
            "activity_version_id",
            "started_on",
            "pretest_item",
            "posttest_item",
            name="uq_knowledge_pair_tallies_key",
        ),
    )
    op.create_table(
        "evaluation_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_version_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("answer", sa.String(255), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_version_id"],
            ["activity_versions.id"],
            name=op.f("fk_evaluation_tallies_activity_version_id_activity_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_tallies")),
        sa.UniqueConstraint(
            "activity_version_id",
            "started_on",
            "item_id",
            "answer",
            name="uq_evaluation_tallies_key",
        ),
    )
    op.create_index(
        "ix_attempts_pretest_taken",
        "attempts",
        ["participation_id"],
        postgresql_where=sa.text(PRETEST_TAKEN),
        sqlite_where=sa.text(PRETEST_TAKEN),
    )
    op.create_index(
        "ix_attempts_posttest_passed",
        "attempts",
        ["participation_id"],
        postgresql_where=sa.text(POSTTEST_PASSED["postgresql"]),
        sqlite_where=sa.text(POSTTEST_PASSED["sqlite"]),
    )
    _fill_tallies()


def _fill_tallies() -> None:
    """Count the answers stored so far, per readable version (the report leaves the others
    out of knowledge change and evaluation already). Uses the application's own counting,
    on the columns that exist at this revision."""
    from lti_tool.course import ActivityInvalid, activity_from_files
    from lti_tool.outcomes.tallies import recount

    session = Session(bind=op.get_bind())
    activities = {}
    for version_id, files in session.execute(sa.text("SELECT id, files FROM activity_versions")):
        stored = files if isinstance(files, dict) else _json(files)
        try:
            activities[version_id] = activity_from_files(
                {path: text.encode("utf-8") for path, text in stored.items()}
            )
        except ActivityInvalid:
            continue
    if activities:
        recount(session, activities)
    session.flush()


def _json(value: str) -> dict[str, str]:
    import json

    found: dict[str, str] = json.loads(value)
    return found


def downgrade() -> None:
    op.drop_index("ix_attempts_posttest_passed", table_name="attempts")
    op.drop_index("ix_attempts_pretest_taken", table_name="attempts")
    op.drop_table("evaluation_tallies")
    op.drop_table("knowledge_pair_tallies")
