"""attempt choice order: the answer choices in the order each attempt showed them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 02:05:00

Choices are shuffled per attempt (issue 13); the shown order is kept with the attempt so the
review and the record show what the learner saw. Earlier attempts keep an empty order, which
means the author's order (what they were shown).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("choice_order", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("choice_order")
