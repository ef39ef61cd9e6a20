"""Foundation commands: init, config, roster, ingest, reviews."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from repmon.app import (
    App,
    cell,
    console,
    err_console,
    export_rows,
    now_option,
    pass_app,
)
from reputation.errors import RepmonError
from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.settings import SETTINGS, env_name
from reputation.storage.models import Physician, Practice, Profile
from reputation.storage.queries import ReviewFilter, count_reviews, iter_reviews
from reputation.vocabulary import CATEGORIES
from reputation.wording import plural, shorten

__all__ = ["config", "ingest", "init", "reviews", "roster"]


_USERINFO = re.compile(r"(://[^/:@\s]*:)[^/\s]*@")


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the database, or migrate it to the newest schema."""
    db = app.database(check_schema=False, create=True)
    before, after = db.upgrade()
    if before == after:
        console.print(f"database {db.engine.url.render_as_string()} is up to date ({after})")
    else:
        console.print(f"database migrated from {before or 'empty'} to {after}")


@click.group()
def config() -> None:
    """Inspect the effective configuration."""


def _without_password(value: str) -> str:
    """A URL's password as ***, the rest readable (database.url, scrapyd.urls)."""
    return _USERINFO.sub(r"\1***@", value)


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def config_show(app: App, as_json: bool) -> None:
    """Print every setting, its value (secrets masked) and where it came from."""
    # Secrets are masked by the settings table; a password inside a URL (database.url,
    # scrapyd.urls) is masked here, keeping the rest of the URL readable.
    rows = [(name, _without_password(value), o) for name, value, o in app.settings.masked()]
    if as_json:
        click.echo(json.dumps({name: {"value": v, "origin": o} for name, v, o in rows}, indent=2))
        return
    table = Table("setting", "value", "from", "environment variable", "help")
    helps = {s.name: s.help for s in SETTINGS}
    for name, value, origin in rows:
        table.add_row(name, value, origin, env_name(name), helps[name])
    console.print(table)
    settings = app.settings
    where = f"{settings.config_file}'s folder" if settings.config_file else "the current folder"
    console.print(f"relative paths resolve against {where}: {settings.base_dir}", highlight=False)
    console.print(f"  data_dir     {settings.data_dir}", highlight=False)
    console.print(f"  mail.maildir {settings.maildir}", highlight=False)
    console.print(f"  database     {_without_password(settings.database_url)}", highlight=False)


@click.group()
def roster() -> None:
    """Import and list physicians, practices and their profiles."""


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def roster_import(app: App, file: Path) -> None:
    """Import a roster CSV; a file with any bad row imports nothing and lists every bad row."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RepmonError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = parse_roster(text)
    with app.database().transaction() as session:
        tally = apply_roster(session, rows)
    console.print(
        f"roster {file}: {len(rows)} physicians read; {tally.added} added, {tally.updated} "
        f"updated, {tally.unchanged} unchanged; {tally.practices_added} new practices"
    )


@roster.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@pass_app
def roster_list(app: App, as_json: bool) -> None:
    """List physicians with their practice and profiles."""
    with app.database().session() as session:
        physicians = session.scalars(select(Physician).order_by(Physician.name)).all()
        practices = {p.id: p for p in session.scalars(select(Practice))}
        profiles: dict[int, dict[str, str]] = {}
        for profile in session.scalars(select(Profile)):
            profiles.setdefault(profile.physician_id, {})[profile.source] = profile.url
    records: list[dict[str, Any]] = []
    for p in physicians:
        practice = practices.get(p.practice_id) if p.practice_id else None
        records.append(
            {
                "npi": p.npi,
                "name": p.name,
                "specialty": p.specialty,
                "aliases": p.aliases,
                "practice_id": practice.id if practice else None,
                "practice": practice.name if practice else "",
                "hospital": practice.hospital if practice else "",
                "profiles": profiles.get(p.id, {}),
            }
        )
    if as_json:
        for record in records:
            click.echo(json.dumps(record))
        return
    table = Table("NPI", "name", "specialty", "practice (id)", "profiles")
    for r in records:
        where = f"{r['practice']} ({r['practice_id']})" if r["practice_id"] else ""
        table.add_row(
            *map(cell, (r["npi"], r["name"], r["specialty"], where, ", ".join(r["profiles"])))
        )
    console.print(table)
    console.print(plural(len(records), "physician"))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@now_option
@pass_app
def ingest(app: App, file: Path, now: datetime) -> None:
    """Import reviews from a JSONL or CSV file (optionally .gz); re-importing adds nothing."""
    db = app.database()
    with Progress(
        TextColumn("ingest"),
        BarColumn(),
        TextColumn("{task.completed} lines"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("ingest", total=None)
        report = ingest_file(db, file, now, lambda n: progress.update(task, completed=n))
    t = report.tally
    console.print(
        cell(
            f"{file}: {plural(report.lines, 'record')}; {t.new} new, {t.updated} updated, "
            f"{t.unchanged} unchanged, {t.rejected} rejected"
        )
    )
    for problem in report.problems:
        # Problems quote the rejected values: shown literally, never as markup or escapes.
        console.print(cell(f"  rejected {problem}"))
    if t.rejected > len(report.problems):
        console.print(f"  ... and {t.rejected - len(report.problems)} more rejected")
    if t.rejected and not (t.new or t.updated or t.unchanged):
        err_console.print(
            f"[bold red]error:[/] nothing imported: all {plural(t.rejected, 'record')} of "
            f"{escape(str(file))} were rejected; fix the reasons above and run again"
        )
        raise SystemExit(1)


EXPORT_FIELDS = (
    "id",
    "source",
    "external_id",
    "npi",
    "physician",
    "published_at",
    "rating",
    "author",
    "title",
    "text",
    "url",
    "response_text",
    "response_at",
    "sentiment",
    "categories",
    "flags",
    "deleted",
)


@click.command()
@click.option("--physician", "npi", metavar="NPI", help="Only this physician's reviews.")
@click.option("--practice", metavar="ID", help="Only reviews of this practice (id or name).")
@click.option("--since", type=click.DateTime(), help="Only reviews published on or after DATE.")
@click.option(
    "--category",
    type=click.Choice(CATEGORIES),
    help="Only complaints of this category (praise that names it is left out).",
)
@click.option("--negative", is_flag=True, help="Only reviews classified negative.")
@click.option(
    "--unanswered", is_flag=True, help="Only reviews with no owner response (yet to answer)."
)
@click.option("--json", "fmt", flag_value="json", help="Export JSON lines.")
@click.option("--csv", "fmt", flag_value="csv", help="Export CSV.")
@click.option("--limit", type=int, default=None, help="At most this many (table default 50).")
@pass_app
def reviews(
    app: App,
    npi: str | None,
    practice: str | None,
    since: datetime | None,
    category: str | None,
    negative: bool,
    unanswered: bool,
    fmt: str | None,
    limit: int | None,
) -> None:
    """List or export stored reviews, newest first."""
    from reputation.classifier.classify import CLASSIFIER_VERSION

    since_utc = since.replace(tzinfo=UTC) if since else None
    flt = ReviewFilter(
        physician_npi=npi,
        practice=practice,
        since=since_utc,
        category=category,
        negative=negative,
        unanswered=unanswered,
    )
    db = app.database()
    with db.session() as session:
        rows = iter_reviews(session, flt, CLASSIFIER_VERSION)
        if export_rows(rows, fmt, EXPORT_FIELDS, limit):
            return
        table = Table("id", "published", "source", "physician", "stars", "categories", "text")
        shown = 0
        for row in rows:
            if shown >= (limit or 50):
                break
            stars = "" if row["rating"] is None else f"{row['rating']:.1f}"
            text = shorten(row["text"], 90, "...")
            table.add_row(
                *map(
                    cell,
                    (
                        row["id"],
                        row["published_at"][:10],
                        row["source"],
                        row["physician"],
                        stars,
                        ", ".join(row["categories"] + row["flags"]),
                        text,
                    ),
                )
            )
            shown += 1
        console.print(table)
        total = count_reviews(session, flt, CLASSIFIER_VERSION)
        console.print(f"{shown} of {total} shown")
