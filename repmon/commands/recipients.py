"""`repmon recipients ...`: who receives which alerts and digests."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from repmon.app import App, cell, console, pass_app
from reputation.errors import RepmonError
from reputation.mail.message import plain_address
from reputation.storage.models import Physician, Practice, Recipient, Subscription
from reputation.storage.queries import find_physician, find_practice
from reputation.wording import plural

__all__ = ["recipients"]

TOPICS = ("alerts", "safety", "digest", "cluster", "rating_drop", "unanswered", "crawl_health")


@click.group()
def recipients() -> None:
    """Add, list and remove the people who receive alerts and digests."""


@recipients.command("add")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--tz", "timezone", default="", help="IANA timezone, e.g. America/Chicago.")
@click.option(
    "--topic",
    "topics",
    multiple=True,
    type=click.Choice(TOPICS),
    required=True,
    help="alerts (all kinds), safety (harm/legal), digest, or one alert kind.",
)
@click.option("--physician", metavar="NPI", help="Scope: one physician.")
@click.option("--practice", metavar="ID", help="Scope: one practice (id or name).")
@pass_app
def recipients_add(
    app: App,
    email: str,
    name: str,
    timezone: str,
    topics: tuple[str, ...],
    physician: str | None,
    practice: str | None,
) -> None:
    """Subscribe EMAIL to topics for a physician, a practice, or everything (default)."""
    if not plain_address(email):
        raise RepmonError(f"{email!r} is not a plain email address (one name@domain)")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RepmonError(f"unknown timezone {timezone!r} (use e.g. Europe/London)") from None
    if physician and practice:
        raise RepmonError("give --physician or --practice, not both")
    with app.database().transaction() as session:
        scope_type, scope_id = "all", 0
        if physician:
            scope_type, scope_id = "physician", find_physician(session, physician).id
        elif practice:
            scope_type, scope_id = "practice", find_practice(session, practice).id
        recipient = session.scalar(select(Recipient).where(Recipient.email == email))
        if recipient is None:
            recipient = Recipient(email=email, name=name, timezone=timezone)
            session.add(recipient)
            session.flush()
        else:
            recipient.name = name or recipient.name
            recipient.timezone = timezone or recipient.timezone
        existing = {(s.topic, s.scope_type, s.scope_id) for s in recipient.subscriptions}
        for topic in topics:
            if (topic, scope_type, scope_id) not in existing:
                session.add(
                    Subscription(
                        recipient_id=recipient.id,
                        topic=topic,
                        scope_type=scope_type,
                        scope_id=scope_id,
                    )
                )
    console.print(
        f"{email}: {', '.join(topics)} for {scope_type}"
        + (f" {physician or practice}" if scope_type != "all" else "")
    )


@recipients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_app
def recipients_list(app: App, as_json: bool) -> None:
    """List recipients and their subscriptions."""
    with app.database().session() as session:
        rows = session.scalars(select(Recipient).order_by(Recipient.email)).all()
        data: list[dict[str, Any]] = [
            {
                "email": r.email,
                "name": r.name,
                "timezone": r.timezone,
                "subscriptions": [
                    f"{s.topic}:{s.scope_type}:{s.scope_id}" for s in r.subscriptions
                ],
                "in_words": _in_words(session, r.subscriptions),
            }
            for r in rows
        ]
    if as_json:
        for d in data:
            del d["in_words"]
            click.echo(json.dumps(d))
        return
    table = Table("email", "name", "timezone", "subscriptions")
    for d in data:
        table.add_row(*map(cell, (d["email"], d["name"], d["timezone"], d["in_words"])))
    console.print(table)


def _in_words(session: Session, subscriptions: Iterable[Subscription]) -> str:
    """'alerts, digest for all; digest for Dr. Ana Abara (NPI 1000000004)': as `add` says it."""
    scopes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for s in subscriptions:
        scopes[(s.scope_type, s.scope_id)].append(s.topic)
    parts = []
    for (kind, ident), topics in scopes.items():
        whom = "all"
        if kind == "physician":
            physician = session.get(Physician, ident)
            whom = f"{physician.name} (NPI {physician.npi})" if physician else f"physician #{ident}"
        elif kind == "practice":
            practice = session.get(Practice, ident)
            whom = f"practice {practice.name}" if practice else f"practice #{ident}"
        parts.append(f"{', '.join(sorted(topics))} for {whom}")
    return "; ".join(parts) or "nothing"


@recipients.command("remove")
@click.argument("email")
@pass_app
def recipients_remove(app: App, email: str) -> None:
    """Remove a recipient and all their subscriptions."""
    with app.database().transaction() as session:
        recipient = session.scalar(select(Recipient).where(Recipient.email == email))
        if recipient is None:
            raise RepmonError(f"no recipient {email}")
        for s in recipient.subscriptions:
            session.delete(s)
        session.delete(recipient)
    console.print(f"removed {email}")


@recipients.command("unsubscribe")
@click.argument("email")
@click.option(
    "--topic",
    "topics",
    multiple=True,
    type=click.Choice(("alerts", "digest")),
    help="The list to leave (the List-Unsubscribe subject names it); default: every list.",
)
@pass_app
def recipients_unsubscribe(app: App, email: str, topics: tuple[str, ...]) -> None:
    """Honour an unsubscribe request: drop EMAIL's subscriptions to alerts and/or digests."""
    lists = {"alerts": set(TOPICS) - {"digest"}, "digest": {"digest"}}
    drop = set().union(*(lists[t] for t in topics or lists))
    with app.database().transaction() as session:
        recipient = session.scalar(select(Recipient).where(Recipient.email == email))
        if recipient is None:
            raise RepmonError(f"no recipient {email} (see `repmon recipients list`)")
        gone = [s for s in recipient.subscriptions if s.topic in drop]
        for s in gone:
            session.delete(s)
        left = len(recipient.subscriptions) - len(gone)
    console.print(
        f"{email}: {plural(len(gone), 'subscription')} removed"
        + (f", {left} left" if left else "; receives nothing now")
    )
