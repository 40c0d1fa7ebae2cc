"""Answers scheduled for when an absent prospect is back: when they are due and in which zone,
when their send claimed them, and who cancelled one

An out-of-office reply with a return date offers "Answer when back": the answer is stored
`scheduled` (a new value of the status, which is a string column: no change to it) with
`due_at`, the first send-window slot of the working day after the return in the lead's zone
(`due_zone`, so the card and its thread show the time the lead will see). The send claims it
later than it was written, so the claim's own time (`claimed_at`) dates a stale claim and the
hour it counts in. A cancelled answer keeps who cancelled it (`cancelled_by`; empty when CAM
cancelled it because the prospect wrote again) and when; `reason` says why.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("claimed_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("due_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("due_zone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cancelled_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("cancelled_at", cam.core.models.UTCDateTime(), nullable=True))
    # Answers sent at once were claimed when they were written.
    op.execute("UPDATE answers SET claimed_at = created_at")
    op.create_index("ix_answers_due", "answers", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_answers_due", table_name="answers")
    # Without their due time, waiting answers would go at once: they are withdrawn instead.
    op.execute(
        "UPDATE answers SET status = 'skipped', reason = 'withdrawn: CAM was downgraded' "
        "WHERE status = 'scheduled'"
    )
    op.execute("UPDATE answers SET status = 'skipped' WHERE status = 'cancelled'")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("cancelled_by")
        batch.drop_column("due_zone")
        batch.drop_column("due_at")
        batch.drop_column("claimed_at")
