"""The migrations build exactly the schema the models declare, and upgrade old databases."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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


def _triggers(db: Database) -> set[str]:
    """Names of the triggers on the database's tables."""
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.dialect == "sqlite"
        else "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
    )
    with db.engine.connect() as conn:
        return set(conn.execute(text(query)).scalars())


CHANGE_TRIGGERS = {
    "review_change_review_insert",
    "review_change_review_update",
    "review_change_review_delete",
    "review_change_class_insert",
    "review_change_class_update",
    "review_change_class_unlink",
    "review_change_class_delete",
}


def test_the_change_log_triggers_exist_at_head_and_write_the_log(db: Database) -> None:
    # Fails when a later migration rebuilds review or classification (SQLite's batch mode
    # copies the table) without creating the triggers again: the alert evaluation would
    # silently miss every change after it.
    assert _triggers(db) == CHANGE_TRIGGERS
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO review (id, source, external_id, author, title, text, subratings, "
                "first_seen_at, last_seen_at, url, language, content_hash) VALUES (7, 'g', 'x', "
                "'A', '', '', '{}', '2026-12-01', '2026-12-01', '', '', 'h')"
            )
        )
        conn.execute(text("UPDATE review SET last_seen_at = '2026-12-02' WHERE id = 7"))
        conn.execute(text("UPDATE review SET rating = NULL WHERE id = 7"))  # NULL to NULL
        conn.execute(text("UPDATE review SET rating = 2 WHERE id = 7"))
        logged = conn.execute(text("SELECT review_id FROM review_change ORDER BY id")).scalars()
        assert list(logged) == [7, 7]


def test_downgrade_removes_the_change_log_and_upgrade_restores_it(db: Database) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert _triggers(db) == set()
    assert "review_change" not in inspect(db.engine).get_table_names()
    db.upgrade()
    assert _triggers(db) == CHANGE_TRIGGERS


def test_upgrade_marks_the_stored_dates_of_sites_that_give_no_time(db_url: str) -> None:
    db = Database(db_url)
    with db.engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
        for i, (source, published) in enumerate(
            [
                ("healthgrades", "2026-11-06 00:00:00+00:00"),  # "Nov 06, 2026"
                ("schemaorg", "2026-11-06 00:00:00+00:00"),
                ("schemaorg", "2026-11-06 14:30:00+00:00"),  # a time the page gave
                ("ratemds", "2026-11-06 00:00:00+00:00"),  # a real timestamp at midnight
            ]
        ):
            conn.execute(
                text(
                    "INSERT INTO review (id, source, external_id, author, title, text, "
                    "subratings, published_at, first_seen_at, last_seen_at, url, language, "
                    "content_hash) VALUES (:id, :source, :id, '', '', '', '{}', :published, "
                    "'2026-12-01', '2026-12-01', '', '', 'h')"
                ),
                {"id": i + 1, "source": source, "published": published},
            )
    db.upgrade()
    with db.engine.connect() as conn:
        marked = conn.execute(text("SELECT id, published_date_only FROM review ORDER BY id"))
        assert [(i, bool(flag)) for i, flag in marked] == [
            (1, True),
            (2, True),
            (3, False),
            (4, False),
        ]
    assert _triggers(db) == CHANGE_TRIGGERS  # the column was added without copying `review`
    with db.engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    assert "published_date_only" not in {
        c["name"] for c in inspect(db.engine).get_columns("review")
    }
    assert _triggers(db) == CHANGE_TRIGGERS
    db.dispose()
