"""activity version provenance: which command loaded it, and retiring it for new learners

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:45:00

Issue 16 item 1: the console shows who loaded each version with which command, and an
operator can close a version to new learners (those who started keep going).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity_versions") as batch:
        batch.add_column(sa.Column("loaded_by", sa.String(512), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("retired_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("retired_by", sa.String(255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("activity_versions") as batch:
        batch.drop_column("retired_by")
        batch.drop_column("retired_at")
        batch.drop_column("loaded_by")
