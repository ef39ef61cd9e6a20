"""profile public rating: the site's own star rating and count, as last crawled

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_rating", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("public_rating_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("public_rating_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("public_rating_at")
        batch_op.drop_column("public_rating_count")
        batch_op.drop_column("public_rating")
