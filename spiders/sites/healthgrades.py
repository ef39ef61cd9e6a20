"""Healthgrades profiles: `pageState.pes` on the page, later pages from the comments endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import scrapy
from scrapy.http import Response

from spiders.base import BaseSpider, Item, Target, page_text
from spiders.parsers import (
    ParseResult,
    comments_url,
    parse_healthgrades,
    parse_healthgrades_comments,
)

__all__ = ["HealthgradesSpider"]


class HealthgradesSpider(BaseSpider):
    """`scrapy crawl healthgrades -a url=https://www.healthgrades.com/physician/dr-...`"""

    name = "healthgrades"

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """The profile page itself."""
        yield self.request(target.url, self.parse_profile, cb_kwargs={"target": target})

    def parse_profile(self, response: Response, target: Target) -> Iterator[Item | scrapy.Request]:
        """Page 1: the embedded page state."""
        refused = self.refused(response, target, 1)
        if refused is not None:
            yield refused
            return
        result = parse_healthgrades(page_text(response), target.url)
        yield from self._next(response, result, target, 1, len(result.reviews))

    def parse_comments(
        self, response: Response, target: Target, page: int, per_page: int, code: str, name: str
    ) -> Iterator[Item | scrapy.Request]:
        """Pages 2..n from the comments endpoint."""
        refused = self.refused(response, target, page)
        if refused is not None:
            yield refused
            return
        result = parse_healthgrades_comments(page_text(response), target.url, name)
        result.provider_id = code
        yield from self._next(response, result, target, page, per_page)

    def _next(
        self, response: Response, result: ParseResult, target: Target, page: int, per_page: int
    ) -> Iterator[Item | scrapy.Request]:
        more, stopped = self.go_on(result, page, result.next_page is not None)
        yield from self.emit(
            response,
            result,
            target,
            page,
            last_page=result.next_page is None,
            stopped_early=stopped,
        )
        if more and result.next_page is not None and result.provider_id and per_page:
            yield self.request(
                comments_url(target.url, result.provider_id, result.next_page, per_page),
                self.parse_comments,
                cb_kwargs={
                    "target": target,
                    "page": result.next_page,
                    "per_page": per_page,
                    "code": result.provider_id,
                    "name": result.physician_name,
                },
            )
