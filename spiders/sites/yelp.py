"""Yelp Fusion `/businesses/{id}/reviews`; the key is setting yelp.api_key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from spiders.base import BaseSpider, Item, Target
from spiders.config import secret
from spiders.parsers import parse_yelp

__all__ = ["YelpSpider"]


class YelpSpider(BaseSpider):
    """`scrapy crawl yelp -a url=BUSINESS_ID` (or a full API URL); at most 3 excerpts."""

    name = "yelp"
    partial = True
    blocked_statuses = frozenset({429})
    # A keyed API governed by its terms of use, not a site for crawlers: no robots.txt.
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """One reviews request per business."""
        key = secret("yelp.api_key")
        ref = target.url
        if ref.startswith(("http://", "https://")):
            url = ref
        else:
            endpoint = self.settings.get("YELP_ENDPOINT").rstrip("/")
            url = f"{endpoint}/businesses/{quote(ref, safe='')}/reviews?limit=20&sort_by=newest"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        yield self.request(url, self.parse_reviews, headers=headers, cb_kwargs={"target": target})

    def parse_reviews(self, response: Response, target: Target) -> Iterator[Item]:
        """The business's review excerpts."""
        refused = self.refused(response, target, 1)
        if refused is not None:
            yield refused
            return
        result = parse_yelp(self.json_of(response), target.url)
        yield from self.emit(response, result, target, 1, last_page=True)
