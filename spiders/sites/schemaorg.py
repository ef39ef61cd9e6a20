"""Any page with schema.org Review / AggregateRating markup (hospital sites, directories)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import scrapy
from scrapy.http import Response

from spiders.base import BaseSpider, Item, Target, page_text
from spiders.parsers import parse_schemaorg

__all__ = ["SchemaOrgSpider"]


class SchemaOrgSpider(BaseSpider):
    """`scrapy crawl schemaorg -a url=https://hospital.example/physicians/...`"""

    name = "schemaorg"

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """The page itself."""
        yield self.request(target.url, self.parse_page, cb_kwargs={"target": target, "page": 1})

    def parse_page(
        self, response: Response, target: Target, page: int
    ) -> Iterator[Item | scrapy.Request]:
        """Reviews on the page; a rel=next link is followed like pagination."""
        refused = self.refused(response, target, page)
        if refused is not None:
            yield refused
            return
        result = parse_schemaorg(page_text(response), target.url)
        nxt = response.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href").get()
        more, stopped = self.go_on(result, page, bool(nxt))
        yield from self.emit(
            response, result, target, page, last_page=not nxt, stopped_early=stopped
        )
        if more and nxt:
            yield self.request(
                response.urljoin(nxt),
                self.parse_page,
                cb_kwargs={"target": target, "page": page + 1},
            )
