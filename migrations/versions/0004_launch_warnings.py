"""launch warnings: what a launch carried that the tool ignored, for the console

A launch whose AGS or NRPS service URLs are not on the registration's own origins has them
ignored (no score or roster call goes there); the launch keeps a sentence per ignored URL so
the operator sees it among recent launches.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("launches", schema=None) as batch_op:
        # Existing launches get an empty list; new rows always set it.
        batch_op.add_column(
            sa.Column("warnings", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.drop_column("warnings")
