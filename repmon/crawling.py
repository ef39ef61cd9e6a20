"""Running spiders in fresh processes (the Twisted reactor cannot restart), by CrawlRun id."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from reputation.crawls import interrupt_stale_runs, start_run, targets
from reputation.db import Database
from reputation.models import CrawlRun
from reputation.reviews import MENTION_SOURCES, REVIEW_SOURCES
from reputation.settings import Settings

__all__ = ["CrawlRequest", "run_crawls", "sources_to_crawl"]

ROOT = Path(__file__).resolve().parents[1]
STALE_AFTER = timedelta(hours=6)


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


def sources_to_crawl(db: Database, request: CrawlRequest) -> list[str]:
    """The named sources, or every review source with profiles plus the social sources."""
    if request.sources:
        return list(request.sources)
    with db.session() as session:
        wanted = [
            s for s in REVIEW_SOURCES if targets(session, s, request.physician, request.practice)
        ]
    return wanted + list(MENTION_SOURCES) if wanted else []


def _command(source: str, run_id: int, request: CrawlRequest, log: Path) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        source,
        "-s",
        "REPMON_STORE=1",
        "-s",
        f"REPMON_RUN_ID={run_id}",
        "-s",
        f"LOG_FILE={log}",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    for name, value in (
        ("url", request.url),
        ("physician", request.physician),
        ("practice", request.practice),
    ):
        if value:
            cmd += ["-a", f"{name}={value}"]
    if request.full:
        cmd += ["-a", "full=1"]
    if request.now is not None:
        cmd += ["-s", f"REPMON_NOW={request.now.isoformat()}"]
    for name, value in request.settings:
        cmd += ["-s", f"{name}={value}"]
    return cmd


def run_crawls(
    db: Database,
    settings: Settings,
    request: CrawlRequest,
    now: datetime,
    jobs: int = 2,
    on_progress: Callable[[dict[str, CrawlRun]], None] | None = None,
    timeout: float = 3600.0,
) -> list[CrawlRun]:
    """Run one process per source (at most `jobs` at once) and return their finished runs."""
    with db.transaction() as session:
        interrupt_stale_runs(session, now, STALE_AFTER)
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "spiders.settings",
        "REPMON_DATABASE_URL": settings.database_url,
    }
    pending: list[tuple[str, int]] = []
    for source in sources_to_crawl(db, request):
        with db.transaction() as session:
            args = {
                "url": request.url,
                "physician": request.physician,
                "practice": request.practice,
                "full": request.full,
            }
            run = start_run(
                session, source, source, {k: v for k, v in args.items() if v}, request.now or now
            )
            pending.append((source, run.id))
    running: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
    ids = [run_id for _, run_id in pending]
    queue = list(pending)
    while queue or running:
        while queue and len(running) < max(1, jobs):
            source, run_id = queue.pop(0)
            log = logs / f"crawl-{run_id}-{source}.log"
            proc = subprocess.Popen(
                _command(source, run_id, request, log),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            running[run_id] = (proc, time.monotonic())
        time.sleep(0.3)
        for run_id, (proc, started) in list(running.items()):
            code = proc.poll()
            if code is None and time.monotonic() - started > timeout:
                proc.kill()
                code = proc.wait()
            if code is not None:
                stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                del running[run_id]
                _settle(db, run_id, code, stderr)
        if on_progress:
            on_progress(_runs(db, ids))
    return list(_runs(db, ids).values())


def _runs(db: Database, ids: Sequence[int]) -> dict[str, CrawlRun]:
    with db.session() as session:
        rows = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(ids))).all()
        return {f"{r.source}#{r.id}": r for r in rows}


def _settle(db: Database, run_id: int, code: int, stderr: str) -> None:
    """A process that died before its pipeline finished the run leaves it failed, saying why."""
    with db.transaction() as session:
        run = session.get(CrawlRun, run_id)
        if run is None or run.status != "running":
            return
        run.status = "failed"
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        run.errors = [f"crawl process exited with code {code}", *tail]
        run.finished_at = run.started_at
