"""Shared by the Reddit and X spiders: targets become search queries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import scrapy
from scrapy.http import Response

from spiders.base import BaseSpider, Item, Target
from spiders.parsers import ParseResult, build_queries

__all__ = ["SearchSpider"]


class SearchSpider(BaseSpider):
    """`-a url=SEARCH_URL`, `-a url="free text query"`, or physicians from the database."""

    blocked_statuses = frozenset({429})

    def search_url(self, query: str, token: str | None) -> str:
        """The search request URL for `query`, continuing at `token`."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """Request headers (authentication)."""
        return {}

    def parse_result(self, response: Response, query: str) -> ParseResult:
        """Parse one search response."""
        raise NotImplementedError

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """One search per query built for the target."""
        if target.url.startswith(("http://", "https://")):
            pairs = [(target.url, target.url)]
        elif target.name:
            pairs = [
                (q, self.search_url(q, None))
                for q in build_queries(target.name, target.aliases, target.practice)
            ]
        else:
            pairs = [(target.url, self.search_url(target.url, None))]
        for query, url in pairs:
            yield self.request(
                url,
                self.parse_search,
                headers=self.headers(),
                cb_kwargs={"target": target, "query": query, "page": 1},
            )

    def parse_search(
        self, response: Response, target: Target, query: str, page: int
    ) -> Iterator[Item | scrapy.Request]:
        """Mentions on one result page; follow the continuation token."""
        refused = self.refused(response, target, page)
        if refused is not None:
            yield refused
            return
        result = self.parse_result(response, query)
        more, stopped = self.go_on(result, page, result.next_token is not None)
        yield from self.emit(
            response,
            result,
            target,
            page,
            last_page=result.next_token is None,
            stopped_early=stopped,
        )
        if more and result.next_token and not query.startswith(("http://", "https://")):
            yield self.request(
                self.search_url(query, result.next_token),
                self.parse_search,
                headers=self.headers(),
                cb_kwargs={"target": target, "query": query, "page": page + 1},
            )
