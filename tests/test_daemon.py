"""The daemon: one per database, a clean stop on SIGTERM, jobs that survive a restart."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import inspect, select, text

from repmon.daemon import (
    DIGEST_GRACE,
    Daemon,
    Timings,
    digest_catch_up,
    digest_trigger,
    first_crawls,
)
from repmon.processes import INTERRUPTED
from reputation.errors import ConfigError, LeaseHeld
from reputation.mail.outbox import enqueue
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.lease import acquire, release, renew
from reputation.storage.models import CrawlRun, DaemonLease, JobRun, OutboxMessage
from tests.factories import roster_csv

ROOT = Path(__file__).resolve().parents[1]


# The sleeping crawls ask no API, but a source without its key fails before it starts.
API_KEYS = {"REPMON_GOOGLE_API_KEY": "test-key", "REPMON_X_BEARER_TOKEN": "test-token"}


def test_lease_refuses_a_second_holder_until_it_lapses(db: Database) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    ttl = timedelta(seconds=90)
    with db.transaction() as s:
        acquire(s, "a", now, ttl)
    with pytest.raises(LeaseHeld, match="another `repmon run` \\(a\\)"), db.transaction() as s:
        acquire(s, "b", now + timedelta(seconds=30), ttl)
    with db.transaction() as s:
        assert renew(s, "a", now + timedelta(seconds=60), ttl)
        acquire(s, "b", now + timedelta(seconds=151), ttl)  # a died: its lease lapsed
        assert not renew(s, "a", now + timedelta(seconds=152), ttl)
        release(s, "b", now + timedelta(seconds=153))
        acquire(s, "c", now + timedelta(seconds=154), ttl)


def test_a_digest_turn_missed_while_stopped_runs_at_the_next_start() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert digest_catch_up(monday, now) == now  # missed yesterday: at once
    assert digest_catch_up(now + timedelta(days=6), now) is None  # still to come: its trigger
    assert digest_catch_up(now - DIGEST_GRACE, now) is None  # missed too long ago
    assert digest_catch_up(None, now) is None  # never scheduled before


def test_digest_trigger() -> None:
    trigger = digest_trigger("mon 07:00", "America/Chicago")
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 23, 14, tzinfo=UTC))
    assert first is not None and first.astimezone(UTC) == datetime(2026, 11, 30, 13, tzinfo=UTC)
    with pytest.raises(ConfigError):
        digest_trigger("monday", "UTC")


def test_sigterm_during_a_job_submission_does_not_deadlock(workdir: Path) -> None:
    """SIGTERM may arrive while the main thread holds an executor's lock (submitting a job); a
    job that ends then needs that lock to report back, so stop() must not wait for jobs itself."""
    schema = Database(os.environ["REPMON_DATABASE_URL"])
    schema.ensure_schema()
    schema.dispose()
    settings = load_settings(None, dict(os.environ), workdir)
    daemon = Daemon(settings, None)
    daemon.scheduler = BackgroundScheduler(timezone=UTC)  # the same executors' locking
    daemon.scheduler.start()
    ending, running = threading.Event(), threading.Event()
    daemon.scheduler.add_job(lambda: (running.set(), ending.wait(10)), id="job")
    assert running.wait(10)
    executor = daemon.scheduler._lookup_executor("default")
    stopped = threading.Event()

    def interrupted_main_thread() -> None:
        with executor._lock:  # inside submit_job when the signal lands
            ending.set()  # the job ends and waits for the lock to report back
            time.sleep(0.2)
            daemon.stop(signal.SIGTERM)  # the handler, on the thread holding the lock
            stopped.set()

    main = threading.Thread(target=interrupted_main_thread, daemon=True)
    main.start()
    assert stopped.wait(5), "stop() waited for a job that waits for the lock it holds"
    assert daemon._stopper is not None
    daemon._stopper.join(10)
    assert not daemon._stopper.is_alive() and not daemon.scheduler.running
    daemon.db.dispose()


def test_first_crawls_keep_their_turn_unless_the_last_crawl_did_not_end_ok() -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    turn = now + timedelta(hours=20)
    stored = {"crawl-ratemds": turn, "crawl-healthgrades": turn, "crawl-google": turn}
    last = {"ratemds": "ok", "healthgrades": "failed", "google": "running"}
    first = first_crawls(stored, last, now, Timings())
    assert first["ratemds"] == turn and first["google"] == turn  # a restart keeps the rota
    assert first["healthgrades"] == now + timedelta(seconds=40)  # stopped mid-crawl: again soon
    assert first["yelp"] == now + timedelta(seconds=100)  # never scheduled: soon, staggered
    assert first["x"] == now + timedelta(seconds=190)


def _daemon(workdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "repmon", "-v", "run"],
        cwd=workdir,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_daemons_refuse_each_other_and_sigterm_stops_cleanly(workdir: Path) -> None:
    first = _daemon(workdir)
    try:
        deadline = time.monotonic() + 30
        second = None
        while time.monotonic() < deadline:
            time.sleep(1)
            second = subprocess.run(
                [sys.executable, "-m", "repmon", "run"],
                cwd=workdir,
                env=os.environ.copy(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            if "holds this database" in second.stdout + second.stderr:
                break
        assert second is not None and second.returncode == 2
        assert "another `repmon run`" in second.stdout + second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    assert "stopped cleanly" in out
    status = subprocess.run(
        [sys.executable, "-m", "repmon", "status", "--json"],
        cwd=workdir,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert '"daemon": "not running"' in status.stdout
    assert "weekly-digests" in status.stdout


class _Mail:
    subject = "test"
    text = "a message sent while crawls run"
    html = "<p>a message sent while crawls run</p>"


def _repmon(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repmon", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _start_slow_daemon(
    workdir: Path, physicians: int
) -> tuple[dict[str, str], Database, subprocess.Popen[str]]:
    """A roster of `physicians` imported, then a daemon whose crawls sleep ten minutes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPMON_DATA_DIR": str(workdir / "data")}
    env |= API_KEYS
    (workdir / "roster.csv").write_text(roster_csv(physicians), encoding="utf-8")
    assert _repmon(env, workdir, "roster", "import", "roster.csv").returncode == 0
    return env, Database(os.environ["REPMON_DATABASE_URL"]), _slow_daemon(workdir, env)


@pytest.mark.slow
def test_mail_and_lease_go_on_while_crawls_run_for_minutes(workdir: Path) -> None:
    """Every source's crawl takes ten minutes: the outbox still drains every 2 s, the 4 s
    lease is still held 20 s on, a second daemon is refused throughout, SIGTERM settles them."""
    env, db, daemon = _start_slow_daemon(workdir, physicians=2)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.session() as s:
                if s.get(DaemonLease, "daemon") is not None:
                    break
            time.sleep(0.2)
        start = time.monotonic()
        sent_late: list[str] = []
        refusals = 0
        for n in range(6):
            now = datetime.now(UTC)
            with db.transaction() as s:
                enqueue(
                    s, dedup_key=f"k{n}", kind="alert", to_addr="risk@example.org",
                    recipient_id=None, rendered=_Mail(), now=now,
                )  # fmt: skip
            second = _repmon(env, workdir, "run")
            refusals += second.returncode == 2 and "holds this database" in second.stderr
            time.sleep(max(0.0, start + 4 * (n + 1) - time.monotonic()))
            with db.session() as s:
                lease = s.get(DaemonLease, "daemon")
                assert lease is not None and lease.expires_at > datetime.now(UTC), n
                running = s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
                msg = s.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == f"k{n}"))
                assert msg is not None
                if msg.status != "sent":
                    sent_late.append(f"k{n} {msg.status}")
            if n >= 1:  # every source with something to crawl, all at once (one per site)
                assert sorted(r.source for r in running) == ["google", "ratemds", "reddit", "x"]
        assert not sent_late
        assert refusals == 6
        assert time.monotonic() - start > 20  # five times the lease's lifetime
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=90)
    assert daemon.returncode == 0, out
    assert "stopped cleanly" in out
    with db.session() as s:
        runs = s.scalars(select(CrawlRun)).all()
    db.dispose()
    assert runs and all(r.status == "failed" for r in runs), [(r.source, r.status) for r in runs]
    assert all(INTERRUPTED in r.errors for r in runs)


def _crawl_rota(db: Database) -> dict[str, float]:
    if "apscheduler_jobs" not in inspect(db.engine).get_table_names():
        return {}
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
        return {job: when for job, when in rows if job.startswith("crawl-")}


def _slow_daemon(workdir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.slowdaemon"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_restart_keeps_the_crawl_rota(workdir: Path) -> None:
    """Crawls that had their turn before a restart are not all started again after it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPMON_DATA_DIR": str(workdir / "data")}
    db = Database(os.environ["REPMON_DATABASE_URL"])
    db.ensure_schema()
    first = _slow_daemon(workdir, env)
    try:
        deadline = time.monotonic() + 60
        rota: dict[str, float] = {}
        while time.monotonic() < deadline and not rota:
            time.sleep(0.5)
            found = _crawl_rota(db)  # each crawl had its turn (nothing to crawl): next in a day
            if len(found) == 7 and min(found.values()) > time.time() + 3600:
                rota = found
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=60)
    assert rota, out
    # The weekly digest's turn came while the daemon was down: the next start sends it.
    missed = time.time() - 3600
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE apscheduler_jobs SET next_run_time = :t WHERE id = 'weekly-digests'"),
            {"t": missed},
        )
    second = _slow_daemon(workdir, env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with db.session() as s:
                lease = s.get(DaemonLease, "daemon")
                if lease is not None and lease.holder.startswith(f"pid {second.pid} "):
                    break
        time.sleep(5)  # first crawls would start 0.5 s to 3.5 s after a fresh schedule
        assert _crawl_rota(db) == rota
        with db.session() as s:
            names = [r.name for r in s.scalars(select(JobRun))]
        assert "send_digests" in names, names
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=60)
        db.dispose()
    assert second.returncode == 0, out


@pytest.mark.slow
def test_a_daemon_that_lost_its_lease_stops_and_settles_its_crawls(workdir: Path) -> None:
    _, db, daemon = _start_slow_daemon(workdir, physicians=1)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with db.session() as s:
                if s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).first():
                    break
        with db.transaction() as s:  # another daemon took the lease (say ours had lapsed)
            s.get_one(DaemonLease, "daemon").holder = "pid 1 on elsewhere"
        out, _ = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    assert "lost the daemon lease to another process: stopping" in out
    with db.session() as s:
        lease = s.get_one(DaemonLease, "daemon")
        runs = s.scalars(select(CrawlRun)).all()
    db.dispose()
    assert lease.holder == "pid 1 on elsewhere"  # not released by the one that lost it
    assert runs and all(r.status == "failed" and INTERRUPTED in r.errors for r in runs)
