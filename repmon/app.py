"""What every command shares: settings, the database, the clock option, error reporting."""

from __future__ import annotations

import csv
import functools
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.text import Text

from reputation.errors import RepmonError
from reputation.imports.normalize import CONTROL_CHARACTERS
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database, open_database

__all__ = [
    "App",
    "ReportingGroup",
    "SafeConsole",
    "cell",
    "console",
    "err_console",
    "export_rows",
    "json_line",
    "now_option",
    "parse_now",
    "pass_app",
    "terminal_safe",
]

F = TypeVar("F", bound=Callable[..., Any])

# JSON keeps every character, but escapes those a terminal or a JS parser would act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(value: object) -> str:
    """Text without the control characters and bidi overrides a terminal would act on."""
    return CONTROL_CHARACTERS.sub("", str(value))


class SafeConsole(Console):
    """A console that never lets printed text drive the terminal.

    Every string it renders (messages, table cells) loses terminal controls first; a stray
    "[/]" in stored text is shown literally instead of failing the command with MarkupError.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Render `text` as rich does, without control characters, falling back to no markup."""
        clean = terminal_safe(text)
        try:
            return super().render_str(clean, **kwargs)
        except MarkupError:
            return super().render_str(clean, **{**kwargs, "markup": False})


console = SafeConsole(highlight=False, soft_wrap=True)
err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def cell(value: object) -> Text:
    """A table cell showing `value` literally: one line, no terminal controls, no rich markup."""
    return Text(" ".join(terminal_safe(value).split()))


def json_line(record: object) -> str:
    """JSON with non-ASCII kept readable but controls and bidi overrides as \\u escapes.

    json.dumps escapes C0 controls itself; C1 controls and U+202E would reach the terminal.
    """
    text = json.dumps(record, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def export_rows(
    rows: Iterable[dict[str, Any]], fmt: str | None, fields: Sequence[str], limit: int | None
) -> bool:
    """Print `rows` as JSON lines (`fmt` "json") or CSV ("csv"); False for any other format.

    List fields (categories, flags) become `;`-joined CSV cells. A file gets the text as
    stored; a terminal gets it without control sequences.
    """
    if fmt not in ("json", "csv"):
        return False
    rows = itertools.islice(rows, limit)
    if fmt == "json":
        for row in rows:
            click.echo(json_line(row))
        return True
    writer = csv.DictWriter(sys.stdout, fieldnames=list(fields))
    writer.writeheader()
    on_terminal = sys.stdout.isatty()
    for row in rows:
        row = {k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()}
        if on_terminal:
            row = {k: terminal_safe(v) if isinstance(v, str) else v for k, v in row.items()}
        writer.writerow(row)
    return True


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

    def database(self, check_schema: bool = True, create: bool = False) -> Database:
        """The database, schema-checked: one behind the code is refused, an empty one gets the
        schema; a missing one is created only in the default data folder or with `create`."""
        if self._db is None:
            self._db = open_database(self.settings, create)
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
