"""signed login states: a login writes nothing; a launch records the state it used

Issue 17: each OIDC login wrote a row (its state, nonce and parameters) and a rate-limit
count, and each launch read the row back: a database round trip and a commit per login.
The state is now signed and carried by the browser and the platform
(``lti_tool.launch.storage``); single use is kept by recording each used state's id until
the state expires. Logins begun before the upgrade and launched after it are refused once as
"unknown state" and start again from the course (a login lives ten minutes).

``login_states`` stays, unused by this code, so that a host still running the previous code
during a rolling upgrade keeps working (``lti_tool.db.RETIRED_TABLES``); a later revision
drops it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_login_states",
        sa.Column("state_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_id", name=op.f("pk_used_login_states")),
    )
    with op.batch_alter_table("used_login_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_login_states_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("used_login_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_login_states_expires_at"))
    op.drop_table("used_login_states")
