"""Reply watcher state, the team's labels on reply cards, data requests on replies

`mailbox_watches` says how each mailbox is read (IDLE or polling) and when it was last read, so
every instance's `/cam status` shows it; `reply_labels` keeps each decision a person took on a
reply card beside the classifier's answer; `replies.data_request` flags a question about
personal data (GDPR Art. 14/15), which must be answered within a month.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLY_CLASSES = (
    "interested",
    "not_interested",
    "out_of_office",
    "unsubscribe",
    "bounce",
    "question",
    "other",
)


def _reply_class() -> sa.Enum:
    return sa.Enum(*REPLY_CLASSES, name="replyclass", native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "mailbox_watches",
        sa.Column("mailbox", sa.String(length=300), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("idle", "polling", name="watchmode", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("last_read_at", cam.core.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", cam.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )
    op.create_table(
        "reply_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column(
            "choice",
            sa.Enum(
                "interested",
                "not_interested",
                "unsubscribe",
                "snooze",
                name="triagechoice",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("predicted", _reply_class(), nullable=False),
        sa.Column("label", _reply_class(), nullable=True),
        sa.Column("snooze_until", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", cam.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_id"),
    )
    with op.batch_alter_table("reply_labels") as batch:
        batch.create_index(batch.f("ix_reply_labels_decided_at"), ["decided_at"], unique=False)
    with op.batch_alter_table("replies") as batch:
        batch.add_column(
            sa.Column("data_request", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_column("data_request")
    with op.batch_alter_table("reply_labels") as batch:
        batch.drop_index(batch.f("ix_reply_labels_decided_at"))
    op.drop_table("reply_labels")
    op.drop_table("mailbox_watches")
