"""Retry-After and exponential backoff in front of Scrapy's RetryMiddleware, per site.

A 429 or 503 asks the whole site to slow down, not one request: the wait pauses the
request's download slot (the domain), so no request of that slot leaves until it is over.
A site asking for longer than REPMON_RETRY_AFTER_MAX (crawl.retry_after_max) stops the crawl,
which is then recorded `blocked`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from reputation.crawls.runs import RETRY_AFTER_EXCEEDED

__all__ = [
    "RETRY_AFTER_CODES",
    "RetryAfterMiddleware",
    "SiteRefused",
    "retry_after",
    "retry_delay",
]

RETRY_AFTER_CODES = frozenset({429, 503})
# A slot with no delay never checks when it may send again: give it a negligible one.
MIN_DELAY = 0.001


class SiteRefused(IgnoreRequest):
    """A request not sent because its site asked for a pause longer than the cap."""


def retry_after(header: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header (seconds or an HTTP date) asks for; None if absent or bad."""
    text = (header or "").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def retry_delay(
    header: str | None, attempt: int, now: datetime, base: float = 2.0, cap: float = 120.0
) -> float:
    """Seconds to wait before retry `attempt + 1` without a usable Retry-After: backoff.

    With one, the Retry-After (the caller caps it, and stops beyond its cap).
    """
    asked = retry_after(header, now)
    if asked is not None:
        return asked
    return min(base * float(2**attempt), cap)


class RetryAfterMiddleware:
    """Pauses a site's download slot before RetryMiddleware re-sends a refused request."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.codes = {int(c) for c in settings.getlist("RETRY_HTTP_CODES")}
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.pause_cap = settings.getfloat("REPMON_RETRY_AFTER_MAX", 3600.0)
        self.stopping = False
        # The signal fires before the slot picks its next request, so the pause holds it.
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the crawler's settings."""
        return cls(crawler)

    def _header(self, response: Response) -> str | None:
        raw = response.headers.get("Retry-After")
        return raw.decode("latin-1") if raw else None

    def _wait(self, request: Request, response: Response, now: datetime) -> float | None:
        """How long the site must rest (even when this request is not retried again)."""
        if response.status not in self.codes:
            return None
        header = self._header(response) if response.status in RETRY_AFTER_CODES else None
        attempt = int(request.meta.get("retry_times", 0))
        return retry_delay(header, attempt, now, self.base, self.cap)

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Pause the request's slot (its site) for the Retry-After or backoff.

        Past the cap, the requests queued for the site are dropped as refused instead.
        """
        wait = self._wait(request, response, datetime.now(UTC))
        if wait is None:
            return
        key = request.meta.get("download_slot")
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None and key else None
        if slot is None:
            return
        if wait > self.pause_cap:
            queued = list(slot.queue)
            slot.queue.clear()
            for _, deferred in queued:
                deferred.errback(SiteRefused(self._refusal(response.status, wait)))
            return
        # The slot sends next at lastseen + delay: nothing leaves before the wait is over.
        slot.delay = max(slot.delay, MIN_DELAY)
        slot.lastseen = max(slot.lastseen, time.monotonic() + wait)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("repmon/retry_wait_ms", round(wait * 1000))

    def _refusal(self, status: int, wait: float) -> str:
        return (
            f"HTTP {status} asks to wait {wait:.0f} s (Retry-After), more than "
            f"crawl.retry_after_max ({self.pause_cap:.0f} s)"
        )

    def process_request(self, request: Request) -> None:
        """Once a site asked for too long a pause, nothing more is sent."""
        if self.stopping:
            raise SiteRefused("the crawl is stopping: a site asked for too long a pause")

    def process_response(self, request: Request, response: Response) -> Response:
        """Past the cap: no retry, the page is refused, and the crawl stops (blocked)."""
        wait = self._wait(request, response, datetime.now(UTC))
        if wait is None or wait <= self.pause_cap:
            return response
        request.meta["dont_retry"] = True
        request.meta["retry_after_exceeded"] = self._refusal(response.status, wait)
        if not self.stopping and self.crawler.engine is not None:
            self.stopping = True
            # The storing pipeline reads this: the close reason alone does not say "blocked".
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("repmon/stopped", RETRY_AFTER_EXCEEDED)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=RETRY_AFTER_EXCEEDED))
        return response
