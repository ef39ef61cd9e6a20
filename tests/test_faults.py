"""Faults, each with real processes and servers: a crawl killed with SIGKILL, a mail server down
for an hour, the database gone during a job, two crawls of one source at once, and a source
that starts answering with challenge pages.

Two relays at once: tests/test_relay.py::test_concurrent_drains_do_not_double_send.
A second daemon: tests/test_daemon.py::test_two_daemons_refuse_each_other_and_sigterm_stops_cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import urlopen

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from alerts.evaluate import evaluate
from repmon.cli import main
from repmon.jobs import LAST_RUNS, evaluate_alerts
from repmon.processes import CrawlRequest, run_crawls, stale_after
from repmon.relay import RelayReport, drain
from reputation.crawls.runs import interrupt_stale_runs, process_alive, record_process, start_run
from reputation.imports.incoming import validate_review
from reputation.imports.roster import apply_roster, parse_roster
from reputation.mail.outbox import OUTAGE_MAX_DELAY, enqueue
from reputation.mail.render import render_mail
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database
from reputation.storage.jobruns import JOURNAL, journaled_outcomes
from reputation.storage.models import (
    Alert,
    CrawlRun,
    JobRun,
    OutboxMessage,
    Profile,
    Recipient,
    Review,
    ReviewRevision,
    Subscription,
)
from reputation.storage.store import Outcome, upsert_reviews
from spiders.sandbox import DEFAULT_ANCHOR, DEFAULT_SEED, build_world, scrapy_settings, serve
from tests.conftest import NOW
from tests.factories import review_records
from tests.test_relay import Server, smtp_settings
from tests.test_render import alert_context

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "ratemds"
T = TypeVar("T")


@pytest.fixture
def sandbox() -> Iterator[str]:
    with serve(now=DEFAULT_ANCHOR) as base:
        yield base


def poll(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first true value of `check()`, asked every 0.1 s, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def truth(base: str) -> set[str]:
    """The ids of every RateMDs review the sandbox shows at its clock."""
    planted = json.loads(urlopen(f"{base}/_sandbox/truth.json").read())
    world = build_world(DEFAULT_SEED, datetime.fromisoformat(planted["anchor"]))
    ids = {
        r.source_id
        for p in world.physicians
        for r in world.reviews_of(p.index, SOURCE, DEFAULT_ANCHOR)
    }
    cluster = {i.split(":", 1)[1] for i in planted["cluster"]["reviews"] if i.startswith(SOURCE)}
    assert cluster and cluster <= ids
    return ids


def roster(db: Database, base: str) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(urlopen(f"{base}/_sandbox/roster.csv").read().decode()))


def start_crawl(
    db: Database, base: str, data: Path, now: datetime, **extra: Any
) -> subprocess.Popen[str]:
    """`run_crawls` of one source in a new process group (it starts the Scrapy process)."""
    settings = json.dumps({**scrapy_settings(base), **extra})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    args = [db.url, str(data), now.isoformat(), SOURCE, settings]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faultproc", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> list[dict[str, Any]]:
    """Wait for a crawl process; the runs it printed."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def spider_open(data: Path) -> tuple[str, str]:
    """When the Scrapy process under `data` opened and closed its spider (log timestamps)."""
    (log,) = (data / "logs").glob("crawl-*.log")
    lines = log.read_text(encoding="utf-8").splitlines()
    opened = next(line[:19] for line in lines if "Spider opened" in line)
    closed = next(line[:19] for line in lines if "Spider closed" in line)
    return opened, closed


def stored(db: Database) -> list[Review]:
    with db.session() as s:
        return list(s.scalars(select(Review).where(Review.source == SOURCE)))


def count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Review)) or 0


def runs(db: Database) -> list[CrawlRun]:
    with db.session() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def assert_whole(db: Database, expected: set[str]) -> list[Review]:
    """Every stored review is one the sandbox shows, once, linked to its physician and profile."""
    reviews = stored(db)
    ids = [r.external_id for r in reviews]
    assert len(ids) == len(set(ids)), "a review is stored twice"
    assert set(ids) <= expected
    assert all(r.physician_id is not None and r.profile_id is not None for r in reviews)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewRevision)) == 0
    return reviews


def complete_profiles(db: Database) -> int:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Profile)
                .where(Profile.source == SOURCE, Profile.complete_at.is_not(None))
            )
            or 0
        )


# -- 1. a crawl killed with SIGKILL mid-way ---------------------------------------------------


def test_sigkilled_crawl_leaves_nothing_half_written_and_the_next_run_stores_each_once(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    expected = truth(sandbox)
    roster(db, sandbox)
    # A small delay per request keeps the crawl going for a few seconds after its first commit.
    proc = start_crawl(db, sandbox, tmp_path, DEFAULT_ANCHOR, DOWNLOAD_DELAY=0.1)
    try:
        poll(lambda: count(db) or proc.poll() is not None, 60, "the first stored batch")
        assert proc.poll() is None, "the crawl finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the orchestrator and its Scrapy process
    finally:
        proc.wait(timeout=30)
    killed = assert_whole(db, expected)
    assert 0 < len(killed) < len(expected)
    (run,) = runs(db)
    # Nobody was left to settle the run; it names its (now dead) process for the next sweep.
    assert run.status == "running" and run.finished_at is None
    # SIGKILL is not instant for the Scrapy child (not ours to wait for): on a loaded machine
    # it may still be exiting when its parent has been reaped.
    host, pid = run.args["process"]["host"], run.args["process"]["pid"]
    poll(lambda: process_alive(host, pid) is False, 10, "the killed Scrapy process to end")
    assert complete_profiles(db) == 0  # no profile counts as seen through: no early stop later

    # The next crawl, started at once, marks the killed run failed and finishes the job.
    (second,) = finish(start_crawl(db, sandbox, tmp_path, DEFAULT_ANCHOR))
    first, rerun = runs(db)
    assert first.status == "failed" and "interrupted" in " ".join(first.errors)
    assert rerun.status == "ok" and second["status"] == "ok", rerun.errors
    reviews = assert_whole(db, expected)
    assert {r.external_id for r in reviews} == expected
    assert rerun.new == len(expected) - len(killed)  # what the killed run stored is not new
    assert complete_profiles(db) == len({r.profile_id for r in reviews})


def test_the_sweep_fails_runs_whose_process_is_gone_and_leaves_live_or_remote_ones(
    db: Database,
) -> None:
    stale = stale_after(load_settings(None, {}, Path.cwd()))
    assert stale == timedelta(hours=7)  # crawl.max_hours (6) and an hour's margin
    processes = {"dead": ("here", 1), "live": ("here", 2), "remote": ("elsewhere", 3)}
    state = {("here", 1): False, ("here", 2): True, ("elsewhere", 3): None}
    with db.transaction() as s:
        for name, (host, pid) in processes.items():
            run = start_run(s, name, SOURCE, {}, NOW)
            record_process(run, host, pid)
        start_run(s, "not started yet", SOURCE, {}, NOW)
        start_run(s, "old", SOURCE, {}, NOW - stale - timedelta(seconds=1))
    with db.transaction() as s:
        assert interrupt_stale_runs(s, NOW, stale, lambda h, p: state[(h, p)]) == 2
    assert {r.source: r.status for r in runs(db)} == {
        "dead": "failed", "live": "running", "remote": "running",
        "not started yet": "running", "old": "failed",
    }  # fmt: skip


# -- 4. two crawls of the same source at once ---------------------------------------------------


def test_two_crawls_of_one_source_at_once_store_each_review_once(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    expected = truth(sandbox)
    roster(db, sandbox)
    dirs = [tmp_path / "one", tmp_path / "two"]
    # A short delay per request makes each crawl last a few seconds, so they overlap.
    procs = [start_crawl(db, sandbox, d, DEFAULT_ANCHOR, DOWNLOAD_DELAY=0.1) for d in dirs]
    try:
        printed = [finish(p) for p in procs]  # a deadlock would time out here
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert [len(p) for p in printed] == [1, 1]
    (open_a, close_a), (open_b, close_b) = (spider_open(d) for d in dirs)
    assert open_a <= close_b and open_b <= close_a, "the crawls did not run at the same time"
    both = runs(db)
    assert [r.status for r in both] == ["ok", "ok"], [r.errors for r in both]
    reviews = assert_whole(db, expected)
    assert {r.external_id for r in reviews} == expected
    assert sum(r.new for r in both) == len(expected), "a review was counted new by both"


def test_concurrent_writers_in_opposite_orders_neither_deadlock_nor_duplicate(
    db: Database,
) -> None:
    """Two writers store the same reviews at once, batch by batch, one of them backwards and
    with half of the stored reviews edited: inserts, revisions and updates all contend."""
    records = review_records(600, physicians=20)
    with db.transaction() as s:
        upsert_reviews(s, [validate_review(r, NOW) for r in records[::2]], NOW)
    edited = [{**r, "text": f"{r['text']} (edited)"} if i % 4 == 0 else r
              for i, r in enumerate(records)]  # fmt: skip
    streams = [[validate_review(r, NOW) for r in rs] for rs in (records, edited)]
    barrier = threading.Barrier(2, timeout=60)
    outcomes: list[list[Outcome]] = [[], []]
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        own = Database(db.url)
        try:
            for start in range(0, len(records), 100):
                barrier.wait()
                batch = streams[k][start : start + 100]
                with own.transaction() as s:
                    outcomes[k] += upsert_reviews(s, batch[::-1] if k else batch, NOW)
        except BaseException as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)
            barrier.abort()
        finally:
            own.dispose()

    threads = [threading.Thread(target=writer, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert count(db) == len(records)
    new = [o.count(Outcome.NEW) for o in outcomes]
    assert sum(new) == len(records) // 2, new  # each new review new for exactly one writer


# -- 3. the database unavailable during a job -------------------------------------------------


class Proxy:
    """A loopback TCP proxy in front of PostgreSQL: cutting it is a network outage.

    With `cut_on`, the outage starts the moment a client sends those bytes (that packet is
    dropped), so a job loses its database in the middle of a transaction.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self.cut_on: bytes | None = None
        self.lock = threading.Lock()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        """The database URL through this proxy (no TLS, so `cut_on` can see the SQL)."""
        parsed = make_url(url)
        proxied = parsed.set(port=self.port, query={**parsed.query, "sslmode": "disable"})
        return proxied.render_as_string(hide_password=False)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                client.close()  # the server is gone: the client's handshake fails
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if upstream and self.cut_on and self.cut_on in data:
                    self.cut()
                    return
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            sock.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.up = False
        with self.lock:
            conns, self.conns = self.conns, []
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        """Let connections through again."""
        self.cut_on = None
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


class SqliteOutage:
    """The SQLite file vanishes (an unmounted volume): a directory stands where it was."""

    def __init__(self, db: Database) -> None:
        db.dispose()  # no pooled connection keeps the moved file open
        self.path = Path(str(make_url(db.url).database))
        self.aside = self.path.with_name("aside")
        self.aside.mkdir()
        for f in self.path.parent.glob(self.path.name + "*"):
            f.rename(self.aside / f.name)
        self.path.mkdir()

    def restore(self) -> None:
        self.path.rmdir()
        for f in self.aside.iterdir():
            f.rename(self.path.parent / f.name)


def test_database_down_during_a_job_fails_cleanly_is_recorded_and_the_next_run_succeeds(
    db: Database, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)  # the daemon's jobs run on the real clock
    with db.transaction() as s:
        s.add(CrawlRun(source=SOURCE, spider=SOURCE, started_at=now - timedelta(hours=1),
                       finished_at=now, status="blocked", errors=["9 pages refused"]))  # fmt: skip
        lead = Recipient(email="lead@example.org", name="Lead")
        s.add(lead)
        s.flush()
        s.add(Subscription(recipient_id=lead.id, topic="alerts", scope_type="all", scope_id=0))
    proxy: Proxy | None = None
    if db.dialect == "postgresql":
        url = make_url(db.url)
        proxy = Proxy(str(url.host), int(url.port or 5432))
        monkeypatch.setenv("REPMON_DATABASE_URL", proxy.url(db.url))
        # The job loses the database as it writes its email, after the alert rows it wrote.
        proxy.cut_on = b"INSERT INTO outbox_message"
        outage: Proxy | SqliteOutage = proxy
    else:
        outage = SqliteOutage(db)
    try:
        assert evaluate_alerts() is None  # nothing raised out of the job wrapper
        assert LAST_RUNS["evaluate_alerts"]["status"] == "failed"
        journal = workdir / "repmon-data" / JOURNAL
        (late,) = journaled_outcomes([journal])
        assert late.name == "evaluate_alerts" and late.status == "failed"
        assert "OperationalError" in late.detail and "database unavailable" in late.detail
        outage.restore()
        with db.session() as s:  # nothing half-written: no alert without its email
            for model in (Alert, OutboxMessage, JobRun):
                assert s.scalar(select(func.count()).select_from(model)) == 0, model

        assert evaluate_alerts() == "1 firing, 1 email"
        shown = CliRunner().invoke(main, ["status", "--json"])
    finally:
        if proxy is not None:
            proxy.close()
    with db.session() as s:
        runs = list(s.scalars(select(JobRun).order_by(JobRun.started_at)))
        (alert,) = s.scalars(select(Alert)).all()
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert [(r.status, r.journaled) for r in runs] == [("failed", True), ("ok", False)]
    assert runs[0].key == late.key and runs[0].detail == late.detail
    assert alert.kind == "crawl_health" and alert.labels["entity"] == f"source:{SOURCE}"
    assert not list((workdir / "repmon-data").glob("job-journal*"))  # copied in, once
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.output)
    assert [r["status"] for r in status["job_runs"]] == ["ok", "failed"]
    assert status["journaled_job_runs"] == 0


def test_database_lost_during_a_crawl_leaves_nothing_half_written_and_the_next_completes(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a network outage needs a database server (the SQLite case is above)")
    expected = truth(sandbox)
    roster(db, sandbox)
    url = make_url(db.url)
    proxy = Proxy(str(url.host), int(url.port or 5432))
    through = Database(proxy.url(db.url))
    try:
        proc = start_crawl(through, sandbox, tmp_path, DEFAULT_ANCHOR, DOWNLOAD_DELAY=0.1)
        try:
            poll(lambda: count(db) or proc.poll() is not None, 60, "the first stored batch")
            assert proc.poll() is None, "the crawl finished before the database went away"
            proxy.cut()  # for the Scrapy process and its orchestrator alike
            _, err = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode != 0 and "OperationalError" in err  # the job fails, loudly
        stored_then = assert_whole(db, expected)
        assert 0 < len(stored_then) < len(expected)
        (run,) = runs(db)
        assert run.status == "running"  # never "ok": its end could not be recorded
        assert complete_profiles(db) == 0
        proxy.restore()
        (second,) = finish(start_crawl(through, sandbox, tmp_path, DEFAULT_ANCHOR))
    finally:
        through.dispose()
        proxy.close()
    first, rerun = runs(db)
    assert first.status == "failed" and rerun.status == "ok" == second["status"]
    assert {r.external_id for r in assert_whole(db, expected)} == expected
    assert rerun.new == len(expected) - len(stored_then)


# -- 2. the mail server down for an hour --------------------------------------------------------


def enqueue_at(db: Database, key: str, now: datetime) -> str:
    """An alert email enqueued at `now`; its Message-ID."""
    with db.transaction() as s:
        msg = enqueue(
            s, dedup_key=key, kind="alert", to_addr="lead@example.org", recipient_id=None,
            rendered=render_mail("alert", alert_context()), now=now,
        )  # fmt: skip
        assert msg is not None
        return msg.message_id


def relay(db: Database, settings: Settings, now: datetime) -> RelayReport:
    """One drain of the outbox at `now`, as the daemon runs every minute."""
    return asyncio.run(drain(db, settings, lambda: now))


@pytest.mark.parametrize(
    ("hours", "every"), [(1, 1), (6, 10)], ids=["1h-drain-every-minute", "6h-drain-every-10min"]
)
def test_smtp_down_for_hours_then_back_delivers_every_message_once(
    db: Database, tmp_path: Path, hours: int, every: int
) -> None:
    srv = Server()  # not started: its port refuses connections
    settings = smtp_settings(tmp_path, srv.port)
    assert int(settings["outbox.max_attempts"]) == 8  # the shipped retry policy
    # More than one claimed batch before the outage, and more mail while it lasts.
    ids = [enqueue_at(db, f"before:{i}", NOW) for i in range(70)]
    clock, back, step = NOW, NOW + timedelta(hours=hours), timedelta(minutes=every)
    while clock < back:
        if clock == NOW + timedelta(minutes=30):
            ids += [enqueue_at(db, f"during:{i}", clock) for i in range(5)]
        report = relay(db, settings, clock)
        assert (report.sent, report.failed) == (0, 0), report.problems
        clock += step
    with db.session() as s:
        waiting = s.scalars(select(OutboxMessage)).all()
    assert {m.status for m in waiting} == {"pending"} and len(waiting) == len(ids)
    assert all("127.0.0.1" in (m.last_error or "") for m in waiting)
    srv.start()
    try:
        while clock < back + timedelta(hours=2):
            relay(db, settings, clock)
            with db.session() as s:
                left = s.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
            if not left:
                break
            clock += step
        # Retries during an outage are at most OUTAGE_MAX_DELAY apart: mail flows soon after.
        assert clock <= back + OUTAGE_MAX_DELAY, clock - back
        for _ in range(3):  # later drains send nothing again
            clock += timedelta(hours=1)
            assert relay(db, settings, clock).sent == 0
    finally:
        srv.stop()
    assert sorted(srv.sink.ids()) == sorted(ids)  # every message, none twice
    with db.session() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}


# -- 5. a source that starts answering with challenge pages -------------------------------------


def test_a_source_that_starts_refusing_is_blocked_and_raises_a_crawl_health_alert(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    roster(db, sandbox)
    with db.transaction() as s:
        lead = Recipient(email="lead@example.org", name="Lead")
        s.add(lead)
        s.flush()
        s.add(Subscription(recipient_id=lead.id, topic="alerts", scope_type="all", scope_id=0))
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    npi = json.loads(urlopen(f"{sandbox}/_sandbox/truth.json").read())["cluster"]["npi"]

    def crawl_and_evaluate(now: datetime) -> tuple[CrawlRun, int]:
        request = CrawlRequest(
            sources=(SOURCE,), physician=npi, now=now,
            settings=tuple((k, str(v)) for k, v in scrapy_settings(sandbox).items()),
        )  # fmt: skip
        (run,) = run_crawls(db, settings, request, now, jobs=1)
        return run, evaluate(db, settings, now).emails

    first, emails = crawl_and_evaluate(DEFAULT_ANCHOR)
    assert first.status == "ok" and first.new > 0 and emails == 0, first.errors
    urlopen(f"{sandbox}/_sandbox/block?source={SOURCE}", data=b"").read()
    blocked, emails = crawl_and_evaluate(DEFAULT_ANCHOR + timedelta(days=1))
    # Refused pages are "blocked", never "ok, 0 new reviews".
    assert blocked.status == "blocked" and blocked.new == 0
    assert "refused" in blocked.errors[0]
    assert emails == 1
    with db.session() as s:
        (alert,) = s.scalars(select(Alert).where(Alert.kind == "crawl_health")).all()
        (mail,) = s.scalars(select(OutboxMessage)).all()
    assert alert.state == "firing"
    assert alert.labels["entity"] == f"source:{SOURCE}" and alert.labels["category"] == "blocked"
    assert "RateMDs" in mail.subject and "blocked" in mail.subject and "RateMDs" in mail.body_text
    assert mail.to_addr == "lead@example.org" and mail.status == "pending"
