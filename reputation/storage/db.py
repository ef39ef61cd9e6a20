"""Engines, sessions and schema migrations (Alembic, run from code)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from reputation.errors import ConfigError, DatabaseUnavailable, SchemaBehind
from reputation.settings import Settings, env_name

__all__ = ["Database", "alembic_config", "open_database", "sqlite_file"]

MIGRATIONS = Path(__file__).with_name("migrations")
SETTING = f"database.url ({env_name('database.url')})"
EXAMPLES = (
    "use sqlite:////absolute/path/repmon.db or postgresql+psycopg://USER:PASSWORD@HOST/DBNAME"
)


def _parse(url: str) -> URL:
    """The URL parsed, or a ConfigError saying what a database URL looks like."""
    try:
        return make_url(url)
    except ArgumentError:
        shown = url.split("@")[-1]  # whatever precedes an @ may be a password
        raise ConfigError(f"{SETTING}: {shown!r} is not a database URL; {EXAMPLES}") from None


def _engine(parsed: URL, kwargs: dict[str, Any]) -> Engine:
    """create_engine, with an unknown backend or a missing driver said in one line."""
    shown = parsed.render_as_string(hide_password=True)
    try:
        return create_engine(parsed, **kwargs)
    except NoSuchModuleError:
        raise ConfigError(
            f"{SETTING}: {shown} names an unknown kind of database "
            f"{parsed.drivername!r}; {EXAMPLES}"
        ) from None
    except ImportError as exc:
        raise ConfigError(
            f"{SETTING}: the driver of {parsed.drivername}:// ({exc.name}) is not installed; "
            f"repmon runs on SQLite and PostgreSQL: {EXAMPLES}"
        ) from None


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the daemon read while a crawl writes; busy_timeout waits instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Reads map the file (up to 1 GiB of address space) instead of copying every page through
    # read(): the first alert evaluation at 1M reviews reads the whole history (its queries
    # 3.5 s -> 2.7 s, bench/alerts_db.py). SQLite writes through its journal as before.
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.close()


def _first_line(exc: DBAPIError) -> str:
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]


def open_database(settings: Settings, create: bool = False) -> Database:
    """The configured database. A new SQLite file appears only with `create` (`repmon init`)
    or in the default data folder: a SQLite file that database.url names or a data_dir that
    does not hold one is refused, so a typo never starts an empty database."""
    url = settings.database_url
    named = settings.origin("database.url") != "default"
    file = sqlite_file(_parse(url))
    first_use = not named and settings.origin("data_dir") == "default"
    if file is None or file.exists() or create or first_use:
        return Database(url, create_dir=not named)
    if named and not file.parent.is_dir():
        return Database(url)  # refuses it naming the folder: `repmon init` could not help
    if named:
        raise ConfigError(
            f"no database at {file} (database.url, from {settings.origin('database.url')}): "
            "run `repmon init` to create it there, or correct the path"
        )
    raise ConfigError(
        f"no database in {file.parent} (data_dir, from {settings.origin('data_dir')}): run "
        f"`repmon init` to create one there, or point data_dir at the folder that holds "
        f"{file.name}"
    )


def sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite URL, absolute; None for another backend or an in-memory database."""
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or db in (None, "", ":memory:"):
        return None
    if db.startswith("file:"):  # a URI (uri=true): SQLite reads it, not a plain path
        return None
    return Path(db).expanduser().absolute()


class Database:
    """One database: its engine, a session factory, and its schema state."""

    def __init__(self, url: str, create_dir: bool = False) -> None:
        """Open `url`; a SQLite file's folder must exist unless `create_dir` (no typo'd path
        silently becomes a new empty database)."""
        self.url = url
        parsed = _parse(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_file(parsed)
            if path is not None:
                folder = path.parent
                if create_dir:
                    folder.mkdir(parents=True, exist_ok=True)
                elif not folder.is_dir():
                    raise ConfigError(
                        f"{SETTING}: the folder {folder} does not exist; "
                        "create it, or correct the path"
                    )
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            # a server that silently drops packets fails a connection in 10 s, not the OS's minutes
            kwargs["connect_args"] = {"connect_timeout": 10}
        self.engine: Engine = _engine(parsed, kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The backend's name: sqlite or postgresql."""
        return self.engine.dialect.name

    def session(self) -> Session:
        """A new session (use as a context manager)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def current_revision(self) -> str | None:
        """The schema revision stamped in the database, or None for an empty one."""
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:  # the first connection: say where and why, no traceback
            raise DatabaseUnavailable(
                f"cannot connect to the database "
                f"{self.engine.url.render_as_string(hide_password=True)}: "
                f"{_first_line(exc)}. Check {SETTING} and that the database is up"
            ) from None
        with conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        """The newest schema revision this code knows."""
        return ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()

    def upgrade(self) -> tuple[str | None, str | None]:
        """Create or migrate the schema to the newest revision; returns (before, after)."""
        before = self.current_revision()
        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return before, self.current_revision()

    def ensure_schema(self) -> None:
        """Create the schema in a new database; refuse a database whose schema is behind."""
        current = self.current_revision()
        head = self.head_revision()
        if current == head:
            return
        if current is None and not inspect(self.engine).get_table_names():
            self.upgrade()
            return
        raise SchemaBehind(
            f"the database schema is at revision {current or 'none'} but this version of "
            f"repmon needs {head}: back up the database, then run `repmon init` to migrate it"
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
