"""Import reviews from JSONL or CSV files, streaming, in batches, idempotently."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from reputation.errors import RepmonError
from reputation.imports.incoming import Rejected, ReviewIn, validate_review
from reputation.storage.db import Database
from reputation.storage.dialect import refresh_statistics
from reputation.storage.store import Attachments, Tally, upsert_reviews

__all__ = ["IngestReport", "ingest_file", "read_records"]

BATCH = 1000
KEEP_PROBLEMS = 50


@dataclass
class IngestReport:
    """The counts of an import and the first rejected lines with their reasons."""

    tally: Tally = field(default_factory=Tally)
    problems: list[str] = field(default_factory=list)
    lines: int = 0


def _open(path: Path) -> IO[str]:
    if not path.exists():
        raise RepmonError(f"{path}: no such file")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record) for each record of a JSONL or CSV file; a str record is a problem."""
    name = path.name.lower().removesuffix(".gz")
    with _open(path) as handle:
        if name.endswith(".csv"):
            reader = csv.DictReader(handle)
            for record in reader:
                if None in record:
                    yield reader.line_num, "more fields than the header has"
                    continue
                row: dict[str, Any] = {k.strip(): v for k, v in record.items() if k}
                if row.get("subratings"):
                    try:
                        row["subratings"] = json.loads(row["subratings"])
                    except json.JSONDecodeError:
                        yield reader.line_num, "subratings: not a JSON object"
                        continue
                yield reader.line_num, row
        elif name.endswith((".jsonl", ".json", ".ndjson")):
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON ({exc.msg} at column {exc.colno})"
                    continue
                yield number, value if isinstance(value, dict) else "not a JSON object"
        else:
            raise RepmonError(f"{path}: unknown format; name it .jsonl or .csv (optionally .gz)")


def ingest_file(
    db: Database, path: Path, now: datetime, progress: Callable[[int], None] | None = None
) -> IngestReport:
    """Validate and upsert every review of a file; bad lines are counted and reported."""
    report = IngestReport()

    def problem(line: int, reason: str, key: str) -> None:
        report.tally.reject(key)
        if len(report.problems) < KEEP_PROBLEMS:
            report.problems.append(f"line {line}: {reason}")

    attach: Attachments | None = None
    analysed_at = BATCH // 2  # new reviews at the last ANALYZE; again each time they double

    def flush() -> None:
        nonlocal attach, analysed_at
        with db.transaction() as session:
            if attach is None:
                attach = Attachments(session)
            attach.bind(session)
            if report.tally.new >= 2 * analysed_at:
                refresh_statistics(session, "review")
                analysed_at = report.tally.new
            kept = []
            for line, review in batch_lines:
                if attach.resolve(review) == (None, None):
                    who = review.npi or review.profile_url
                    if who:
                        problem(
                            line, f"npi/profile_url: {who} is not in the roster", "not in roster"
                        )
                    else:
                        problem(line, "npi: give npi or profile_url", "no physician")
                    continue
                kept.append(review)
            for outcome in upsert_reviews(session, kept, now, attach):
                report.tally.add(outcome)
        batch_lines.clear()
        if progress:
            progress(report.lines)

    batch_lines: list[tuple[int, ReviewIn]] = []
    for line, record in read_records(path):
        report.lines += 1
        if isinstance(record, str):
            problem(line, record, "unreadable")
            continue
        try:
            review = validate_review(record, now)
        except Rejected as exc:
            problem(line, str(exc), exc.field)
            continue
        batch_lines.append((line, review))
        if len(batch_lines) >= BATCH:
            flush()
    if batch_lines:
        flush()
    return report
