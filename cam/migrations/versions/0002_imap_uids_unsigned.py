"""IMAP UIDVALIDITY and UIDs as 64-bit columns

IMAP's UIDVALIDITY and UIDs are unsigned 32-bit (up to 2**32 - 1); PostgreSQL's INTEGER is
signed 32-bit, so a mailbox whose numbers passed 2**31 could no longer store its cursor.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("uidvalidity", "last_uid")


def upgrade() -> None:
    with op.batch_alter_table("mailbox_cursors") as batch:
        for column in COLUMNS:
            batch.alter_column(column, type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("mailbox_cursors") as batch:
        for column in COLUMNS:
            batch.alter_column(column, type_=sa.Integer(), existing_nullable=False)
