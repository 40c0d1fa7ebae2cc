"""The suppression ledger: each suppression's source, evidence, decider and reply; reply review

A suppression is forever, so the database keeps what it was decided on: `source` (the person's
own word, a verified bounce, a confirmed model guess, a team click, by hand), `evidence` (the
phrase, the returned Message-ID and status), `decided_by` and the `reply_id` behind it. Rows
written before this know none of it: they become `legacy`, except the one-click ones, whose
reason names them. `replies.review` marks a card that asks the team to decide.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = (
    "one_click",
    "complaint",
    "phrase",
    "model_confirmed",
    "bounce",
    "team",
    "manual",
    "legacy",
)


def upgrade() -> None:
    with op.batch_alter_table("suppressions") as batch:
        batch.add_column(
            sa.Column(
                "source",
                sa.Enum(*SOURCES, name="suppressionsource", native_enum=False, length=24),
                nullable=False,
                server_default="legacy",
            )
        )
        batch.add_column(
            sa.Column("evidence", sa.String(length=1000), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("decided_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("reply_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_suppressions_reply_id_replies", "replies", ["reply_id"], ["id"]
        )
    op.execute(
        "UPDATE suppressions SET source = 'one_click', evidence = reason "
        "WHERE reason = 'unsubscribed (one-click)'"
    )
    with op.batch_alter_table("replies") as batch:
        batch.add_column(
            sa.Column(
                "review",
                sa.Enum(
                    "opt_out_guess", "unsure", name="replyreview", native_enum=False, length=24
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_column("review")
    with op.batch_alter_table("suppressions") as batch:
        batch.drop_constraint("fk_suppressions_reply_id_replies", type_="foreignkey")
        batch.drop_column("reply_id")
        batch.drop_column("decided_by")
        batch.drop_column("evidence")
        batch.drop_column("source")
