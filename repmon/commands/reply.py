"""`repmon reply`: suggest an approved public reply to a review; check a reply for PHI."""

from __future__ import annotations

from typing import TextIO

import click
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from repmon.app import App, console, json_line, pass_app
from reputation.errors import NotFound
from reputation.reply import Finding, check_reply, choose_template, load_templates, suggest_reply
from reputation.storage.models import Classification, Physician, Practice, Review

__all__ = ["reply"]

_CATEGORIES = ("bedside_manner", "service", "clinical_skill", "harm", "legal", "phi")


def _print_findings(text: str, findings: list[Finding]) -> None:
    table = Table("line:col", "words", "why")
    for f in findings:
        line = text.count("\n", 0, f.start) + 1
        col = f.start - (text.rfind("\n", 0, f.start) + 1) + 1
        table.add_row(f"{line}:{col}", escape(f.words), f.why)
    console.print(table)
    console.print(f"check: {len(findings)} finding(s); a public reply must not say these")


@click.group()
def reply() -> None:
    """HIPAA-aware replies: approved templates per complaint, and a check for PHI."""


@reply.command("suggest")
@click.argument("review_id", type=int)
@click.option("--contact", help="How to get in touch offline (default: setting reply.contact).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (reply, check).")
@pass_app
def reply_suggest(app: App, review_id: int, contact: str | None, as_json: bool) -> None:
    """Print the approved reply for review REVIEW_ID, checked for PHI."""
    from reputation.classifier.classify import CLASSIFIER_VERSION

    with app.database().session() as session:
        review = session.get(Review, review_id)
        if review is None:
            raise NotFound(f"no review with id {review_id} (see `repmon reviews`)")
        c = session.scalars(
            select(Classification)
            .where(Classification.review_id == review_id)
            .order_by(
                (Classification.classifier_version == CLASSIFIER_VERSION).desc(),
                Classification.id.desc(),
            )
        ).first()
        physician = session.get(Physician, review.physician_id) if review.physician_id else None
        practice = (
            session.get(Practice, physician.practice_id)
            if physician and physician.practice_id
            else None
        )
        categories = [n for n in _CATEGORIES if c is not None and getattr(c, n)]
        if c is not None and c.label == "positive" and not c.negative:
            categories.append("positive")
        names = [physician.name if physician else "", practice.name if practice else ""]
        who = contact or str(app.settings["reply.contact"])
        templates = load_templates(str(app.settings["reply.templates"]) or None)
        text = suggest_reply(
            review.text,
            categories,
            names[0],
            names[1],
            who,
            rating=review.rating,
            templates=templates,
        )
    key = choose_template(categories, review.rating)
    findings = check_reply(text, [*names, who])
    if as_json:
        record = {
            "review_id": review_id,
            "source": review.source,
            "categories": categories,
            "template": key,
            "reply": text,
            "routed_to_risk": key == "safety",
            "check": [
                {"start": f.start, "end": f.end, "words": f.words, "why": f.why, "kind": f.kind}
                for f in findings
            ],
        }
        click.echo(json_line(record))
        if findings:
            raise click.exceptions.Exit(1)
        return
    console.print(
        f"[bold]review {review_id}[/] · {escape(review.source)} · "
        f"{escape(', '.join(categories) or 'no category')} · template: {key}"
    )
    click.echo(text)
    if findings:
        _print_findings(text, findings)
        raise click.exceptions.Exit(1)
    console.print("check: passed")


@reply.command("check")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--allow",
    "allowed",
    multiple=True,
    metavar="NAME",
    help="A name the reply may use (the physician's, the practice's); repeatable.",
)
def reply_check(file: TextIO, allowed: tuple[str, ...]) -> None:
    """Flag what a public reply must never contain (text from FILE or stdin); exit 1 if any."""
    text = file.read()
    findings = check_reply(text, allowed)
    if findings:
        _print_findings(text, findings)
        raise click.exceptions.Exit(1)
    console.print("check: passed")
