"""Crawl runs: what to crawl, and how healthy a finished crawl was."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from reputation.storage.models import CrawlRun, Physician, Profile
from reputation.storage.queries import find_physician, find_practice
from reputation.wording import plural

__all__ = [
    "INTERRUPTED",
    "RETRY_AFTER_EXCEEDED",
    "CrawlCounts",
    "CrawlTarget",
    "decide_status",
    "decides_health",
    "finish_run",
    "interrupt_stale_runs",
    "one_off",
    "process_alive",
    "record_process",
    "routine",
    "social_targets",
    "start_run",
    "targets",
]


# Finish reason of a crawl stopped because a site asked to wait longer than
# crawl.retry_after_max: the run is blocked.
RETRY_AFTER_EXCEEDED = "retry_after_exceeded"
# Why a run ends failed when repmon is stopped mid-crawl: said alike by a crawl process that
# closes its run on the signal (Scrapy's finish reason "shutdown") and by repmon for the
# crawls it stops or never started.
INTERRUPTED = "interrupted: repmon was stopped (Ctrl-C, SIGTERM or a lost lease) mid-crawl"


@dataclass(frozen=True)
class CrawlTarget:
    """One profile to crawl."""

    profile_id: int | None
    physician_id: int
    npi: str
    url: str
    name: str
    aliases: tuple[str, ...]
    practice_id: int | None


@dataclass(frozen=True)
class CrawlCounts:
    """What a finished crawl saw, for deciding its status."""

    pages: int
    items: int
    blocked_pages: int
    broken_pages: int
    failed_pages: int
    expected_reviews: int
    errors: int
    finish_reason: str
    # Profiles whose first page was read but a later one could not be (counted in `pages`).
    cut_profiles: int = 0
    cut_found: int = 0  # reviews read of those profiles
    cut_expected: int = 0  # reviews their first pages announce
    unreachable: tuple[str, ...] = ()  # hosts given up: connections refused, names unresolved


def one_off(args: Mapping[str, Any]) -> bool:
    """Whether a run crawled one URL given by hand (`--url`): shown, but no sign of health."""
    return bool(args.get("url"))


def routine() -> ColumnElement[bool]:
    """SQL condition: runs that decide a source's crawl health, every run but `--url` ones.

    A test crawl of a URL typed on the command line says nothing about the roster's profiles.
    """
    return func.coalesce(CrawlRun.args["url"].as_string(), "") == ""


def decides_health() -> ColumnElement[bool]:
    """SQL condition: runs that say how a source stands: routine runs, but not those repmon
    itself stopped (a daemon restarted, a Ctrl-C): the site did nothing wrong in those. The
    daemon still sees them (`routine`) and crawls such a source again first."""
    return routine() & (func.coalesce(CrawlRun.errors[0].as_string(), "") != INTERRUPTED)


def targets(
    session: Session, source: str, npi: str | None = None, practice: str | None = None
) -> list[CrawlTarget]:
    """The profiles of one source, optionally of one physician or practice."""
    stmt = select(Profile, Physician).join(Physician).where(Profile.source == source)
    if npi:
        stmt = stmt.where(Physician.id == find_physician(session, npi).id)
    if practice:
        stmt = stmt.where(Physician.practice_id == find_practice(session, practice).id)
    return [
        CrawlTarget(
            profile.id,
            physician.id,
            physician.npi,
            profile.url,
            physician.name,
            tuple(physician.aliases),
            physician.practice_id,
        )
        for profile, physician in session.execute(stmt.order_by(Profile.id))
    ]


def social_targets(
    session: Session, npi: str | None = None, practice: str | None = None
) -> list[CrawlTarget]:
    """Every physician (or one, or a practice's) as a search target for social sources."""
    stmt = select(Physician).order_by(Physician.id)
    if npi:
        stmt = stmt.where(Physician.id == find_physician(session, npi).id)
    if practice:
        stmt = stmt.where(Physician.practice_id == find_practice(session, practice).id)
    return [
        CrawlTarget(None, p.id, p.npi, "", p.name, tuple(p.aliases), p.practice_id)
        for p in session.scalars(stmt)
    ]


def decide_status(c: CrawlCounts) -> tuple[str, str]:
    """(status, reason): blocked, broken, failed, partial or ok; never "no reviews" for a refusal.

    `partial`: every profile's first page was read, but some later pages were not.
    """
    if c.finish_reason == RETRY_AFTER_EXCEEDED:
        return "blocked", "stopped: the site asked to wait longer than crawl.retry_after_max"
    if c.blocked_pages and c.blocked_pages >= c.pages - c.failed_pages:
        return "blocked", f"{plural(c.blocked_pages, 'page')} refused (403/429 or a challenge page)"
    if c.finish_reason == "shutdown":
        return "failed", INTERRUPTED
    if c.finish_reason not in ("finished", "closespider_itemcount", "closespider_pagecount"):
        return "failed", f"crawl ended: {c.finish_reason}"
    if c.unreachable and (c.pages == 0 or c.failed_pages * 4 >= c.pages):
        return "failed", (
            f"host unreachable: {', '.join(c.unreachable)} (connection refused or name not "
            f"resolved); {c.failed_pages} of {plural(c.pages, 'page')} not fetched"
        )
    if c.pages == 0:
        return "failed", "no page could be fetched"
    if c.failed_pages and c.failed_pages * 4 >= c.pages:
        # A quarter of the pages lost is not "ok, partly": a person should look.
        return "failed", f"{c.failed_pages} of {plural(c.pages, 'page')} failed"
    if c.broken_pages and c.items == 0 and not c.expected_reviews:
        return "broken", (
            f"no reviews found: {plural(c.broken_pages, 'page')} could not be read as "
            "this source's review pages"
        )
    if c.broken_pages and c.items == 0:
        return "broken", (
            f"pages say there are {plural(c.expected_reviews, 'review')} but none could be parsed"
        )
    if c.cut_profiles:
        return "partial", (
            f"later pages of {plural(c.cut_profiles, 'profile')} could not be fetched: "
            f"{c.cut_found} of {c.cut_expected} reviews"
        )
    problems = []
    if c.blocked_pages:
        problems.append(f"{plural(c.blocked_pages, 'page')} refused")
    if c.broken_pages:
        problems.append(f"{plural(c.broken_pages, 'page')} without the reviews they announce")
    if c.failed_pages or c.errors:
        problems.append(plural(c.failed_pages + c.errors, "error"))
    return "ok", ("partly: " + ", ".join(problems)) if problems else ""


def start_run(
    session: Session, source: str, spider: str, args: Mapping[str, Any], now: datetime
) -> CrawlRun:
    """Record a crawl as running."""
    run = CrawlRun(source=source, spider=spider, args=dict(args), started_at=now, status="running")
    session.add(run)
    session.flush()
    return run


def finish_run(run: CrawlRun, counts: CrawlCounts, now: datetime, errors: list[str]) -> None:
    """Record how a crawl ended: status, reason and counts."""
    status, reason = decide_status(counts)
    run.status = status
    run.finished_at = now
    run.pages = counts.pages
    run.items = counts.items
    run.errors = [*([reason] if reason else []), *errors[:50]]


def record_process(run: CrawlRun, host: str, pid: int) -> None:
    """Note which process runs the crawl, so a sweep can tell when it is gone."""
    run.args = {**run.args, "process": {"host": host, "pid": pid}}


def process_alive(host: str, pid: int) -> bool | None:
    """Whether process `pid` on `host` still runs; None when it is on another machine."""
    if host != socket.gethostname():
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"  # a zombie has ended
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def interrupt_stale_runs(
    session: Session,
    now: datetime,
    older_than: timedelta,
    alive: Callable[[str, int], bool | None] = process_alive,
) -> int:
    """Mark runs still `running` whose process has ended, or that started long ago, as failed.

    A crawl killed with its orchestrator (SIGKILL, OOM, a reboot) settles nothing itself;
    on this machine its recorded process id shows it is gone, elsewhere only its age.
    """
    interrupted = 0
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
        process = run.args.get("process")
        state = alive(str(process["host"]), int(process["pid"])) if process else None
        if state is False or run.started_at < now - older_than:
            run.status = "failed"
            run.finished_at = now
            run.errors = [*run.errors, "interrupted: the crawl process ended without finishing"]
            interrupted += 1
    return interrupted
