"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when CI provides one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reputation.storage.db import Database
from tests.factories import scratch_schema

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("REPMON_TEST_POSTGRES_URL", "")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared/ is only beside CI and developer clones")
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL of a fresh, empty database on each backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with scratch_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database."""
    database = Database(db_url)
    database.ensure_schema()
    yield database
    database.dispose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    """A clean working directory for CLI tests, with the database URL in the environment."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("REPMON_") and key != "REPMON_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("REPMON_DATABASE_URL", db_url)
    if db_url.startswith("sqlite:///"):
        # as `repmon init` would: commands refuse a named SQLite file that does not exist,
        # and an empty file is an empty database (the first command creates the schema)
        Path(db_url.removeprefix("sqlite:///")).touch()
    return tmp_path
