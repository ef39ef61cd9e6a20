"""`repmon reply`: suggest an approved public reply to a review; check a reply for PHI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

import click
from rich.markup import escape
from rich.table import Table

from repmon.app import App, console, json_line, pass_app
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.mail.render import RISK_ROUTED
from reputation.reply import Finding, check_reply, load_templates, plan_reply, reply_categories
from reputation.storage.queries import review_to_answer
from reputation.wording import plural

__all__ = ["reply"]


def _print_findings(text: str, findings: Sequence[Finding]) -> None:
    table = Table("line:col", "words", "why")
    for f in findings:
        line = text.count("\n", 0, f.start) + 1
        col = f.start - (text.rfind("\n", 0, f.start) + 1) + 1
        table.add_row(f"{line}:{col}", escape(f.words), f.why)
    console.print(table)
    console.print(f"check: {plural(len(findings), 'finding')}; a public reply must not say these")


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
    with app.database().session() as session:
        found = review_to_answer(session, review_id, CLASSIFIER_VERSION)
    review = found.review
    plan = plan_reply(
        reply_categories(found.classification),
        review.rating,
        found.physician,
        found.practice,
        contact or str(app.settings["reply.contact"]),
        load_templates(str(app.settings["reply.templates"]) or None),
    )
    if as_json:
        record = {
            "review_id": review_id,
            "source": review.source,
            "categories": list(plan.categories),
            "template": plan.template,
            "reply": plan.text,
            "routed_to_risk": plan.routed_to_risk,
            "check": [
                {"start": f.start, "end": f.end, "words": f.words, "why": f.why, "kind": f.kind}
                for f in plan.findings
            ],
        }
        click.echo(json_line(record))
        if plan.findings:
            raise click.exceptions.Exit(1)
        return
    console.print(
        f"[bold]review {review_id}[/] · {escape(review.source)} · "
        f"{escape(', '.join(plan.categories) or 'no category')} · template: {plan.template}"
    )
    if plan.routed_to_risk:  # as the mails say it: no public reply before risk management
        console.print(
            f"[bold red]{RISK_ROUTED}[/]: it alleges harm, threatens legal action or holds health "
            "information. The text below is risk management's holding reply, to post only "
            "with their approval."
        )
    click.echo(plan.text)
    if plan.findings:
        _print_findings(plan.text, plan.findings)
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
