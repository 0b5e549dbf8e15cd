"""participation placements: every placement a learner launched an activity through

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 01:50:00

Each such placement gets the learner's current best score and completion (issue 11). Filled
from what the tool already knows: the placement each participation last came through, and
every recorded launch of the learner through a link to the same activity.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participation_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_pk", sa.Integer(), nullable=False),
        sa.Column("first_launched_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participation_id"],
            ["participations.id"],
            name=op.f("fk_participation_placements_participation_id_participations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_link_pk"],
            ["resource_links.id"],
            name=op.f("fk_participation_placements_resource_link_pk_resource_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_placements")),
        sa.UniqueConstraint(
            "participation_id",
            "resource_link_pk",
            name=op.f("uq_participation_placements_participation_id_resource_link_pk"),
        ),
    )
    op.create_index(
        op.f("ix_participation_placements_resource_link_pk"),
        "participation_placements",
        ["resource_link_pk"],
        unique=False,
    )
    op.execute(
        """
        INSERT INTO participation_placements (participation_id, resource_link_pk,
                                              first_launched_at)
        SELECT known.participation_id, known.resource_link_pk, MIN(known.at)
        FROM (
            SELECT p.id AS participation_id, p.resource_link_pk, p.started_at AS at
            FROM participations p WHERE p.resource_link_pk IS NOT NULL
            UNION ALL
            SELECT p.id, l.resource_link_pk, l.created_at
            FROM launches l
            JOIN resource_links r ON r.id = l.resource_link_pk
            JOIN participations p
              ON p.user_id = l.user_id AND p.activity_slug = r.activity_slug
        ) known
        GROUP BY known.participation_id, known.resource_link_pk
        """
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_participation_placements_resource_link_pk"),
        table_name="participation_placements",
    )
    op.drop_table("participation_placements")
