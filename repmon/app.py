"""What every command shares: settings, the database, the clock option, error reporting."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from reputation.db import Database
from reputation.errors import RepmonError
from reputation.settings import Settings, load_settings

__all__ = ["App", "ReportingGroup", "console", "err_console", "now_option", "parse_now", "pass_app"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


class App:
    """Per-invocation state: settings and a lazily opened, schema-checked database."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        """The effective settings (file, then environment)."""
        if self._settings is None:
            self._settings = load_settings(self.config, os.environ, Path.cwd())
        return self._settings

    def database(self, check_schema: bool = True) -> Database:
        """The database; a new one is created, one behind the code is refused."""
        if self._db is None:
            self._db = Database(self.settings.database_url)
            if check_schema:
                self._db.ensure_schema()
        return self._db

    def close(self) -> None:
        """Release the database connections."""
        if self._db is not None:
            self._db.dispose()


pass_app = click.make_pass_decorator(App)


def parse_now(value: str | None) -> datetime:
    """The --now value as aware UTC, or the current time."""
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time such as 2026-11-23T09:00:00Z", param_hint="--now"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def now_option(func: F) -> F:
    """Add `--now T` (ISO 8601) to a command, so every time-dependent command is replayable."""

    @click.option(
        "--now",
        "now",
        metavar="T",
        help="Act as if the time were T (ISO 8601, UTC if no offset). Default: the clock.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, now: str | None, **kwargs: Any) -> Any:
        return func(*args, now=parse_now(now), **kwargs)

    return wrapper  # type: ignore[return-value]


class ReportingGroup(click.Group):
    """A group that reports RepmonError as a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RepmonError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            ctx.exit(2)
