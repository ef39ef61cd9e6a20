"""Retry-After pauses the whole site (the download slot), not one request; past the cap: blocked.

A local server answers the first profile with 429 and Retry-After, and records when every
request arrives: during the pause none may, although three other profiles are queued.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reputation.crawls.runs import RETRY_AFTER_EXCEEDED, CrawlCounts, decide_status
from spiders.middlewares import retry_after
from spiders.sandbox.http import Reply, Request, serve_app
from tests.crawling import only_run, scrapy_crawl

PAGE = b"<html><body><h1>Dr. Nobody</h1><p>No reviews yet.</p></body></html>"


class CountingSite:
    """Profiles /p/1../p/N; the first request of /p/1 gets 429 with a Retry-After."""

    def __init__(self, retry_after: str) -> None:
        self.retry_after = retry_after
        self.hits: list[tuple[float, str]] = []
        self.refused_at: float | None = None
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        if request.path == "/robots.txt":
            return Reply(404, b"")
        with self.lock:
            self.hits.append((time.monotonic(), request.path))
            if request.path == "/p/1" and self.refused_at is None:
                self.refused_at = time.monotonic()
                return Reply(429, b"slow down", headers={"Retry-After": self.retry_after})
        return Reply(200, PAGE)


def _crawl(
    tmp_path: Path, site: CountingSite, settings: dict[str, str], env: dict[str, str] | None = None
) -> list[dict[str, object]]:
    with serve_app(site, "127.0.0.1", 0) as base:
        listing = tmp_path / "targets.txt"
        listing.write_text("".join(f"{base}/p/{n}\n" for n in range(1, 5)))
        return scrapy_crawl(
            "ratemds",
            tmp_path / "o.jsonl",
            settings={
                "REPMON_TARGETS": "spiders.base.targets_from_file",
                "REPMON_TARGETS_FILE": str(listing),
                "RETRY_TIMES": "2",
                # A polite crawl always has a delay (Scrapy sends a slot's queue in one burst
                # without one, whatever its concurrency).
                "DOWNLOAD_DELAY": "0.2",
                **settings,
            },
            env=env,
        )


@pytest.mark.slow
def test_retry_after_pauses_every_request_to_the_site(tmp_path: Path) -> None:
    site = CountingSite("4")
    items = _crawl(tmp_path, site, {})
    assert site.refused_at is not None
    during = [path for at, path in site.hits if site.refused_at < at < site.refused_at + 3.9]
    assert during == [], f"requests during the 4 s pause: {during}"
    after = sorted(path for at, path in site.hits if at > site.refused_at)
    assert after == ["/p/1", "/p/2", "/p/3", "/p/4"]  # the retry, then the queued profiles
    pages = [i for i in items if i["kind"] == "page"]
    assert len(pages) == 4 and not [p for p in pages if p["status"] == "blocked"]


@pytest.mark.slow
def test_a_retry_after_above_the_cap_stops_the_crawl_as_blocked(tmp_path: Path) -> None:
    site = CountingSite("30")
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    items = _crawl(
        tmp_path,
        site,
        {"REPMON_STORE": "1"},
        env={"REPMON_DATABASE_URL": db_url, "REPMON_CRAWL_RETRY_AFTER_MAX": "10"},
    )
    assert [p for _, p in site.hits] == ["/p/1"]  # no retry, no other profile
    assert [(i["kind"], i["status"]) for i in items] == [("page", "blocked")] * 4
    problems = " ".join(str(i["problems"]) for i in items)
    assert "HTTP 429 asks to wait 30 s (Retry-After), more than" in problems
    assert "crawl.retry_after_max (10 s)" in problems
    assert only_run(db_url) == (
        "blocked",
        "stopped: the site asked to wait longer than crawl.retry_after_max",
    )


@pytest.mark.slow
def test_a_crawl_cut_short_during_a_pause_is_recorded_with_its_reason(tmp_path: Path) -> None:
    # Scrapy records finish_reason after pipelines close: the run must still learn it.
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    _crawl(
        tmp_path,
        CountingSite("4"),
        {"REPMON_STORE": "1", "CLOSESPIDER_TIMEOUT": "1"},
        env={"REPMON_DATABASE_URL": db_url},
    )
    assert only_run(db_url) == ("failed", "crawl ended: closespider_timeout")


def test_retry_after_values_and_the_blocked_status() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert retry_after("8", now) == 8.0
    assert retry_after("Mon, 23 Nov 2026 13:00:00 GMT", now) == 3600.0
    assert retry_after("soon", now) is None and retry_after(None, now) is None
    counts = CrawlCounts(4, 3, 0, 0, 0, 0, 0, RETRY_AFTER_EXCEEDED)
    assert decide_status(counts)[0] == "blocked"
