"""outbox: a partial index of sent messages that still hold their bodies

Compaction (reputation.mail.outbox.compact_sent) runs with every relay drain, each minute; without
this index it read every message ever sent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNCOMPACTED = "status = 'sent' AND body_html != ''"


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_uncompacted",
            ["sent_at"],
            unique=False,
            sqlite_where=sa.text(UNCOMPACTED),
            postgresql_where=sa.text(UNCOMPACTED),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_uncompacted")
