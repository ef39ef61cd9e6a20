"""Scheduled jobs. Each takes names and ids (never objects), loads what it needs, calls the
pure functions, writes or sends, and is wrapped so one failure is logged and recorded."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alerts.evaluate import evaluate
from repmon.processes import CrawlRequest, run_crawls, sources_to_crawl
from repmon.relay import drain
from reputation.classifier.stored import classify_stored
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database, open_database
from reputation.storage.jobruns import JobOutcome, failure_reason, record_outcome
from reputation.wording import plural

__all__ = ["STOPPING", "crawl_source", "drain_outbox", "evaluate_alerts", "job", "send_digests"]

log = logging.getLogger("repmon.jobs")
F = TypeVar("F", bound=Callable[..., Any])
# The last outcome of every job in this process (the job_run table keeps them all).
LAST_RUNS: dict[str, dict[str, str]] = {}
# Set when the daemon stops: running crawls stop their processes and settle their runs.
STOPPING = threading.Event()


def _context(config: str | None) -> tuple[Settings, Database]:
    settings = load_settings(Path(config) if config else None, os.environ, Path.cwd())
    return settings, open_database(settings)


def _record(outcome: JobOutcome, config: str | None) -> None:
    """Store the outcome in job_run, or in the local journal while the database is down."""
    try:
        settings = load_settings(Path(config) if config else None, os.environ, Path.cwd())
        copied = record_outcome(settings.database_url, settings.data_dir, outcome)
    except Exception:  # bad settings, or no disk for the journal: the log is all that is left
        log.exception("job %s: %s; its outcome could not be recorded", outcome.name, outcome.status)
        return
    if copied:
        log.info("copied %d job outcome(s) from the local journal", copied)


def job(func: F) -> F:
    """Catch and log everything a job raises, so the scheduler goes on; record the outcome."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            given = dict(inspect.signature(func).bind(*args, **kwargs).arguments)
        except TypeError:  # the call below fails the same way, inside the boundary
            given = {}
        config = given.pop("config", None)
        name = func.__name__ + "".join(f"[{v}]" for v in given.values())
        started = datetime.now(UTC)
        result = None
        try:
            result = func(*args, **kwargs)
            status, detail = "ok", str(result)
            log.info("job %s: %s", name, result)
        except Exception as exc:  # the job boundary: log, record, go on
            log.exception("job %s failed", name)
            status, detail = "failed", failure_reason(exc)
        LAST_RUNS[name] = {"at": started.isoformat(), "status": status, "detail": detail}
        _record(JobOutcome(name, started, datetime.now(UTC), status, detail), config)
        return result

    return wrapper  # type: ignore[return-value]


@job
def crawl_source(source: str, config: str | None = None) -> str:
    """Crawl one source (fresh process), classify what came in, evaluate alerts."""
    settings, db = _context(config)
    try:
        now = datetime.now(UTC)
        request = CrawlRequest(sources=(source,))
        if not sources_to_crawl(db, request):
            return f"{source}: nothing to crawl (no profiles)"
        runs = run_crawls(db, settings, request, now, jobs=1, stop=STOPPING)
        states = ", ".join(f"{r.source}:{r.status}" for r in runs)
        if STOPPING.is_set():
            return f"{states}; stopped with the daemon"
        classified = classify_stored(db, datetime.now(UTC))
        report = evaluate(db, settings, datetime.now(UTC))
        return f"{states}; {classified} classified; {plural(report.emails, 'alert email')}"
    finally:
        db.dispose()


@job
def evaluate_alerts(config: str | None = None) -> str:
    """Evaluate alerts now."""
    settings, db = _context(config)
    try:
        report = evaluate(db, settings, datetime.now(UTC))
        return f"{report.firing} firing, {plural(report.emails, 'email')}"
    finally:
        db.dispose()


@job
def drain_outbox(config: str | None = None) -> str:
    """Send what is due in the outbox."""
    settings, db = _context(config)
    try:
        report = asyncio.run(drain(db, settings, lambda: datetime.now(UTC)))
        return str(report)
    finally:
        db.dispose()


@job
def send_digests(config: str | None = None) -> str:
    """Enqueue last week's digests for every subscriber (idempotent), then drain."""
    from reputation.classifier.classify import CLASSIFIER_VERSION
    from reputation.digests.plan import DigestOptions, enqueue_digests

    settings, db = _context(config)
    try:
        with db.transaction() as session:
            counts = enqueue_digests(
                session,
                None,
                datetime.now(UTC),
                DigestOptions.from_settings(settings, CLASSIFIER_VERSION),
            )
        return f"{counts}; " + str(drain_outbox(config=config))
    finally:
        db.dispose()
