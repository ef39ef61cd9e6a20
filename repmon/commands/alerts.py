"""`repmon alerts ...`: evaluate, list, show, silence, backtest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import click
from rich.table import Table
from sqlalchemy import select

from alerts.backtest import DetectorSet, backtest, per_month
from alerts.detectors import Thresholds
from alerts.evaluate import evaluate
from alerts.history import load_history
from alerts.kinds import parse_entity
from alerts.lifecycle import SilenceRule, describe_matchers, parse_duration, parse_matchers
from alerts.notify import alert_as_text, alert_views, describe_moves
from repmon.app import App, cell, console, now_option, pass_app, terminal_safe
from reputation.errors import NotFound, RepmonError
from reputation.storage.models import Alert, Physician, Practice, Silence
from reputation.storage.queries import alert_as_dict, select_alerts
from reputation.vocabulary import KIND_LABELS
from reputation.wording import plural

__all__ = ["alerts"]


@click.group()
def alerts() -> None:
    """Evaluate, inspect, silence and backtest alerts."""


@alerts.command("evaluate")
@click.option("--no-notify", is_flag=True, help="Update alert states but enqueue no email.")
@now_option
@pass_app
def alerts_evaluate(app: App, no_notify: bool, now: datetime) -> None:
    """Run every detector at --now, advance the alert lifecycle and enqueue emails."""
    db = app.database()
    report = evaluate(db, app.settings, now, notify=not no_notify)
    moves = [m for m in report.transitions if m.event in ("fired", "resolved", "reminder")]
    with db.session() as session:
        for view, move in describe_moves(session, moves, now):
            label = KIND_LABELS.get(view["kind"], view["kind"]).lower()
            silenced = "  (silenced)" if move.silenced else ""
            console.print(cell(f"{view['status']:9} {label}: {view['title']}{silenced}"))
    console.print(
        f"{report.firing} firing, {report.pending} pending; "
        f"{plural(report.emails, 'email')} to {plural(report.recipients, 'recipient')} enqueued"
        + (" (the daemon sends them, or `repmon outbox flush`)" if report.emails else "")
    )


@alerts.command("list")
@click.option("--state", type=click.Choice(["pending", "firing", "resolved"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@now_option
@pass_app
def alerts_list(app: App, state: str | None, as_json: bool, now: datetime) -> None:
    """List alerts, newest first: status, what, who and the finding in words."""
    with app.database().session() as session:
        if as_json:
            for a in session.scalars(select_alerts(state)):
                click.echo(json.dumps(alert_as_dict(a)))
            return
        rows = alert_views(session, state, now)
    table = Table("id", "status", "what", "who", "finding", "since")
    for a, view in rows:
        table.add_row(
            str(a.id),
            view["status"],
            KIND_LABELS.get(view["kind"], view["kind"]).lower(),
            cell(view["entity"]["name"]),
            cell(view["what"]),
            a.started_at.strftime("%Y-%m-%d"),
        )
    console.print(table)


@alerts.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="All its labels and numbers as JSON.")
@now_option
@pass_app
def alerts_show(app: App, alert_id: int, as_json: bool, now: datetime) -> None:
    """Show one alert as its email reads: who, the finding, the numbers, the reviews."""
    with app.database().session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id} (see `repmon alerts list`)")
        if as_json:
            click.echo(json.dumps(alert_as_dict(alert), indent=2))
            return
        text = alert_as_text(session, alert, now, app.settings)
    click.echo(terminal_safe(text))


@alerts.command("silence")
@click.option(
    "--match",
    "matchers",
    multiple=True,
    metavar="LABEL=VALUE",
    required=True,
    help="Label to match, e.g. entity=physician:12 or kind=unanswered (repeatable).",
)
@click.option("--for", "duration", default="7d", show_default=True, help="12h, 7d, 2w ...")
@click.option("--reason", required=True, help="Why (shown with the silence).")
@click.option("--by", "created_by", default="", help="Who silences.")
@now_option
@pass_app
def alerts_silence(
    app: App, matchers: tuple[str, ...], duration: str, reason: str, created_by: str, now: datetime
) -> None:
    """Mute notifications of matching alerts until the silence expires (states still change)."""
    try:
        parsed = parse_matchers(matchers)
    except ValueError as exc:
        raise RepmonError(str(exc)) from exc
    try:
        expires = now + parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    with app.database().transaction() as session:
        kind, ident = parse_entity(parsed.get("entity", ""))
        model = {"physician": Physician, "practice": Practice}.get(kind)
        if model is not None and session.get(model, int(ident)) is None:
            raise NotFound(f"--match entity={kind}:{ident}: no {kind} with id {ident}")
        rule = SilenceRule(parsed, expires)
        unresolved = select(Alert).where(Alert.state != "resolved")
        open_now = sum(rule.mutes(a.labels, now) for a in session.scalars(unresolved))
        silence = Silence(
            matchers=parsed,
            reason=reason,
            created_by=created_by,
            created_at=now,
            expires_at=expires,
        )
        session.add(silence)
        session.flush()
        matched = (
            f"mutes {plural(open_now, 'open alert')} now"
            if open_now
            else "matches no open alert now; it mutes matching alerts that open before it ends"
        )
        console.print(
            f"silence {silence.id} until {expires:%Y-%m-%d %H:%M} UTC: "
            f"{describe_matchers(parsed)} ({matched})"
        )


@alerts.command("backtest")
@click.option("--from", "start", type=click.DateTime(), required=True, help="First day.")
@click.option("--to", "end", type=click.DateTime(), required=True, help="Day after the last.")
@click.option("--json", "as_json", is_flag=True, help="Every alert it would have raised.")
@now_option
@pass_app
def alerts_backtest(app: App, start: datetime, end: datetime, as_json: bool, now: datetime) -> None:
    """Replay stored history day by day with the current thresholds; print alerts per month."""
    start, end = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    if end <= start:
        raise RepmonError("--to must be after --from")
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    if end > tomorrow:  # days still to come have no reviews: they would read as quiet ones
        raise RepmonError(
            f"--to {end:%Y-%m-%d} is in the future: a backtest replays days that happened "
            f"(at the latest --to {tomorrow:%Y-%m-%d})"
        )
    t = Thresholds.from_settings(app.settings)
    with app.database().session() as session:
        history = load_history(session, end, all_facts=True)
    raised = backtest(
        (), start, end, DetectorSet.everything(t), t.policy, history.facts,
        index=history.index, runs=history.runs,
    )  # fmt: skip
    if as_json:
        for alert in raised:
            click.echo(json.dumps(alert.as_json()))
        return
    months = per_month(raised)
    kinds = sorted({k for row in months.values() for k in row})
    table = Table("month", *kinds, "total")
    for month in sorted(months):
        row = months[month]
        table.add_row(month, *(str(row.get(k, 0)) for k in kinds), str(sum(row.values())))
    console.print(table)
    console.print(
        f"{plural(len(raised), 'alert')} would have fired "
        f"between {start:%Y-%m-%d} and {end:%Y-%m-%d}"
    )
