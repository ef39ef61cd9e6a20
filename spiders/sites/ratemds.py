"""RateMDs doctor profiles; pages after the first through the `?json=true&page=N` variant."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import scrapy
from scrapy.http import Response
from w3lib.url import add_or_replace_parameters

from spiders.base import BaseSpider, Item, Target, page_text
from spiders.parsers import parse_ratemds, parse_ratemds_json

__all__ = ["RateMDsSpider"]


class RateMDsSpider(BaseSpider):
    """`scrapy crawl ratemds -a url=https://www.ratemds.com/doctor-ratings/...`"""

    name = "ratemds"

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """The profile page itself."""
        yield self.request(target.url, self.parse_page, cb_kwargs={"target": target, "page": 1})

    def parse_page(
        self, response: Response, target: Target, page: int
    ) -> Iterator[Item | scrapy.Request]:
        """One page of ratings (HTML on page 1, JSON after)."""
        refused = self.refused(response, target, page)
        if refused is not None:
            yield refused
            return
        profile_url = target.url.split("#")[0]
        if page > 1 or (response.headers.get("Content-Type") or b"").startswith(
            b"application/json"
        ):
            result = parse_ratemds_json(page_text(response), profile_url)
        else:
            result = parse_ratemds(page_text(response), profile_url)
        more, stopped = self.go_on(result, page, result.next_page is not None)
        yield from self.emit(
            response,
            result,
            target,
            page,
            last_page=result.next_page is None,
            stopped_early=stopped,
        )
        if more and result.next_page is not None:
            url = add_or_replace_parameters(
                profile_url, {"json": "true", "page": str(result.next_page)}
            )
            yield self.request(
                url, self.parse_page, cb_kwargs={"target": target, "page": result.next_page}
            )
