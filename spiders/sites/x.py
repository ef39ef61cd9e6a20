"""X API v2 recent search for untagged mentions; the token is setting x.bearer_token."""

from __future__ import annotations

from urllib.parse import urlencode

from scrapy.http import Response

from spiders.config import secret
from spiders.parsers import ParseResult, parse_x
from spiders.social import SearchSpider

__all__ = ["XSpider"]


class XSpider(SearchSpider):
    """`scrapy crawl x -a url='"Jane Doe"'`"""

    name = "x"
    # A keyed API governed by its terms of use, not a site for crawlers: no robots.txt.
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def search_url(self, query: str, token: str | None) -> str:
        """`/tweets/search/recent?query=...`, continuing at `next_token`."""
        params = {
            "query": query,
            "max_results": "100",
            "tweet.fields": "created_at,author_id,lang",
            "expansions": "author_id",
            "user.fields": "username",
        }
        if token:
            params["next_token"] = token
        endpoint = self.settings.get("X_ENDPOINT").rstrip("/")
        return f"{endpoint}/tweets/search/recent?{urlencode(params)}"

    def headers(self) -> dict[str, str]:
        """Bearer authentication."""
        token = secret("x.bearer_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def parse_result(self, response: Response, query: str) -> ParseResult:
        """Posts of one search page."""
        return parse_x(self.json_of(response), query)
