"""Retry-After and exponential backoff in front of Scrapy's RetryMiddleware."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

__all__ = ["RetryAfterMiddleware", "retry_delay"]


def retry_delay(
    header: str | None, attempt: int, now: datetime, base: float = 2.0, cap: float = 120.0
) -> float:
    """Seconds to wait before retry number `attempt + 1`: Retry-After if given, else backoff."""
    if header:
        text = header.strip()
        if text.isdigit():
            return min(float(text), cap)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds: float = (when - now).total_seconds()
            return min(max(seconds, 0.0), cap)
    return min(base * float(2**attempt), cap)


class RetryAfterMiddleware:
    """Waits before a retryable response reaches RetryMiddleware, which then re-sends it."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.codes = {int(c) for c in settings.getlist("RETRY_HTTP_CODES")}
        self.max_retries = settings.getint("RETRY_TIMES")
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the crawler's settings."""
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        """Sleep for Retry-After (or backoff) when RetryMiddleware is going to retry."""
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        attempt = int(request.meta.get("retry_times", 0))
        if attempt >= int(request.meta.get("max_retry_times", self.max_retries)):
            return response
        raw = response.headers.get("Retry-After")
        header = raw.decode("latin-1") if raw else None
        delay = retry_delay(header, attempt, datetime.now(UTC), self.base, self.cap)
        if self.stats is not None:
            self.stats.inc_value("repmon/retry_wait_ms", round(delay * 1000))
        await asyncio.sleep(delay)
        return response
