"""What a rep reads about a reply: why in words, whom to write instead, why a bounce failed

`explanation` says why a reply was classified as it was, in words and with the prospect's
deciding phrase quoted; `matched_rule` keeps the rule or the model's features as the details.
`referral_email` and `referral_name` hold the stand-in an absence notice names ("contact Jonas
Keller instead"), so the team can add them as a lead. `bounce_reason` is why the first failed
recipient of a bounce failed (user_unknown, mailbox_full, blocked, policy, host_unknown, ...).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as table:
        table.add_column(sa.Column("explanation", sa.String(500), nullable=True))
        table.add_column(sa.Column("referral_email", sa.String(320), nullable=True))
        table.add_column(sa.Column("referral_name", sa.String(200), nullable=True))
        table.add_column(sa.Column("bounce_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("replies") as table:
        table.drop_column("bounce_reason")
        table.drop_column("referral_name")
        table.drop_column("referral_email")
        table.drop_column("explanation")
