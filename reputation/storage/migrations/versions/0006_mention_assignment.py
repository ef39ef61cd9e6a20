"""mention: a person's confirmed or rejected match, which later crawls keep; indexes that
let the alert evaluation's cache find what changed (new classifications, deleted reviews)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DELETED = "deleted_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("assigned_by", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.create_index("ix_classification_created", ["created_at"], unique=False)
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_deleted",
            ["deleted_at"],
            unique=False,
            sqlite_where=sa.text(DELETED),
            postgresql_where=sa.text(DELETED),
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_deleted")
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.drop_index("ix_classification_created")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("assigned_at")
