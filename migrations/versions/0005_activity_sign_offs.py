"""activity sign-offs: a named reviewer's approval of one activity version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:40:00

An activity version is a demonstration (not valid for credit) until a reviewer signs off its
content hash with ``lti-tool activities approve`` (issue 14).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_version_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=255), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_version_id"],
            ["activity_versions.id"],
            name=op.f("fk_activity_sign_offs_activity_version_id_activity_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_sign_offs")),
        sa.UniqueConstraint(
            "activity_version_id", name=op.f("uq_activity_sign_offs_activity_version_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("activity_sign_offs")
