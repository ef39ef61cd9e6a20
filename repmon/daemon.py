"""`repmon run`: APScheduler 3.11 with its SQLAlchemy job store on the same database."""

from __future__ import annotations

import logging
import os
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, text

from reputation.db import Database
from reputation.errors import ConfigError
from reputation.lease import acquire, release, renew
from reputation.reviews import MENTION_SOURCES, REVIEW_SOURCES
from reputation.settings import Settings

__all__ = ["Daemon", "digest_trigger"]

log = logging.getLogger("repmon.daemon")
LEASE_TTL = timedelta(seconds=90)
RENEW_EVERY = 30
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def digest_trigger(spec: str, timezone: str) -> CronTrigger:
    """The weekly digest trigger from a setting like "mon 07:00"."""
    try:
        day, clock = spec.split()
        hour, minute = (int(x) for x in clock.split(":"))
        if day not in DAYS or not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ConfigError(f"digest.cron {spec!r}: use a day and a time, e.g. 'mon 07:00'") from None
    return CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=timezone)


class Daemon:
    """Holds the database lease, schedules the jobs, and stops cleanly on SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, config: Path | None) -> None:
        self.settings = settings
        self.config = str(config) if config else None
        self.db = Database(settings.database_url)
        self.holder = f"pid {os.getpid()} on {socket.gethostname()}"
        self.scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.engine)},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def schedule(self) -> None:
        """Add every job with an explicit id (replace_existing: restarts do not duplicate)."""
        s, kw = self.settings, {"config": self.config}
        hours = int(s["crawl.interval_hours"])
        for i, source in enumerate(REVIEW_SOURCES + MENTION_SOURCES):
            self.scheduler.add_job(
                "repmon.jobs:crawl_source",
                IntervalTrigger(hours=hours, jitter=60),
                args=[source],
                kwargs=kw,
                id=f"crawl-{source}",
                replace_existing=True,
                misfire_grace_time=3600,
                next_run_time=datetime.now(UTC) + timedelta(seconds=10 + 30 * i),
            )
        self.scheduler.add_job(
            "repmon.jobs:drain_outbox",
            IntervalTrigger(minutes=1),
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
        # A digest missed by a restart is still sent: a week of grace; dedup keys stop repeats.
        self.scheduler.add_job(
            "repmon.jobs:send_digests",
            digest_trigger(str(s["digest.cron"]), str(s["timezone"])),
            kwargs=kw,
            id="weekly-digests",
            replace_existing=True,
            misfire_grace_time=6 * 24 * 3600,
        )
        self.scheduler.add_job(
            self._renew,
            IntervalTrigger(seconds=RENEW_EVERY),
            id="lease-renew",
            replace_existing=True,
            jobstore="memory",
        )

    def _stored_next_runs(self) -> dict[str, datetime]:
        if "apscheduler_jobs" not in inspect(self.db.engine).get_table_names():
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
            return {i: datetime.fromtimestamp(t, UTC) for i, t in rows if t is not None}

    def _renew(self) -> None:
        with self.db.transaction() as session:
            if not renew(session, self.holder, datetime.now(UTC), LEASE_TTL):
                log.error("lost the daemon lease to another process: stopping")
                self.scheduler.shutdown(wait=False)  # from a job thread: cannot wait for itself

    def stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Stop taking new jobs and wait for running ones (no half-written rows)."""
        log.info("stopping (signal %s): waiting for running jobs", signum)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def run(self) -> None:
        """Take the lease (or refuse), schedule, and block until stopped."""
        self.db.ensure_schema()
        with self.db.transaction() as session:
            acquire(session, self.holder, datetime.now(UTC), LEASE_TTL)
        self.scheduler.add_jobstore("memory", "memory")
        self.schedule()
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            self.scheduler.start()
        finally:
            with self.db.transaction() as session:
                release(session, self.holder, datetime.now(UTC))
            self.db.dispose()
            log.info("stopped cleanly")
