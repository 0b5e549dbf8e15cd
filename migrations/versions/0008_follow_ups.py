"""follow ups: commitments to change, followed up by email after a delay

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:20:00

Issue 16 item 3: one row per participation whose evaluation answer the activity follows up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lti_tool.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "participation_id",
            sa.Integer(),
            sa.ForeignKey("participations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("activity_slug", sa.String(128), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("opted_out_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed", sa.String(16), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("barriers", sa.Text(), nullable=False),
    )
    op.create_index("ix_follow_ups_due", "follow_ups", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.drop_table("follow_ups")
