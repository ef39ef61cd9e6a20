"""`repmon crawl` (ad-hoc crawls) and `repmon crawls` (crawl history and health)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from repmon.app import App, cell, console, parse_now, pass_app
from repmon.processes import ENGINES, CrawlRequest, run_crawls, settle_dead_runs
from reputation.crawls.health import COVERAGE
from reputation.crawls.runs import one_off
from reputation.errors import RepmonError
from reputation.imports.incoming import SOURCES
from reputation.imports.normalize import is_http_url
from reputation.storage.models import CrawlRun
from reputation.wording import plural, shorten

__all__ = ["crawl", "crawls"]


def _table(runs: dict[str, CrawlRun]) -> Table:
    table = Table(
        "source",
        "status",
        "pages",
        "new",
        "updated",
        "unchanged",
        "rejected",
        "deleted",
        "note",
        title="crawl finished",
    )
    for key in sorted(runs):
        r = runs[key]
        style = {"ok": "green", "partial": "yellow", "running": "cyan"}.get(r.status, "bold red")
        note = r.errors[0] if r.errors else ""
        table.add_row(
            r.source,
            f"[{style}]{r.status}[/]",
            str(r.pages),
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            str(r.deleted),
            cell(note[:70]),
        )
    return table


@click.command()
@click.argument("sources", nargs=-1, type=click.Choice(SOURCES))
@click.option("--physician", metavar="NPI", help="Only this physician's profiles.")
@click.option("--practice", metavar="ID", help="Only this practice's physicians (id or name).")
@click.option("--url", help="Crawl one profile URL (give exactly one SOURCE).")
@click.option("--full", is_flag=True, help="Full pass: no incremental stop; marks deletions.")
@click.option(
    "--jobs", type=int, default=2, show_default=True, help="Sources crawled at once (local engine)."
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    help="Run crawls as local processes or as Scrapyd jobs (default: scrapyd if scrapyd.urls "
    "is set, else local).",
)
@click.option(
    "-s",
    "--setting",
    "scrapy_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Extra Scrapy setting for the crawls (repeatable), e.g. -s DOWNLOAD_DELAY=0.",
)
@click.option(
    "--now",
    "now_text",
    metavar="T",
    help="Crawl as if at time T (ISO 8601): the sandbox or replay clock.",
)
@pass_app
def crawl(
    app: App,
    sources: tuple[str, ...],
    physician: str | None,
    practice: str | None,
    url: str | None,
    full: bool,
    jobs: int,
    engine: str | None,
    scrapy_settings: tuple[str, ...],
    now_text: str | None,
) -> None:
    """Crawl sources now, each in a fresh process; exit 1 if a source failed or was blocked."""
    if url and len(sources) != 1:
        raise RepmonError("--url needs exactly one SOURCE, e.g. `repmon crawl ratemds --url URL`")
    if url is not None and not is_http_url(url):
        raise RepmonError(f"--url: not an http(s) URL: {shorten(url, 200)}")
    pairs = [s.partition("=") for s in scrapy_settings]
    if any(not name or not eq for name, eq, _ in pairs):
        raise click.BadParameter("give settings as NAME=VALUE", param_hint="--setting")
    db = app.database()
    now = parse_now(now_text)
    request = CrawlRequest(
        sources=sources,
        physician=physician,
        practice=practice,
        url=url,
        full=full,
        now=now if now_text else None,
        settings=tuple((name, value) for name, _, value in pairs),
    )
    columns = (
        TextColumn("{task.fields[source]:<13}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[status]:<8} {task.fields[pages]:>4} pages"),
        TextColumn("{task.fields[new]:>5} new"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def show(runs: dict[str, CrawlRun]) -> None:
            for key, r in sorted(runs.items()):
                if key not in tasks:
                    tasks[key] = progress.add_task(
                        r.source, total=None, source=r.source, status=r.status, pages=0, new=0
                    )
                done = r.status != "running"
                progress.update(
                    tasks[key],
                    status=r.status,
                    pages=r.pages,
                    new=r.new,
                    total=1 if done else None,
                    completed=1 if done else 0,
                )

        runs = run_crawls(
            db, app.settings, request, now, jobs=jobs, on_progress=show, engine=engine
        )
    skipped = [s for s in sources if s not in {r.source for r in runs}]
    what = f"no {'/'.join(skipped or sources)} profiles" if sources else "no profiles"
    who = (("of physician", physician), ("in practice", practice))
    whose = "".join(f" {k} {v}" for k, v in who if v)
    if not runs:
        raise RepmonError(
            f"nothing to crawl: {what}{whose}; import a roster with profile URLs "
            "(`repmon roster import`)"
        )
    if skipped:
        console.print(f"skipped (nothing to crawl): {what}{whose}")
    console.print(_table({f"{r.source}#{r.id}": r for r in runs}))
    bad = [r for r in runs if r.status in ("failed", "blocked")]
    if bad:
        console.print(
            f"[bold red]{plural(len(bad), 'source')} failed or blocked[/]: "
            + ", ".join(f"{r.source} ({r.status})" for r in bad)
        )
        raise SystemExit(1)


@click.command()
@click.option("--source", type=click.Choice(SOURCES), help="Only this source.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_app
def crawls(app: App, source: str | None, limit: int, as_json: bool) -> None:
    """Show recent crawl runs with their status (ok, blocked, broken, failed) and counts."""
    db = app.database()
    settle_dead_runs(db, app.settings, datetime.now(UTC))  # a killed crawl is not `running`
    with db.session() as session:
        stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source:
            stmt = stmt.where(CrawlRun.source == source)
        runs = session.scalars(stmt).all()
    if as_json:
        for r in runs:
            click.echo(
                json.dumps(
                    {
                        "id": r.id,
                        "source": r.source,
                        "status": r.status,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "pages": r.pages,
                        "new": r.new,
                        "updated": r.updated,
                        "unchanged": r.unchanged,
                        "rejected": r.rejected,
                        "deleted": r.deleted,
                        "errors": r.errors,
                        "external_job": r.external_job,
                        "one_off": one_off(r.args),
                    }
                )
            )
        return
    table = Table("id", "source", "started", "status", "pages", "new", "upd", "same", "rej", "note")
    for r in runs:
        table.add_row(
            str(r.id),
            f"{r.source}*" if one_off(r.args) else r.source,
            r.started_at.strftime("%Y-%m-%d %H:%M"),
            r.status,
            str(r.pages),
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            cell((r.errors[0] if r.errors else "")[:60]),
        )
    console.print(table)
    if any(one_off(r.args) for r in runs):
        console.print("* a one-off crawl of a URL given with --url: not counted in crawl health")
    for name in sorted({r.source for r in runs} & COVERAGE.keys()):
        console.print(cell(f"{name} covers: {COVERAGE[name]}"))
