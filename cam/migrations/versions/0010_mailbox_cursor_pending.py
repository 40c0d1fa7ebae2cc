"""UIDs a mailbox's cursor has passed without storing them

A server may leave a UID out of a FETCH answer; the cursor used to move past it and the reply
was lost. The cursor now keeps such UIDs, with the number of reads that asked for them, and
asks again until they come or a few reads gave up on them.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_cursors") as batch:
        batch.add_column(sa.Column("pending", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_cursors") as batch:
        batch.drop_column("pending")
