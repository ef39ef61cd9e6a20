"""Running spiders in fresh processes (the Twisted reactor cannot restart), by CrawlRun id.

A crawl runs as a local process, or as a Scrapyd job when Scrapyd servers are configured:
the engines differ only in how a crawl is started and watched.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repmon.scrapyd import ScrapydEngine, nodes
from reputation.crawls.runs import (
    INTERRUPTED,
    interrupt_stale_runs,
    record_process,
    routine,
    social_targets,
    start_run,
    targets,
)
from reputation.errors import ConfigError, RepmonError
from reputation.imports.incoming import MENTION_SOURCES, REVIEW_SOURCES
from reputation.settings import Settings, env_name
from reputation.storage.db import Database
from reputation.storage.models import CrawlRun
from spiders.config import preflight

__all__ = [
    "ENGINES",
    "INTERRUPTED",
    "CrawlRequest",
    "Engine",
    "crawl_arguments",
    "latest_runs",
    "run_crawls",
    "settle_dead_runs",
    "sources_to_crawl",
    "stale_after",
]

ROOT = Path(__file__).resolve().parents[1]
STALE_MARGIN = timedelta(hours=1)  # a run still `running` this long past crawl.max_hours died
STOP_GRACE = 20.0  # seconds a stopped crawl gets to close its run before it is killed


def stale_after(settings: Settings) -> timedelta:
    """How long a run may stay `running` before a sweep fails it: crawl.max_hours and a margin."""
    return timedelta(hours=float(settings["crawl.max_hours"])) + STALE_MARGIN


def settle_dead_runs(db: Database, settings: Settings, now: datetime) -> int:
    """Fail runs still `running` whose process is gone (or that are far too old); how many."""
    with db.transaction() as session:
        return interrupt_stale_runs(session, now, stale_after(settings))


def latest_runs(session: Session) -> list[CrawlRun]:
    """The newest crawl run of each source, by source (one-off `--url` crawls left out)."""
    newest = (
        select(CrawlRun.source, func.max(CrawlRun.id).label("id"))
        .where(routine())
        .group_by(CrawlRun.source)
        .subquery()
    )
    stmt = select(CrawlRun).join(newest, CrawlRun.id == newest.c.id).order_by(CrawlRun.source)
    return list(session.scalars(stmt))


ENGINES = ("local", "scrapyd")


@dataclass(frozen=True)
class CrawlRequest:
    """What to crawl: sources and an optional physician, practice or single URL."""

    sources: tuple[str, ...]
    physician: str | None = None
    practice: str | None = None
    url: str | None = None
    full: bool = False
    now: datetime | None = None  # replay / sandbox clock; None is the real clock
    settings: tuple[tuple[str, str], ...] = ()  # extra Scrapy settings, e.g. sandbox endpoints


class Engine(Protocol):
    """Starts crawls and reports those that ended, with why if they ended badly."""

    slots: int | None  # crawls at once; None leaves it to the engine's own queue
    interval: float  # seconds between polls
    timed_out: set[int]  # runs it stopped for running past the timeout

    def start(
        self, source: str, run_id: int, settings: dict[str, str], args: dict[str, str]
    ) -> str:
        """Start one crawl; returns the engine's job id ('' when it has none)."""
        ...

    def poll(self, timeout: float) -> list[tuple[int, list[str]]]:
        """(run id, errors) of crawls that ended; crawls over `timeout` seconds are stopped."""
        ...

    def stop(self, grace: float, signalled: bool = False) -> None:
        """Ask every crawl still running to close its run, and end those that do not in time.

        `signalled`: a Ctrl-C already reached our process group, local crawl processes too.
        """
        ...


def sources_to_crawl(db: Database, request: CrawlRequest) -> list[str]:
    """The sources with something to crawl: of those named (every one if none is), a review
    source with profiles, a social source when there are physicians; a --url is always crawled.
    """
    if request.url:
        return list(request.sources)
    who = (request.physician, request.practice)
    with db.session() as session:
        wanted = [
            s
            for s in request.sources or REVIEW_SOURCES
            if s in REVIEW_SOURCES and targets(session, s, *who)
        ]
        social = [s for s in request.sources if s in MENTION_SOURCES]
        if social and not social_targets(session, *who):
            social = []
    if not request.sources:  # social sources only beside a roster with profiles
        return wanted + list(MENTION_SOURCES) if wanted else []
    return [s for s in request.sources if s in wanted + social]


def crawl_arguments(run_id: int, request: CrawlRequest) -> tuple[dict[str, str], dict[str, str]]:
    """(Scrapy settings, spider arguments) of one run, the same on every engine."""
    settings = {"REPMON_STORE": "1", "REPMON_RUN_ID": str(run_id), "LOG_LEVEL": "INFO"}
    if request.now is not None:
        settings["REPMON_NOW"] = request.now.isoformat()
    settings.update(request.settings)
    args = {k: "1" if v is True else str(v) for k, v in _spider_args(request).items()}
    return settings, args


def _spider_args(request: CrawlRequest) -> dict[str, str | bool]:
    args = {
        "url": request.url,
        "physician": request.physician,
        "practice": request.practice,
        "full": request.full,
    }
    return {k: v for k, v in args.items() if v}


class LocalEngine:
    """Each crawl a `python -m scrapy crawl` process on this machine, `slots` at once."""

    interval = 0.3

    def __init__(self, settings: Settings, slots: int) -> None:
        self.slots: int | None = max(1, slots)
        self.logs = settings.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "SCRAPY_SETTINGS_MODULE": "spiders.settings",
            "REPMON_DATABASE_URL": settings.database_url,
            # The crawl runs in the project folder: it must read the same settings file.
            **({"REPMON_CONFIG": str(settings.config_file)} if settings.config_file else {}),
        }
        self.running: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
        self.timed_out: set[int] = set()

    def command(
        self, source: str, run_id: int, settings: dict[str, str], args: dict[str, str]
    ) -> list[str]:
        """`scrapy crawl SOURCE` logging to <data_dir>/logs/crawl-ID-SOURCE.log."""
        log = self.logs / f"crawl-{run_id}-{source}.log"
        cmd = [sys.executable, "-m", "scrapy", "crawl", source, "-s", f"LOG_FILE={log}"]
        cmd += [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]
        return cmd + [a for k, v in args.items() for a in ("-a", f"{k}={v}")]

    def start(
        self, source: str, run_id: int, settings: dict[str, str], args: dict[str, str]
    ) -> str:
        """Start the crawl process (in our process group: whatever kills us kills it)."""
        proc = subprocess.Popen(
            self.command(source, run_id, settings, args),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.running[run_id] = (proc, time.monotonic())
        return ""

    def stop(self, grace: float, signalled: bool = False) -> None:
        """SIGTERM every crawl (Scrapy closes its run), SIGKILL those still there after `grace`.

        After a Ctrl-C the crawls got SIGINT with us: a second signal would make Scrapy skip
        closing its run, so they are only waited for.
        """
        procs = [proc for proc, _ in self.running.values()]
        for proc in procs if not signalled else ():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def poll(self, timeout: float) -> list[tuple[int, list[str]]]:
        """Processes that exited (killed past `timeout`), with their exit code and stderr tail."""
        ended = []
        for run_id, (proc, started) in list(self.running.items()):
            code = proc.poll()
            if code is None and time.monotonic() - started > timeout:
                proc.kill()
                code = proc.wait()
                self.timed_out.add(run_id)
            if code is not None:
                stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                del self.running[run_id]
                tail = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
                ended.append((run_id, [f"crawl process exited with code {code}", *tail]))
        return ended


def make_engine(settings: Settings, name: str | None, jobs: int) -> Engine:
    """The engine named, else Scrapyd when scrapyd.urls is set, else local processes."""
    found = nodes(settings)
    name = name or ("scrapyd" if found else "local")
    if name == "local":
        return LocalEngine(settings, jobs)
    if not found:
        raise ConfigError(
            f"the scrapyd engine needs servers: set scrapyd.urls ({env_name('scrapyd.urls')}), "
            "e.g. http://crawler1:6800,http://crawler2:6800"
        )
    return ScrapydEngine(found, str(settings["scrapyd.project"]))


def run_crawls(
    db: Database,
    settings: Settings,
    request: CrawlRequest,
    now: datetime,
    jobs: int = 2,
    on_progress: Callable[[dict[str, CrawlRun]], None] | None = None,
    timeout: float | None = None,
    engine: str | None = None,
    stop: threading.Event | None = None,
) -> list[CrawlRun]:
    """Run one crawl per source on the engine (local: `jobs` at once); return the runs.

    A crawl is stopped after `timeout` seconds (default: the crawl.max_hours setting). When
    `stop` is set, or on Ctrl-C, running crawls are stopped and no run is left `running`.
    """
    if timeout is None:
        timeout = float(settings["crawl.max_hours"]) * 3600
    began, start = time.monotonic(), request.now or now

    def clock() -> datetime:
        """The crawl's clock: `now` (or the replay clock) moved on by the time spent here."""
        return start + timedelta(seconds=time.monotonic() - began)

    settle_dead_runs(db, settings, now)
    sources = sources_to_crawl(db, request)
    if not sources:
        return []
    crawler = make_engine(settings, engine, jobs)  # a node that is down fails before any run
    # A source lacking its API key is recorded failed at once, saying which setting to set
    # (crawl health shows it); named sources then stop before anything starts, the others
    # crawl. (Scrapyd servers read keys from their own environment: not checked here.)
    local = isinstance(crawler, LocalEngine)
    overrides = dict(request.settings)
    url = request.url or ""
    missing = {s: p for s in sources if local and (p := preflight(s, settings, overrides, url))}
    refuse = bool(missing and request.sources)
    if refuse:
        sources = list(missing)
    queue: list[tuple[str, int]] = []
    ids: list[int] = []
    for source in sources:
        with db.transaction() as session:
            run = start_run(session, source, source, _spider_args(request), start)
            # ours until the crawl process records itself: if we die first, a sweep sees it
            record_process(run, socket.gethostname(), os.getpid())
            ids.append(run.id)
        if source in missing:
            _settle(db, ids[-1], [missing[source]], clock())
        else:
            queue.append((source, ids[-1]))
    if refuse:
        raise ConfigError("; ".join(missing.values()))
    running: set[int] = set()
    ctrl_c = False
    try:
        while (queue or running) and not (stop is not None and stop.is_set()):
            while queue and (crawler.slots is None or len(running) < crawler.slots):
                source, run_id = queue.pop(0)
                try:
                    job = crawler.start(source, run_id, *crawl_arguments(run_id, request))
                except RepmonError as exc:
                    _settle(db, run_id, [str(exc)], clock())
                    continue
                running.add(run_id)
                if job:
                    with db.transaction() as session:
                        session.get_one(CrawlRun, run_id).external_job = job[:200]
            if stop is not None:
                stop.wait(crawler.interval)
            else:
                time.sleep(crawler.interval)
            for run_id, errors in crawler.poll(timeout):
                running.discard(run_id)
                if run_id in crawler.timed_out:  # its note says so, over what it wrote itself
                    _settle(db, run_id, [timed_out_note(timeout), *errors], clock(), force=True)
                else:
                    _settle(db, run_id, errors, clock())
            if on_progress:
                on_progress(_runs(db, ids))
    except KeyboardInterrupt:
        ctrl_c = True
        raise
    finally:
        if running:
            crawler.stop(STOP_GRACE, signalled=ctrl_c)
        for run_id in [*running, *(run_id for _, run_id in queue)]:
            _settle(db, run_id, [INTERRUPTED], clock())
    return list(_runs(db, ids).values())


def _runs(db: Database, ids: Sequence[int]) -> dict[str, CrawlRun]:
    with db.session() as session:
        rows = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(ids))).all()
        return {f"{r.source}#{r.id}": r for r in rows}


def timed_out_note(timeout: float) -> str:
    """Why a crawl stopped for running past `timeout` seconds (crawl.max_hours) failed."""
    hours = f"{timeout / 3600:g} h"
    return f"stopped: ran longer than crawl.max_hours ({hours}); raise it for large rosters"


def _settle(
    db: Database, run_id: int, errors: list[str], now: datetime, force: bool = False
) -> None:
    """A crawl that ended before its pipeline finished the run leaves it failed at `now`,
    saying why; `force`: also one that closed itself when it was stopped (its own note, such
    as "interrupted", is not the reason)."""
    with db.transaction() as session:
        run = session.get(CrawlRun, run_id)
        if run is None or (run.status != "running" and not force):
            return
        run.status = "failed"
        run.errors = errors
        run.finished_at = now
