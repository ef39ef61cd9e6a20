"""`repmon classify` (JSONL in, JSONL out, no database) and `repmon eval` (against hand labels)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.table import Table

from reputation.classifier.classify import CLASSIFIER_VERSION, classify
from reputation.classifier.evaluation import (
    HALVES,
    LABELS,
    Report,
    evaluate,
    load_examples,
    prediction_from,
)
from reputation.errors import RepmonError

__all__ = ["classify_cmd", "eval_cmd"]


def _parse_line(line: str, number: int) -> tuple[str, str, float | None]:
    """Return (id, text, rating) of one input line, or raise a message naming the line."""
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise RepmonError(f"line {number}: not valid JSON ({exc.args[0]})") from None
    if not isinstance(row, dict):
        raise RepmonError(f"line {number}: expected a JSON object with id and text")
    review_id, text, rating = row.get("id"), row.get("text"), row.get("rating")
    if not isinstance(review_id, str | int) or isinstance(review_id, bool):
        raise RepmonError(f'line {number}: "id" is missing or not a string')
    if not isinstance(text, str):
        raise RepmonError(f'line {number}: "text" is missing or not a string')
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 5
    ):
        raise RepmonError(f'line {number}: "rating" must be a number from 0 to 5')
    return str(review_id), text, None if rating is None else float(rating)


@click.command("classify")
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help='JSONL file of {"id", "text", "rating"?} (default: stdin).',
)
@click.option(
    "--output",
    "output_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write one JSON result per line (default: stdout).",
)
def classify_cmd(input_file: IO[str], output_file: IO[str]) -> None:
    """Classify reviews from JSONL: sentiment, complaint categories with evidence, flags."""
    rows = [
        _parse_line(line, number) for number, line in enumerate(input_file, 1) if line.strip()
    ]  # parse everything first: a bad line stops the run before any output is written
    for review_id, text, rating in rows:
        result: dict[str, Any] = {"id": review_id, **classify(text, rating).to_dict()}
        output_file.write(json.dumps(result, ensure_ascii=False) + "\n")


def _default_corpus(labels: Path) -> Path:
    return labels.resolve().parent.parent / "corpus" / "reviews.jsonl.gz"


@click.command("eval")
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help='Labels JSONL ({"id", "labels", "harm"} per line), e.g. ../shared/labels/dev.jsonl.',
)
@click.option(
    "--corpus",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Corpus JSONL(.gz) with the texts (default: ../corpus/reviews.jsonl.gz beside labels).",
)
@click.option(
    "--worst",
    type=click.IntRange(min=0),
    default=15,
    show_default=True,
    help="Mistakes to list (0: no mistakes table).",
)
@click.option(
    "--half",
    type=click.Choice(sorted(HALVES)),
    default=None,
    help="Score one half of the labels (CRC-32 of the id): tune on 'tune', quote 'held-out'.",
)
def eval_cmd(labels: Path, corpus: Path | None, worst: int, half: str | None) -> None:
    """Score the classifier against hand labels: P/R/F1, confusion, harm, worst mistakes."""
    corpus = corpus or _default_corpus(labels)
    if not corpus.exists():
        raise RepmonError(f"corpus {corpus} not found: pass --corpus PATH")
    try:
        examples = load_examples(labels, corpus, half)
    except ValueError as exc:  # names the file and line: fix it, or pass another file
        raise RepmonError(str(exc)) from None
    if not examples:
        raise RepmonError(f"none of the ids in {labels} is in {corpus}: pass --corpus PATH")
    texts = {e.gold.id: e.text for e in examples}
    predictions = [prediction_from(e.gold.id, classify(e.text, e.rating)) for e in examples]
    report = evaluate([e.gold for e in examples], predictions, worst=worst)
    _print_report(Console(highlight=False), report, texts, half, worst)


def _print_report(
    console: Console,
    report: Report,
    texts: dict[str, str],
    half: str | None = None,
    worst: int = 15,
) -> None:
    part = f" ({half} half)" if half else ""
    console.print(f"classifier {CLASSIFIER_VERSION} on {report.n} labelled reviews{part}")
    table = Table(title="Per label")
    for column in ("label", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "label" else "right")
    rows = [(label, report.per_label[label]) for label in LABELS] + [("harm", report.harm)]
    for name, s in rows:
        table.add_row(
            name,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
            str(s.tp),
            str(s.fp),
            str(s.fn),
        )
    console.print(table)
    confusion = Table(title="Confusion (rows gold, columns predicted; multi-label pairs)")
    confusion.add_column("gold")
    for label in LABELS:
        confusion.add_column(label, justify="right")
    for gold in LABELS:
        confusion.add_row(gold, *(str(report.confusion.get((gold, p), 0)) for p in LABELS))
    console.print(confusion)
    if not worst:  # --worst 0: no mistakes table
        return
    mistakes = Table(title="Worst mistakes")
    for column in ("id", "missed", "spurious", "text"):
        mistakes.add_column(column)
    for m in report.mistakes:
        snippet = " ".join(texts.get(m.id, "").split())[:100]
        mistakes.add_row(m.id, ",".join(sorted(m.missed)), ",".join(sorted(m.spurious)), snippet)
    console.print(mistakes)
