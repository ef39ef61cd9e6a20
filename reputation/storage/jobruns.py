"""Job runs: how each scheduled job ended, in the database, or in a local journal file while
the database cannot be reached; the next job that reaches it copies the journal in, once."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from reputation.storage.db import Database
from reputation.storage.dialect import insert_ignore_statement
from reputation.storage.models import JobRun

__all__ = [
    "JOURNAL",
    "JobOutcome",
    "append_journal",
    "failure_reason",
    "journaled_outcomes",
    "prune",
    "recent_runs",
    "record",
    "record_outcome",
]

JOURNAL = "job-journal.jsonl"
# The outbox drains every minute: keep a week of successes and three months of failures.
KEEP_OK = timedelta(days=7)
KEEP_FAILED = timedelta(days=90)


@dataclass(frozen=True)
class JobOutcome:
    """One finished job run."""

    name: str
    started_at: datetime
    finished_at: datetime
    status: str  # ok | failed
    detail: str
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", uuid.uuid4().hex)

    def to_json(self) -> str:
        """One journal line."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, line: str) -> JobOutcome:
        """Read a journal line (ValueError, KeyError or TypeError if it is not one)."""
        data = json.loads(line)
        data["started_at"] = datetime.fromisoformat(data["started_at"])
        data["finished_at"] = datetime.fromisoformat(data["finished_at"])
        return cls(**data)


def failure_reason(exc: BaseException) -> str:
    """The first line of an error, named by its type (no SQL, no parameters), for the record."""
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:300]


def record(session: Session, outcomes: Sequence[JobOutcome], journaled: bool = False) -> int:
    """Insert outcomes not yet stored (by key); returns how many went in."""
    rows = [{**asdict(o), "detail": o.detail[:2000], "journaled": journaled} for o in outcomes]
    if not rows:
        return 0
    # RETURNING counts what went in on every backend (psycopg reports no rowcount here).
    statement = insert_ignore_statement(session, JobRun, ("key",)).returning(JobRun.id)
    return len(session.connection().execute(statement, rows).all())


def prune(session: Session, now: datetime) -> int:
    """Delete successes older than KEEP_OK and failures older than KEEP_FAILED."""
    old_ok = (JobRun.status == "ok") & (JobRun.started_at < now - KEEP_OK)
    result = session.execute(
        delete(JobRun).where(or_(old_ok, JobRun.started_at < now - KEEP_FAILED))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def append_journal(data_dir: Path, outcome: JobOutcome) -> Path:
    """Append an outcome to the local journal and make it durable."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / JOURNAL
    with path.open("a", encoding="utf-8") as f:
        f.write(outcome.to_json() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def _journals(data_dir: Path) -> list[Path]:
    """Take the journal aside under a unique name; every journal file waiting to be copied."""
    path = data_dir / JOURNAL
    if path.exists():
        # A job appending now starts a new journal; the renamed one is ours to copy.
        path.replace(data_dir / f"job-journal.{uuid.uuid4().hex}.jsonl")
    return sorted(data_dir.glob("job-journal.*.jsonl"))


def journaled_outcomes(paths: Sequence[Path]) -> list[JobOutcome]:
    """The outcomes in journal files; a torn last line (a crash mid-write) is skipped."""
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(JobOutcome.from_json(line))
            except (ValueError, KeyError, TypeError):
                continue
    return out


def record_outcome(database_url: str, data_dir: Path, outcome: JobOutcome) -> int:
    """Store the outcome and any journaled ones in one transaction; journal it if that fails.

    Returns how many journaled outcomes were copied in. Raises only OSError, when the journal
    cannot be written either.
    """
    files = _journals(data_dir) if data_dir.is_dir() else []
    db: Database | None = None
    try:
        db = Database(database_url)
        earlier = journaled_outcomes(files)
        with db.transaction() as session:
            copied = record(session, earlier, journaled=True)
            record(session, [outcome])
            prune(session, outcome.finished_at)
    except Exception as exc:  # the database is down: keep the outcome locally
        note = f"; recorded late (database unavailable: {failure_reason(exc)})"
        append_journal(data_dir, JobOutcome(**{**asdict(outcome), "detail": outcome.detail + note}))
        return 0
    finally:
        if db is not None:
            db.dispose()
    for path in files:
        path.unlink(missing_ok=True)  # copied; a second copier's inserts were ignored by key
    return copied


def recent_runs(session: Session, limit: int = 20) -> list[JobRun]:
    """The newest job runs first."""
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    return list(session.scalars(stmt))
