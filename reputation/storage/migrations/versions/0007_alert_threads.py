"""alert threads: the first email each recipient got about an alert, so follow-ups thread per
recipient (a second subscriber's first email no longer replies to a message they never got)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_thread_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipient.id"],
            name=op.f("fk_alert_thread_recipient_id_recipient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_thread")),
        sa.UniqueConstraint(
            "alert_id", "recipient_id", name=op.f("uq_alert_thread_alert_id_recipient_id")
        ),
    )
    # The old per-alert thread belonged to the recipient its first message went to.
    op.execute(
        "INSERT INTO alert_thread (alert_id, recipient_id, message_id) "
        "SELECT a.id, o.recipient_id, a.thread_message_id FROM alert a "
        "JOIN outbox_message o ON o.message_id = a.thread_message_id "
        "WHERE o.recipient_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("alert_thread")
