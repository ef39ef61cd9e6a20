"""`repmon scrapyd deploy` and `repmon scrapyd status`: the Scrapyd nodes that run crawls."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from repmon.app import App, console, pass_app
from repmon.scrapyd import STATES, Node, ScrapydError, build_egg, egg_version, nodes
from reputation.errors import RepmonError
from reputation.storage.models import CrawlRun
from reputation.wording import plural

__all__ = ["scrapyd"]

URL_OPTION = click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="This Scrapyd server (repeatable); default: the setting scrapyd.urls.",
)


def _servers(app: App, urls: tuple[str, ...]) -> tuple[list[Node], str]:
    found = nodes(app.settings, urls)
    if not found:
        raise RepmonError("no Scrapyd server: give --url URL or set scrapyd.urls")
    return found, str(app.settings["scrapyd.project"])


@click.group()
def scrapyd() -> None:
    """Scrapyd servers that run crawls for `repmon crawl` and `repmon run`."""


@scrapyd.command()
@URL_OPTION
@pass_app
def deploy(app: App, urls: tuple[str, ...]) -> None:
    """Upload the Scrapy project (the spiders) to each Scrapyd server as a new version."""
    targets, project = _servers(app, urls)
    egg, version = build_egg(), egg_version()
    failed = []
    for node in targets:
        try:
            spiders = node.add_version(project, version, egg)
        except ScrapydError as exc:
            console.print(f"[bold red]✗[/] {escape(str(exc))}")
            failed.append(node.url)
            continue
        console.print(f"[green]✓[/] {node.url}: {project} {version}, {spiders} spiders")
    if failed:
        raise RepmonError(f"deploy failed on {len(failed)} of {plural(len(targets), 'server')}")


@scrapyd.command()
@URL_OPTION
@pass_app
def status(app: App, urls: tuple[str, ...]) -> None:
    """Show each Scrapyd server's load and the project's jobs with their crawl runs."""
    targets, project = _servers(app, urls)
    servers = Table("server", "node", "pending", "running", "finished", title="Scrapyd servers")
    found: dict[str, tuple[str, dict[str, Any]]] = {}  # NODE|JOB -> state, record
    problems = []
    for node in targets:
        try:
            load = node.daemon_status()
            known = node.jobs(project) if project in node.projects() else {}
        except ScrapydError as exc:
            servers.add_row(node.url, "[bold red]down[/]", "", "", "")
            problems.append(str(exc))
            continue
        servers.add_row(
            node.url, str(load.get("node_name", "")), *(str(load.get(k, 0)) for k in STATES)
        )
        found.update({f"{node.url}|{job}": entry for job, entry in known.items()})
    with app.database().session() as session:
        stmt = select(CrawlRun).where(CrawlRun.external_job.in_(list(found)))
        runs = {r.external_job: r for r in session.scalars(stmt)}
    jobs = Table("server", "job", "spider", "state", "started", "run", "run status", title="jobs")
    for key, (state, record) in found.items():
        url, job = key.rsplit("|", 1)
        run = runs.get(key)
        jobs.add_row(
            url,
            job,
            str(record.get("spider", "")),
            state,
            str(record.get("start_time", ""))[:19],
            str(run.id) if run else "",
            run.status if run else "",
        )
    console.print(servers)
    console.print(jobs)
    for problem in problems:
        console.print(f"[bold red]✗[/] {escape(problem)}")
    if problems:
        raise SystemExit(1)
