"""`repmon run`: APScheduler 3.11 with its SQLAlchemy job store on the same database."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, text

from repmon import jobs
from repmon.processes import latest_runs
from reputation.errors import ConfigError
from reputation.imports.incoming import MENTION_SOURCES, REVIEW_SOURCES
from reputation.settings import Settings, parse_weekly_time
from reputation.storage.db import open_database
from reputation.storage.lease import acquire, release, renew

__all__ = ["DIGEST_GRACE", "Daemon", "Timings", "digest_catch_up", "digest_trigger", "first_crawls"]

log = logging.getLogger("repmon.daemon")
CRAWL_THREADS = len(REVIEW_SOURCES + MENTION_SOURCES)


def digest_trigger(spec: str, timezone: str) -> CronTrigger:
    """The weekly digest trigger from a setting like "mon 07:00"."""
    try:
        day, hour, minute = parse_weekly_time(spec)
    except ValueError:
        raise ConfigError(f"digest.cron {spec!r}: use a day and a time, e.g. 'mon 07:00'") from None
    return CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=timezone)


@dataclass(frozen=True)
class Timings:
    """The daemon's clockwork in seconds (tests shorten it)."""

    lease_ttl: float = 90
    renew_every: float = 30
    drain_every: float = 60
    first_crawl: float = 10  # after start; each further source 30 s later
    crawl_stagger: float = 30


def first_crawls(
    stored: Mapping[str, datetime], last_status: Mapping[str, str], now: datetime, t: Timings
) -> dict[str, datetime]:
    """When each source's crawl job first runs: at its stored turn after a restart, unless it
    never had one or its last crawl did not end ok (stopped with the daemon, failed, blocked):
    then soon, the sources staggered."""
    first = {}
    for i, source in enumerate(REVIEW_SOURCES + MENTION_SOURCES):
        turn = stored.get(f"crawl-{source}")
        if turn is None or last_status.get(source, "ok") not in ("ok", "running"):
            turn = now + timedelta(seconds=t.first_crawl + t.crawl_stagger * i)
        first[source] = turn
    return first


DIGEST_GRACE = timedelta(days=6)  # a digest missed by longer is left to the next week's


def digest_catch_up(stored: datetime | None, now: datetime) -> datetime | None:
    """When the weekly digest job runs at once after a restart: its stored turn passed while the
    daemon was down, within DIGEST_GRACE (the job sends the last finished week, once); else
    None and the trigger sets the next turn. Re-adding the job on start recomputes its turn, so
    APScheduler's own misfire grace never sees a turn missed while stopped."""
    if stored is not None and stored <= now < stored + DIGEST_GRACE:
        return now
    return None


class Daemon:
    """Holds the database lease, schedules the jobs, and stops cleanly on SIGTERM/SIGINT.

    Crawls (hours each) run on their own executor, so the outbox, alert and digest jobs are
    never queued behind one; the lease is renewed by its own thread, never behind any job.
    """

    def __init__(self, settings: Settings, config: Path | None, timings: Timings = Timings()):
        self.settings = settings
        self.config = str(config) if config else None
        self.timings = timings
        self.db = open_database(settings)
        self.holder = f"pid {os.getpid()} on {socket.gethostname()}"
        self.scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.engine)},
            # one crawl thread per source: each site is crawled politely, all sites at once
            executors={
                "default": ThreadPoolExecutor(2),
                "crawls": ThreadPoolExecutor(CRAWL_THREADS),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self.done = threading.Event()  # every job has ended: the lease may lapse
        self._stopper: threading.Thread | None = None

    def schedule(self) -> None:
        """Add every job with an explicit id (replace_existing: restarts do not duplicate)."""
        s, t, kw = self.settings, self.timings, {"config": self.config}
        hours = int(s["crawl.interval_hours"])
        with self.db.session() as session:
            last = {r.source: r.status for r in latest_runs(session)}
        stored, now = self._stored_next_runs(), datetime.now(UTC)
        first = first_crawls(stored, last, now, t)
        for source, when in first.items():
            self.scheduler.add_job(
                "repmon.jobs:crawl_source",
                IntervalTrigger(hours=hours, jitter=60),
                args=[source],
                kwargs=kw,
                id=f"crawl-{source}",
                executor="crawls",
                replace_existing=True,
                misfire_grace_time=3600,
                next_run_time=when,
            )
        self.scheduler.add_job(
            "repmon.jobs:drain_outbox",
            IntervalTrigger(seconds=t.drain_every),
            kwargs=kw,
            id="drain-outbox",
            replace_existing=True,
            misfire_grace_time=30,
        )
        self.scheduler.add_job(
            "repmon.jobs:evaluate_alerts",
            IntervalTrigger(hours=1),
            kwargs=kw,
            id="evaluate-alerts",
            replace_existing=True,
            misfire_grace_time=600,
        )
        # A digest missed by a restart is still sent (dedup keys stop repeats).
        catch_up = digest_catch_up(stored.get("weekly-digests"), now)
        self.scheduler.add_job(
            "repmon.jobs:send_digests",
            digest_trigger(str(s["digest.cron"]), str(s["timezone"])),
            kwargs=kw,
            id="weekly-digests",
            replace_existing=True,
            misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
            **({"next_run_time": catch_up} if catch_up else {}),
        )

    def _stored_next_runs(self) -> dict[str, datetime]:
        if "apscheduler_jobs" not in inspect(self.db.engine).get_table_names():
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
            return {i: datetime.fromtimestamp(t, UTC) for i, t in rows if t is not None}

    def _keep_lease(self) -> None:
        """Renew the lease every renew_every seconds until stopped; stop if it was lost."""
        ttl = timedelta(seconds=self.timings.lease_ttl)
        while not self.done.wait(self.timings.renew_every):
            try:
                with self.db.transaction() as session:
                    held = renew(session, self.holder, datetime.now(UTC), ttl)
            except Exception:  # the database is away: try again, the lease outlives two misses
                log.exception("could not renew the daemon lease")
                continue
            if not held:
                log.error("lost the daemon lease to another process: stopping")
                self._halt()
                return

    def _halt(self) -> None:
        """Stop taking jobs and stop running crawls (they settle their runs)."""
        jobs.STOPPING.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Stop taking new jobs, stop crawls, and wait for running jobs (no half-written rows)."""
        log.info("stopping (signal %s): waiting for running jobs", signum)
        jobs.STOPPING.set()
        # Not in the signal handler itself: the signal may interrupt the main thread while it
        # holds an executor's lock (submitting a job), which a finishing job needs to report
        # back, so waiting for the jobs here would wait forever. run() joins this thread.
        if self._stopper is None and self.scheduler.running:
            self._stopper = threading.Thread(target=self._shutdown, name="stop")
            self._stopper.start()

    def _shutdown(self) -> None:
        with contextlib.suppress(SchedulerNotRunningError):  # the lease was lost meanwhile
            self.scheduler.shutdown(wait=True)

    def run(self) -> None:
        """Take the lease (or refuse), schedule, and block until stopped."""
        self.db.ensure_schema()
        with self.db.transaction() as session:
            acquire(
                session, self.holder, datetime.now(UTC), timedelta(seconds=self.timings.lease_ttl)
            )
        jobs.STOPPING.clear()
        keeper = threading.Thread(target=self._keep_lease, name="lease", daemon=True)
        keeper.start()
        self.schedule()
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            self.scheduler.start()
        finally:
            if self._stopper is not None:
                self._stopper.join()  # every running job has ended
            self.done.set()
            keeper.join()
            with self.db.transaction() as session:
                release(session, self.holder, datetime.now(UTC))
            self.db.dispose()
            log.info("stopped cleanly")
