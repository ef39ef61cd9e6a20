"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

__all__ = ["insert_ignore", "insert_ignore_statement"]


def insert_ignore_statement(session: Session, model: Any, keys: Sequence[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING in the session's SQL dialect."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=list(keys))


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert rows, skipping those whose unique `keys` already exist; returns how many went in."""
    if not rows:
        return 0
    statement = insert_ignore_statement(session, model, keys)
    connection = session.connection()
    if len(rows) == 1:
        return connection.execute(statement, rows[0]).rowcount
    return connection.execute(statement, list(rows)).rowcount
