"""`repmon outbox list|flush`: inspect the outbox and deliver what is due."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import click
from rich.markup import escape
from rich.table import Table

from repmon.app import App, cell, console, now_option, pass_app
from repmon.relay import drain
from reputation.mail.outbox import count_by_status, list_messages
from reputation.storage.models import OUTBOX_STATUSES
from reputation.wording import plural

__all__ = ["outbox"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@click.group()
def outbox() -> None:
    """Mail waiting to be sent, sent, or given up."""


@outbox.command("list")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), help="Only messages in this state.")
@click.option("--limit", default=50, show_default=True, help="Show at most this many messages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@pass_app
def outbox_list(app: App, status: str | None, limit: int, as_json: bool) -> None:
    """List the newest messages with their status, attempts and last error."""
    with app.database().session() as session:
        rows = list_messages(session, status, limit)
        counts = count_by_status(session)
    if as_json:
        for m in rows:
            record = {
                "id": m.id,
                "status": m.status,
                "kind": m.kind,
                "to": m.to_addr,
                "subject": m.subject,
                "dedup_key": m.dedup_key,
                "message_id": m.message_id,
                "attempts": m.attempts,
                "created_at": _iso(m.created_at),
                "next_attempt_at": _iso(m.next_attempt_at),
                "sent_at": _iso(m.sent_at),
                "last_error": m.last_error,
            }
            click.echo(json.dumps(record))
        return
    table = Table("id", "status", "kind", "to", "subject", "tries", "next / sent", "last error")
    for m in rows:
        when = m.sent_at if m.status == "sent" else m.next_attempt_at
        table.add_row(
            str(m.id), m.status, m.kind, cell(m.to_addr), cell(m.subject), str(m.attempts),
            f"{when:%Y-%m-%d %H:%M}" if when else "", cell(m.last_error or ""),
        )  # fmt: skip
    console.print(table)
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in OUTBOX_STATUSES)
    console.print(f"outbox: {summary}")


@outbox.command("flush")
@now_option
@pass_app
def outbox_flush(app: App, now: datetime) -> None:
    """Deliver every due message now (SMTP, or the maildir when smtp.host is empty)."""
    settings = app.settings
    target = "maildir " + str(settings.maildir) if not settings["smtp.host"] else "SMTP"
    db = app.database()
    report = asyncio.run(drain(db, settings, lambda: now))
    console.print(
        f"outbox flushed via {escape(target)}: {report.sent} sent, {report.retrying} retrying, "
        f"{report.failed} failed" + (f", {report.recovered} recovered" if report.recovered else "")
    )
    for problem in report.problems:
        console.print(f"  {escape(problem)}")
    with db.session() as session:
        waiting = count_by_status(session).get("pending", 0)
    if waiting:  # retried later with backoff (by the daemon, or the next flush)
        console.print(f"{plural(waiting, 'message')} still waiting to be sent")
    if report.retrying or report.failed:
        raise SystemExit(1)
