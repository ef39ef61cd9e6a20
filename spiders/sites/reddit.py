"""Reddit search for untagged mentions of physicians (no key needed)."""

from __future__ import annotations

from urllib.parse import urlencode

from scrapy.http import Response

from spiders.parsers import ParseResult, parse_reddit
from spiders.social import SearchSpider

__all__ = ["RedditSpider"]


class RedditSpider(SearchSpider):
    """`scrapy crawl reddit -a url='"Jane Doe" OR "Dr. Doe"'`"""

    name = "reddit"

    def search_url(self, query: str, token: str | None) -> str:
        """`/search.json?q=...&sort=new`, continuing `after` a token."""
        params = {"q": query, "sort": "new", "limit": "25", "type": "link"}
        if token:
            params["after"] = token
        return f"{self.settings.get('REDDIT_ENDPOINT').rstrip('/')}/search.json?{urlencode(params)}"

    def parse_result(self, response: Response, query: str) -> ParseResult:
        """Posts of one listing."""
        base = self.settings.get("REDDIT_ENDPOINT")
        return parse_reddit(self.json_of(response), base, query)
