"""`repmon mentions`: social posts (Reddit, X), their physician match, and a person's say."""

from __future__ import annotations

from datetime import datetime

import click
from rich.table import Table

from repmon.app import App, cell, console, export_rows, now_option, pass_app
from reputation.errors import RepmonError
from reputation.mentions import MentionFilter, assign_mention, iter_mentions, post_text
from reputation.wording import shorten

__all__ = ["mentions"]

EXPORT_FIELDS = (
    "id",
    "source",
    "external_id",
    "url",
    "published_at",
    "author",
    "title",
    "text",
    "npi",
    "physician",
    "confidence",
    "matched_on",
    "assignment",
    "assigned_by",
    "sentiment",
    "categories",
    "flags",
)


@click.group(invoke_without_command=True)
@click.option("--physician", "npi", metavar="NPI", help="Only posts matched to this physician.")
@click.option("--unmatched", is_flag=True, help="Only posts matched to no physician (yet).")
@click.option("--negative", is_flag=True, help="Only posts classified negative.")
@click.option("--json", "fmt", flag_value="json", help="Export JSON lines.")
@click.option("--csv", "fmt", flag_value="csv", help="Export CSV.")
@click.option("--limit", type=int, default=None, help="At most this many (table default 50).")
@click.pass_context
def mentions(
    ctx: click.Context,
    npi: str | None,
    unmatched: bool,
    negative: bool,
    fmt: str | None,
    limit: int | None,
) -> None:
    """List or export social posts with their match, newest first; `assign` corrects a match."""
    if ctx.invoked_subcommand is not None:
        return
    from reputation.classifier.classify import CLASSIFIER_VERSION

    if npi and unmatched:
        raise RepmonError("--physician and --unmatched exclude each other")
    app = ctx.find_object(App)
    assert app is not None
    flt = MentionFilter(physician_npi=npi, unmatched=unmatched, negative=negative)
    with app.database().session() as session:
        rows = iter_mentions(session, flt, CLASSIFIER_VERSION)
        if export_rows(rows, fmt, EXPORT_FIELDS, limit):
            return
        table = Table("id", "published", "source", "physician", "match", "categories", "post")
        for n, row in enumerate(rows):
            if n >= (limit or 50):
                break
            match = row["assignment"] or (f"{row['confidence']:.2f}" if row["npi"] else "")
            text = shorten(post_text(row["title"], row["text"]), 80, "...")
            table.add_row(
                *map(
                    cell,
                    (
                        row["id"],
                        row["published_at"][:10],
                        row["source"],
                        row["physician"],
                        match,
                        ", ".join(row["categories"] + row["flags"]),
                        f"{text} {row['url']}",
                    ),
                )
            )
        console.print(table)


@mentions.command("assign")
@click.argument("mention_id", metavar="ID", type=int)
@click.option("--physician", "npi", metavar="NPI", help="The post is about this physician.")
@click.option("--none", "none_", is_flag=True, help="The post is about none of our physicians.")
@click.option("--by", "by", default="", help="Who decides.")
@now_option
@pass_app
def mentions_assign(
    app: App, mention_id: int, npi: str | None, none_: bool, by: str, now: datetime
) -> None:
    """Confirm or correct a post's physician (or reject it); later crawls keep the decision."""
    if bool(npi) == none_:
        raise RepmonError("give exactly one of --physician NPI or --none")
    with app.database().transaction() as session:
        mention = assign_mention(session, mention_id, npi, now, by=by)
        who = f"physician {npi}" if mention.physician_id else "none of our physicians"
        console.print(f"mention {mention.id} ({mention.source}) assigned to {who}")
