"""Crawl health per source, in words: "Yelp: blocked since Tuesday", "Google: no crawl yet"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reputation.isoweek import zone
from reputation.wording import day_label

__all__ = ["COVERAGE", "CrawlFact", "CrawlHealth", "duration", "source_health", "source_label"]

SOURCE_LABELS = {
    "google": "Google",
    "yelp": "Yelp",
    "ratemds": "RateMDs",
    "healthgrades": "Healthgrades",
    "vitals": "Vitals",
    "zocdoc": "Zocdoc",
    "reddit": "Reddit",
    "x": "X",
    "schemaorg": "schema.org pages",
}


# What each source's spider reads on the real site, and what it cannot: shown by
# `repmon crawls` and, word for word, in the README (a test compares them).
COVERAGE = {
    "ratemds": "every page of a profile; page 1 checked on 60 real profile pages, later "
    "pages (`?json=true&page=N`) only on their documented shape",
    "healthgrades": "first page only: the reviews in the page's `pageState.pes` (checked on "
    "a real page state); later pages come from a comments endpoint whose real shape is not "
    "public (the sandbox invents one), so a profile with more reviews is crawled `partial`, "
    "N of M reviews",
    "google": "at most 5 reviews a place (the API's limit); both APIs checked on real responses",
    "yelp": "at most 3 review excerpts a business (the Fusion API's limit); checked on the "
    "documented shape and a real review feed",
    "schemaorg": "pages with schema.org `Review` markup (JSON-LD or microdata); no real "
    "Vitals, WebMD or Zocdoc page was available to check, so none of them is claimed",
    "reddit": "search results for each physician's names; checked on a real listing",
    "x": "recent search, the last 7 days (the API's limit); checked on a real response",
}


def source_label(source: str) -> str:
    """How a source is named to people: ratemds -> RateMDs."""
    return SOURCE_LABELS.get(source, source.replace("_", " ").title())


@dataclass(frozen=True)
class CrawlFact:
    """One crawl run of a source."""

    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class CrawlHealth:
    """How one source's crawling stands: level ok, warn or bad, and a sentence."""

    source: str
    level: str
    text: str


def duration(hours: float) -> str:
    """A duration for people: "40 min", "5 h", "3.5 days"."""
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 48:
        return f"{round(hours)} h"
    return f"{hours / 24:.1f} days"


def _ago(now: datetime, then: datetime) -> str:
    """How long ago: "3 h ago", "4.0 days ago"."""
    return f"{duration(max((now - then).total_seconds(), 60) / 3600)} ago"


def _since(now: datetime, then: datetime, tz: str) -> str:
    """A point in time as a person says it: "today 09:40", "Tuesday" this week, else the date."""
    local, today = then.astimezone(zone(tz)), now.astimezone(zone(tz)).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    return local.strftime("%A") if (today - local.date()).days < 7 else day_label(local, year=False)


def source_health(
    runs: Iterable[CrawlFact], sources: Iterable[str], now: datetime, tz: str
) -> tuple[CrawlHealth, ...]:
    """One line per source (expected or crawled): ok, blocked since when, or no crawl yet."""
    by_source: dict[str, list[CrawlFact]] = {}
    for run in runs:
        by_source.setdefault(run.source, []).append(run)
    health = []
    for source in sorted(set(sources) | set(by_source), key=source_label):
        label = source_label(source)
        runs = sorted(by_source.get(source, []), key=lambda r: r.started_at)
        if not runs:
            health.append(CrawlHealth(label, "warn", f"{label}: no crawl yet"))
            continue
        last = runs[-1]
        done = [r for r in runs if r.status != "running"]
        latest = done[-1] if done else last
        if latest.status in ("ok", "partial"):
            when = latest.finished_at or latest.started_at
            stale = now - when > timedelta(days=2)
            if latest.status == "partial":  # read, but not all of it: say how much
                text = f"{label}: partial ({latest.reason}), last crawl {_ago(now, when)}"
            else:
                text = f"{label}: ok, last crawl {_ago(now, when)}"
            ok = latest.status == "ok" and not stale
            health.append(CrawlHealth(label, "ok" if ok else "warn", text))
            continue
        if latest.status == "running":
            since = _since(now, last.started_at, tz)
            health.append(CrawlHealth(label, "warn", f"{label}: first crawl running since {since}"))
            continue
        streak = latest
        for run in reversed(done):
            if run.status in ("ok", "partial"):
                break
            streak = run
        why = latest.reason or streak.reason
        reason = f" ({why})" if why else ""
        since = _since(now, streak.started_at, tz)
        health.append(CrawlHealth(label, "bad", f"{label}: {latest.status} since {since}{reason}"))
    return tuple(health)
