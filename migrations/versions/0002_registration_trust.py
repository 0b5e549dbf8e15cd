"""registration trust: invitations, registration history, held re-registrations

One-time Dynamic Registration invitations (stored hashed), an append-only history of each
registration (registered, updated, approved, rejected) and, on the registration record, a
re-registration that changes a live platform's keys or endpoints, held for an operator.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registration_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_events_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_events")),
    )
    with op.batch_alter_table("registration_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_events_registration_id", ["registration_id", "id"], unique=False
        )
    op.create_table(
        "registration_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_invitations_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registration_invitations_token_hash")),
    )
    with op.batch_alter_table("registration_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_update", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registration_records", schema=None) as batch_op:
        batch_op.drop_column("proposed_update")
    op.drop_table("registration_invitations")
    with op.batch_alter_table("registration_events", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_events_registration_id")
    op.drop_table("registration_events")
