"""`repmon demo` and `repmon sandbox serve`."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from alerts.notify import describe_alert
from repmon.app import App, console, pass_app
from reputation.errors import RepmonError
from reputation.storage.db import Database
from reputation.storage.models import Alert
from reputation.vocabulary import KIND_LABELS
from spiders.sandbox import DEFAULT_ANCHOR, DEFAULT_SEED, sandbox_environment, serve

__all__ = ["demo", "sandbox"]


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the demo database and mail (default: <data_dir>/demo).",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@pass_app
def demo(app: App, out: Path | None, seed: int) -> None:
    """Run the whole product on the local sandbox: crawl, classify, alert, digest, mail."""
    from repmon.demo import DATABASE, run_demo

    folder = (out or app.settings.data_dir / "demo").resolve()
    if folder.is_dir() and any(folder.iterdir()) and not (folder / DATABASE).exists():
        raise RepmonError(
            f"{folder} is not empty and holds no earlier demo; the demo replaces its folder, "
            "so give --out a new or empty folder"
        )
    console.print("[bold]repmon demo[/] — everything stays on 127.0.0.1\n")
    report = run_demo(app.settings, folder, lambda line: console.print("• " + line), seed=seed)
    table = Table("source", "status", "pages", "new", "note", title="crawls")
    for r in sorted(report.runs, key=lambda r: r.source):
        table.add_row(
            r.source, r.status, str(r.pages), str(r.new), (r.errors[0] if r.errors else "")[:60]
        )
    console.print(table)
    console.print(f"• classified {report.classified} reviews and mentions")
    kinds: dict[str, int] = {}
    for a in report.alerts:
        if a.state == "firing":
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
    console.print(
        "• firing alerts: " + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none")
    )
    # One line per entity in plain words: its most significant finding, and how many related
    # findings (other windows and categories) the email groups under it.
    best: dict[str, list[Alert]] = {}
    for a in report.alerts:
        if a.state == "firing" and a.kind in ("cluster", "immediate"):
            best.setdefault(f"{a.kind} {a.labels['entity']}", []).append(a)
    with Database(f"sqlite:///{folder / DATABASE}").session() as session:
        for group in best.values():
            group.sort(key=lambda a: float(a.annotations.get("q_value", 0.0)))
            row = session.get_one(Alert, group[0].id)
            view = describe_alert(session, row, "fired", DEFAULT_ANCHOR)
            label = KIND_LABELS.get(view["kind"], view["kind"])
            more = f" (+{len(group) - 1} related)" if len(group) > 1 else ""
            console.print(f"    {label}: {view['title']}{more}")
    console.print(
        f"\n[bold]{len(report.mails)} emails[/] delivered to "
        f"{folder / 'maildir'}; open them in a browser:"
    )
    for subject, html, _eml in report.mails:
        console.print(f"  {html}\n      {subject}")
    console.print("")
    for ok, text in report.checks:
        console.print(("[green]✓[/] " if ok else "[bold red]✗[/] ") + text)
    console.print(
        f"\ndatabase: {folder / DATABASE}\n  look around: "
        f"REPMON_DATABASE_URL=sqlite:///{folder / DATABASE} repmon reviews --negative"
    )
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    console.print(f"\n{timing}")
    if not all(ok for ok, _ in report.checks):
        raise SystemExit(1)


@click.group()
def sandbox() -> None:
    """The local review web used by tests and the demo."""


@sandbox.command("serve")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option(
    "--now",
    "clock",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Sandbox clock (default: the demo clock).",
)
@pass_app
def sandbox_serve(app: App, port: int, seed: int, clock: datetime | None) -> None:
    """Serve every site format on 127.0.0.1 until Ctrl-C; POST /_sandbox/clock advances time."""
    from datetime import UTC

    now = clock.replace(tzinfo=UTC) if clock else DEFAULT_ANCHOR
    with serve(port=port, seed=seed, now=now) as base:
        console.print(
            f"sandbox on {base} — roster: {base}/_sandbox/roster.csv, "
            f"truth: {base}/_sandbox/truth.json (Ctrl-C stops)"
        )
        console.print("to crawl it, in the shell that runs `repmon crawl`:", highlight=False)
        for line in sandbox_environment(base):
            click.echo(f"  export {line}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
