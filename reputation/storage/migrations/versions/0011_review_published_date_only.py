"""review published_date_only: the site gave a date with no time of day (stored at 00:00 UTC)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Healthgrades and schema.org pages give dates alone. Reviews of theirs stored before this
revision at exactly 00:00 UTC are such dates and are marked; other sources keep their times.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

DATE_SOURCES = ("healthgrades", "schemaorg")


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would copy `review` on SQLite and lose its triggers (0010).
    op.add_column(
        "review",
        sa.Column("published_date_only", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        midnight = "strftime('%H:%M:%f', published_at) = '00:00:00.000'"
    else:
        midnight = "CAST(published_at AT TIME ZONE 'UTC' AS time) = '00:00:00'"
    review = sa.table(
        "review",
        sa.column("source", sa.String()),
        sa.column("published_at", sa.DateTime(timezone=True)),
        sa.column("published_date_only", sa.Boolean()),
    )
    op.execute(
        review.update()
        .where(review.c.source.in_(DATE_SOURCES), sa.text(midnight))
        .values(published_date_only=True)
    )


def downgrade() -> None:
    op.drop_column("review", "published_date_only")
