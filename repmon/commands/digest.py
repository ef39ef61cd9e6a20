"""`repmon digest`: render weekly digests to files, or enqueue them for delivery."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from repmon.app import App, console, now_option, pass_app
from reputation.digests.plan import (
    DigestOptions,
    build_digests,
    digest_message,
    enqueue_digests,
    plan_digests,
    preview_jobs,
    preview_scopes,
    render_digest,
    unfinished,
)
from reputation.errors import RepmonError
from reputation.isoweek import IsoWeek
from reputation.storage.queries import find_physician, find_practice
from reputation.wording import plural

__all__ = ["digest"]


def _week(value: str | None) -> IsoWeek | None:
    if not value:
        return None
    try:
        return IsoWeek.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None


@click.command()
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="ISO week such as 2026-W47. Default: the last week that ended, per recipient.",
)
@click.option("--physician", "npi", metavar="NPI", help="Only this physician's digests.")
@click.option("--practice", metavar="ID", help="Only this practice's roll-ups (id or name).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each digest as .eml and .html into DIR.",
)
@click.option("--send", is_flag=True, help="Enqueue digests in the outbox (once per week).")
@now_option
@pass_app
def digest(
    app: App,
    week: str | None,
    npi: str | None,
    practice: str | None,
    out: Path | None,
    send: bool,
    now: datetime,
) -> None:
    """Render weekly digests to files (--out) or enqueue them for subscribers (--send)."""
    from reputation.classifier.classify import CLASSIFIER_VERSION

    if npi and practice:
        raise click.UsageError("give --physician or --practice, not both")
    iso = _week(week)
    options = DigestOptions.from_settings(app.settings, CLASSIFIER_VERSION)
    db = app.database()
    with db.transaction() as session:
        physician_id = find_physician(session, npi).id if npi else None
        practice_id = find_practice(session, practice).id if practice else None
        jobs = plan_digests(
            session, iso, now, options.timezone, physician_id=physician_id, practice_id=practice_id
        )
        running = unfinished(jobs, now)
        if send and running:
            ends = min(job.week.bounds(job.tz)[1] for job in running)
            raise RepmonError(
                f"week {running[0].week} has not ended yet ({plural(len(running), 'digest')}; "
                f"the first ends {ends:%Y-%m-%d %H:%M} UTC): a digest is sent for a finished "
                "week; use --out for a preview"
            )
        if out is not None:
            if running:
                console.print(
                    f"week {running[0].week} has not ended: the digests below count only its "
                    "reviews so far",
                    style="yellow",
                )
            if not jobs:
                scopes = preview_scopes(session, physician_id, practice_id)
                default = iso or IsoWeek.last_completed(now, options.timezone)
                jobs = preview_jobs(default, options.timezone, scopes)
                console.print(
                    "no digest subscribers for this scope: rendering "
                    f'{plural(len(jobs), "preview")} addressed to "preview"'
                )
            out.mkdir(parents=True, exist_ok=True)
            skipped: list[str] = []
            for job, built in build_digests(session, jobs, now, options):
                mail = render_digest(job, built, now, options.sender)
                who = job.recipient_id if job.recipient_id is not None else "preview"
                stem = out / f"digest-{job.week}-{job.scope}-{job.scope_id}-{who}"
                try:
                    message = digest_message(job, mail, options.sender, now)
                except ValueError as exc:
                    skipped.append(f"{stem.name}: {exc}")
                    continue
                stem.with_suffix(".html").write_text(mail.html, encoding="utf-8")
                # Files in the platform's line endings, as before (the relay sends CRLF).
                eml = message.as_bytes(policy=message.policy.clone(linesep="\n"))
                stem.with_suffix(".eml").write_bytes(eml)
                console.print(f"{stem}.eml  {stem}.html")
            if skipped:
                for line in skipped:
                    console.print(f"skipped {line}", style="red")
                raise RepmonError(
                    f"{plural(len(skipped), 'digest')} not written: fix the address "
                    "(`repmon recipients list`) and run again"
                )
        if send:
            counts = enqueue_digests(
                session, iso, now, options, physician_id=physician_id, practice_id=practice_id
            )
            console.print(str(counts))
        if out is None and not send:
            table = Table("recipient", "timezone", "scope", "week")
            for job in jobs:
                table.add_row(job.to_addr, job.tz, f"{job.scope} {job.scope_id}", str(job.week))
            console.print(table)
            console.print(
                f"{plural(len(jobs), 'digest')} due; nothing written: give --out DIR to "
                "render them or --send to enqueue them"
            )
