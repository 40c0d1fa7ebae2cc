"""Several sender mailboxes: each lead's mailbox, and each mailbox's pause and warm-up start

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_states",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_by", sa.String(length=100), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("updated_at", cam.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("mailbox", sa.String(length=40), nullable=True))
        batch.create_index(batch.f("ix_leads_mailbox"), ["mailbox"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index(batch.f("ix_leads_mailbox"))
        batch.drop_column("mailbox")
    op.drop_table("mailbox_states")
