"""Alembic environment: runs on the connection handed in by reputation.storage.db, or on the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from reputation.storage.models import Base

config = context.config
target_metadata = Base.metadata
# APScheduler creates and owns its job table; migrations leave it alone.
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Skip tables that belong to other libraries."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def run() -> None:
    """Run the migrations online, on a given connection when there is one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
