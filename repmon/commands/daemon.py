"""`repmon run` (the daemon) and `repmon status`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from sqlalchemy import inspect, select, text

from repmon.app import App, cell, console, pass_app
from repmon.processes import latest_runs, settle_dead_runs
from reputation.findings import open_alert_summary
from reputation.mail.outbox import count_by_status
from reputation.storage.jobruns import JOURNAL, journaled_outcomes, recent_runs
from reputation.storage.models import Alert, DaemonLease
from reputation.wording import plural, shorten

__all__ = ["run", "status"]


@click.command()
@pass_app
def run(app: App) -> None:
    """Run the scheduler: crawls, alert evaluation, outbox, weekly digests (one per database)."""
    from repmon.daemon import Daemon

    app.database()  # creates or checks the schema first, with a clear message
    console.print(
        f"repmon daemon on {app.settings.database_url.split('@')[-1]} — "
        "Ctrl-C or SIGTERM stops it cleanly"
    )
    Daemon(app.settings, app.config).run()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show the daemon, its jobs, recent job runs, last crawl per source, outbox, alerts."""
    db = app.database()
    now = datetime.now(UTC)
    settle_dead_runs(db, app.settings, now)  # a killed crawl is not shown `running`
    with db.session() as session:
        lease = session.get(DaemonLease, "daemon")
        daemon = "running: " + lease.holder if lease and lease.expires_at > now else "not running"
        jobs = []
        if "apscheduler_jobs" in inspect(db.engine).get_table_names():
            for job_id, next_run in session.execute(
                text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY next_run_time")
            ):
                when = datetime.fromtimestamp(next_run, UTC).isoformat() if next_run else "paused"
                jobs.append({"id": job_id, "next_run": when})
        crawls: list[dict[str, Any]] = [
            {
                "source": r.source,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "new": r.new,
                "note": r.errors[0] if r.errors else "",
            }
            for r in latest_runs(session)
        ]
        runs = [
            {
                "job": r.name,
                "started_at": r.started_at.isoformat(),
                "status": r.status,
                "detail": r.detail,
            }
            for r in recent_runs(session, 10)
        ]
        outbox = count_by_status(session)
        open_alerts = session.execute(
            select(Alert.kind, Alert.labels).where(Alert.state == "firing")
        ).all()
        firing = len(open_alerts)
        alerts_line = open_alert_summary((kind, labels or {}) for kind, labels in open_alerts)
    data_dir = app.settings.data_dir
    # Outcomes of jobs that ran while the database was down, until the next job copies them.
    waiting = len(journaled_outcomes(sorted(data_dir.glob(JOURNAL.replace(".", "*.", 1)))))
    data = {
        "daemon": daemon,
        "jobs": jobs,
        "job_runs": runs,
        "journaled_job_runs": waiting,
        "crawls": crawls,
        "outbox": outbox,
        "firing_alerts": firing,
        "alerts": alerts_line,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console.print(f"daemon: {daemon}")
    table = Table("job", "next run (UTC)")
    for j in jobs:
        table.add_row(j["id"], j["next_run"][:19].replace("T", " "))
    console.print(table if jobs else "jobs: none scheduled (start `repmon run`)")
    table = Table("job", "started (UTC)", "status", "detail", title="recent job runs")
    for r in runs:
        style = "green" if r["status"] == "ok" else "bold red"
        table.add_row(
            escape(r["job"]), r["started_at"][:19].replace("T", " "), f"[{style}]{r['status']}[/]",
            cell(shorten(r["detail"], 70)),
        )  # fmt: skip
    console.print(table if runs else "job runs: none yet")
    if waiting:
        console.print(
            f"{plural(waiting, 'job run')} recorded in {data_dir / JOURNAL} while the database was "
            "down: the next job copies them in"
        )
    table = Table("source", "last crawl (UTC)", "status", "new", "note")
    for c in crawls:
        when = c["started_at"][:16].replace("T", " ")
        table.add_row(c["source"], when, c["status"], str(c["new"]), cell(shorten(c["note"], 60)))
    console.print(table if crawls else "crawls: none yet")
    console.print(
        "outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(outbox.items())) or "empty")
    )
    console.print(f"alerts: {alerts_line}")
