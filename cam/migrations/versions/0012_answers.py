"""Answers from Slack (their outbox) and the times of speed to lead on each reply

Revision ID: 0012
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "planned",
    "sending",
    "sent",
    "simulated",
    "skipped",
    "failed",
    "unknown",
    name="outreachstatus",
    native_enum=False,
    length=24,
)


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=100), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("mailbox", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("in_reply_to", sa.String(length=1000), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", cam.core.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", cam.core.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index(op.f("ix_answers_reply_id"), "answers", ["reply_id"], unique=False)
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("landed_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("card_posted_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("answered_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("answer_reminded_at", cam.core.models.UTCDateTime(), nullable=True)
        )
        batch.create_index(batch.f("ix_replies_landed_at"), ["landed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_index(batch.f("ix_replies_landed_at"))
        batch.drop_column("answer_reminded_at")
        batch.drop_column("answered_at")
        batch.drop_column("card_posted_at")
        batch.drop_column("landed_at")
    op.drop_index(op.f("ix_answers_reply_id"), table_name="answers")
    op.drop_table("answers")
