"""Each outreach message names the mailbox it leaves from; covering indexes for the digest per rep

The digest counts each mailbox's sends by day. Through the lead (a join per row) that took
6 s for 230,000 sends on SQLite; with the mailbox on the message and in the sends index the
count reads the index alone, as the team's count does. A lead keeps one mailbox for its
whole sequence, so the message's is the lead's at planning; existing rows take it now.
Replies by class per mailbox read their lead from the replies index too.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_messages") as batch:
        batch.add_column(sa.Column("mailbox", sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE outreach_messages SET mailbox = "
        "(SELECT leads.mailbox FROM leads WHERE leads.id = outreach_messages.lead_id)"
    )
    op.drop_index("ix_outreach_sent", table_name="outreach_messages")
    op.create_index(
        "ix_outreach_sent",
        "outreach_messages",
        ["sent_at", "status", "channel", "step", "mailbox"],
    )
    op.drop_index("ix_replies_received", table_name="replies")
    op.create_index("ix_replies_received", "replies", ["received_at", "classification", "lead_id"])


def downgrade() -> None:
    op.drop_index("ix_replies_received", table_name="replies")
    op.create_index("ix_replies_received", "replies", ["received_at", "classification"])
    op.drop_index("ix_outreach_sent", table_name="outreach_messages")
    op.create_index(
        "ix_outreach_sent", "outreach_messages", ["sent_at", "status", "channel", "step"]
    )
    with op.batch_alter_table("outreach_messages") as batch:
        batch.drop_column("mailbox")
