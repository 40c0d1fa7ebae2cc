"""Labels with provenance: the card a decision was taken on, its trust, and its undoing

A reply's label acts on the lead at once, but teaches the classifier only once it is trusted
(an approver's, two people agreeing, or what a deterministic rule said too); an undone label
teaches nothing. Who labelled what within the last hour is counted per person (rate limit).

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reply_labels") as batch:
        batch.add_column(sa.Column("card_channel", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("card_ts", sa.String(length=50), nullable=True))
        batch.add_column(
            sa.Column(
                "trust",
                sa.Enum(
                    "approver", "agreed", "rule", name="labeltrust", native_enum=False, length=24
                ),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("trusted_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("trusted_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("undone_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("undone_at", cam.core.models.UTCDateTime(), nullable=True))
        batch.create_index("ix_reply_labels_by", ["decided_by", "decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply_labels") as batch:
        batch.drop_index("ix_reply_labels_by")
        for column in (
            "undone_at",
            "undone_by",
            "trusted_at",
            "trusted_by",
            "trust",
            "card_ts",
            "card_channel",
        ):
            batch.drop_column(column)
