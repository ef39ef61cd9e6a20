"""review change log: database triggers record every review whose alert columns or
classification changed, so the alert evaluation reads exactly those (no more full reads);
drops the two indexes its change marks needed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The triggers are the one definition of what "changed" means for alerts/history.py. A later
migration that rebuilds `review` or `classification` on SQLite (op.batch_alter_table with a
column change copies the table) drops their triggers: it must create them again with
`create_triggers()`; tests/test_migrations.py fails at head when one is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DELETED = "deleted_at IS NOT NULL"
# The review columns the alert evaluation reads (alerts.history.Columns).
WATCHED = ("physician_id", "published_at", "deleted_at", "rating", "author", "first_seen_at")
# (trigger, table, event, row logged, condition): the classification's review, never a
# social post's classification (NULL review_id).
TRIGGERS = (
    ("review_change_review_insert", "review", "INSERT", "NEW.id", None),
    ("review_change_review_update", "review", "UPDATE", "NEW.id", "watched"),
    ("review_change_review_delete", "review", "DELETE", "OLD.id", None),
    ("review_change_class_insert", "classification", "INSERT", "NEW.review_id", "NEW"),
    ("review_change_class_update", "classification", "UPDATE", "NEW.review_id", "NEW"),
    ("review_change_class_unlink", "classification", "UPDATE", "OLD.review_id", "moved"),
    ("review_change_class_delete", "classification", "DELETE", "OLD.review_id", "OLD"),
)


def _condition(kind: str | None, distinct: str) -> str | None:
    """The trigger's WHEN condition in the dialect's null-safe "differs" (`distinct`)."""
    if kind == "watched":
        return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in WATCHED)
    if kind == "moved":  # a classification moved to another review: log the one it left too
        return f"OLD.review_id IS NOT NULL AND OLD.review_id {distinct} NEW.review_id"
    if kind is not None:
        return f"{kind}.review_id IS NOT NULL"
    return None


def _statements(postgresql: bool) -> list[str]:
    """The triggers' DDL, on PostgreSQL each after its function. PostgreSQL logs the writer's
    transaction too: txid_current() lets readers re-read the changes of a transaction that was
    still open when they read (its sequence ids are not commit-ordered)."""
    out = []
    for name, table, event, row, kind in TRIGGERS:
        when = _condition(kind, "IS DISTINCT FROM" if postgresql else "IS NOT")
        if postgresql:
            out.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO review_change (review_id, txid) VALUES ({row}, txid_current()); "
                "RETURN NULL; END $$"
            )
            action = f"EXECUTE FUNCTION {name}()"
        else:
            action = f"BEGIN INSERT INTO review_change (review_id) VALUES ({row}); END"
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
            + (f" WHEN ({when})" if when else "")
            + f" {action}"
        )
    return out


def create_triggers() -> None:
    """Create the change-log triggers (and PostgreSQL's trigger functions)."""
    for statement in _statements(op.get_bind().dialect.name == "postgresql"):
        op.execute(statement)


def drop_triggers() -> None:
    """Drop what create_triggers created."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION {name}()")


def upgrade() -> None:
    op.create_table(
        "review_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_change")),
        sqlite_autoincrement=True,
    )
    create_triggers()
    # Only the marks the log replaces used them (alerts/history.py before this revision).
    op.drop_index("ix_classification_created", table_name="classification")
    op.drop_index("ix_review_deleted", table_name="review")


def downgrade() -> None:
    op.create_index(
        "ix_review_deleted",
        "review",
        ["deleted_at"],
        unique=False,
        sqlite_where=sa.text(DELETED),
        postgresql_where=sa.text(DELETED),
    )
    op.create_index("ix_classification_created", "classification", ["created_at"], unique=False)
    drop_triggers()
    op.drop_table("review_change")
