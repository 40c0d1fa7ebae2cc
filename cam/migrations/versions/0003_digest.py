"""Digest runs (one per scheduled slot) and the indexes the digest's day counts use

The digest counts sends, replies, new leads and send-time bounces by when they happened: each
count is a range condition on that timestamp, which without an index reads the whole table.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_outreach_messages_sent_at", "outreach_messages", ["sent_at"]),
    ("ix_outreach_status_updated", "outreach_messages", ["status", "updated_at"]),
    ("ix_replies_received_at", "replies", ["received_at"]),
    ("ix_leads_created_at", "leads", ["created_at"]),
)


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("digest", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot", name="uq_digest_slot"),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("digest_runs")
