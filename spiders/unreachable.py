"""A host that refuses connections or cannot be resolved is given up, not retried request by
request.

Scrapy retries each request on its own: a crawl of 48 searches against a host that is down
spent minutes on retries before saying so. After REPMON_UNREACHABLE_AFTER consecutive
refusals or failed lookups of one host (host and port), its queued and later requests are
dropped as failed pages, and the host is named in the crawl's stats for the run's reason.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Response
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError

__all__ = ["UNREACHABLE_STAT", "HostUnreachable", "UnreachableHostMiddleware"]

# Crawl stat listing the hosts given up ("host:port"), read by the storing pipeline.
UNREACHABLE_STAT = "repmon/unreachable_hosts"
_UNREACHABLE = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
)


class HostUnreachable(IgnoreRequest):
    """A request not sent because its host refused or could not be resolved again and again."""


def _host(request: Request) -> str:
    return urlsplit(request.url).netloc.lower()


class UnreachableHostMiddleware:
    """Counts consecutive connection refusals and failed lookups per host; gives up at N."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.after = max(1, crawler.settings.getint("REPMON_UNREACHABLE_AFTER", 3))
        self.failures: dict[str, int] = {}
        self.given_up: dict[str, str] = {}  # host -> the last error

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the crawler's settings."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Nothing more is sent to a host given up."""
        host = _host(request)
        if host in self.given_up:
            raise HostUnreachable(f"host unreachable: {host} ({self.given_up[host]})")

    def process_response(self, request: Request, response: Response) -> Response:
        """Any answer shows the host is there."""
        self.failures.pop(_host(request), None)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Count a refusal or failed lookup; at N, no retry and the host's queue is dropped."""
        if not isinstance(exception, _UNREACHABLE):
            return
        host = _host(request)
        self.failures[host] = self.failures.get(host, 0) + 1
        if self.failures[host] < self.after and host not in self.given_up:
            return
        request.meta["dont_retry"] = True  # the error reaches the spider as a failed page
        if host in self.given_up:
            return
        self.given_up[host] = type(exception).__name__
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(UNREACHABLE_STAT, sorted(self.given_up))
        engine, key = self.crawler.engine, request.meta.get("download_slot")
        slot = engine.downloader.slots.get(key) if engine is not None and key else None
        if slot is not None:
            queued = list(slot.queue)
            slot.queue.clear()
            problem = f"host unreachable: {host} ({self.given_up[host]})"
            for _, deferred in queued:
                deferred.errback(HostUnreachable(problem))
