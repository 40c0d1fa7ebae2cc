"""Signed Slack requests already served, so a replay within Slack's five minutes is refused

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cam.core.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_nonces",
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("expires_at", cam.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("request_nonces") as batch:
        batch.create_index(batch.f("ix_request_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request_nonces") as batch:
        batch.drop_index(batch.f("ix_request_nonces_expires_at"))
    op.drop_table("request_nonces")
