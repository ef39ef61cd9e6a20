"""Job runs: recorded in the database, journaled while it is down, copied in once, pruned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from reputation.storage.db import Database
from reputation.storage.jobruns import (
    JOURNAL,
    JobOutcome,
    append_journal,
    journaled_outcomes,
    recent_runs,
    record_outcome,
)
from reputation.storage.models import JobRun
from tests.conftest import NOW


def outcome(name: str, status: str = "ok", days: float = 0) -> JobOutcome:
    at = NOW + timedelta(days=days)
    return JobOutcome(name, at, at + timedelta(seconds=3), status, f"{name} {status}")


def test_an_unreachable_database_journals_the_outcome_and_the_next_copies_it_once(
    db: Database, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    down = f"sqlite:///{tmp_path / 'missing' / 'dir-not-file'}/x.db"
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "dir-not-file").write_text("a file where a folder should be")
    first = outcome("evaluate_alerts", "failed")
    assert record_outcome(down, data, first) == 0
    (late,) = journaled_outcomes([data / JOURNAL])
    assert late.key == first.key and "database unavailable" in late.detail
    # A crash while appending leaves a torn line: it is skipped, not fatal.
    with (data / JOURNAL).open("a", encoding="utf-8") as f:
        f.write('{"name": "drain_out')
    assert record_outcome(db.url, data, outcome("drain_outbox", days=0.01)) == 1
    assert not list(data.glob("job-journal*"))
    # The same journal line copied twice (two jobs finishing at once) is stored once.
    append_journal(data, late)
    assert record_outcome(db.url, data, outcome("drain_outbox", days=0.02)) == 0
    with db.session() as s:
        runs = recent_runs(s)
    assert [(r.name, r.status, r.journaled) for r in runs] == [
        ("drain_outbox", "ok", False),
        ("drain_outbox", "ok", False),
        ("evaluate_alerts", "failed", True),
    ]


def test_old_successes_are_pruned_before_old_failures(db: Database, tmp_path: Path) -> None:
    for days in (0, 1):
        record_outcome(db.url, tmp_path, outcome("drain_outbox", days=days))
        record_outcome(db.url, tmp_path, outcome("crawl_source[ratemds]", "failed", days))
    record_outcome(db.url, tmp_path, outcome("evaluate_alerts", days=7.5))
    with db.session() as s:
        kept = [(r.name, r.status) for r in s.scalars(select(JobRun).order_by(JobRun.id))]
    assert kept == [
        ("crawl_source[ratemds]", "failed"),
        ("drain_outbox", "ok"),  # the one from day 1: 6.5 days old
        ("crawl_source[ratemds]", "failed"),
        ("evaluate_alerts", "ok"),
    ]
