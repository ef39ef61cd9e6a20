"""The migrations build exactly the schema the models declare, and upgrade old databases."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from reputation.storage.db import Database, alembic_config
from reputation.storage.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert db.current_revision() == db.head_revision()


def test_upgrade_from_the_first_revision_keeps_data(db_url: str) -> None:
    db = Database(db_url)
    with db.engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO practice (name, hospital) VALUES ('P', 'H')"))
    before, after = db.upgrade()
    assert (before, after) == ("0001", db.head_revision())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM practice")).scalar() == "P"
    db.dispose()
