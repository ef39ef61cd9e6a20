"""Google Places reviews, new API or legacy Place Details; the key is setting google.api_key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from spiders.base import BaseSpider, Item, Target
from spiders.config import secret
from spiders.parsers import parse_google

__all__ = ["GoogleSpider"]

NEW_FIELDS = "id,displayName,rating,userRatingCount,reviews"
LEGACY_FIELDS = "name,place_id,rating,reviews,user_ratings_total,url"


class GoogleSpider(BaseSpider):
    """`scrapy crawl google -a url=PLACE_ID` (or a full API URL); at most 5 reviews a place."""

    name = "google"
    partial = True
    # An API answering 403 means a key problem, not a block.
    blocked_statuses = frozenset({429})
    # A keyed API governed by its terms of use, not a site for crawlers: no robots.txt.
    custom_settings = {"ROBOTSTXT_OBEY": False}

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """One Place Details request per place."""
        key = secret("google.api_key")
        ref = target.url
        if ref.startswith(("http://", "https://")):
            url = ref
        elif self.settings.get("GOOGLE_API", "new") == "legacy":
            query = urlencode({"place_id": ref, "fields": LEGACY_FIELDS, "reviews_sort": "newest"})
            url = f"{self.settings.get('GOOGLE_LEGACY_ENDPOINT')}?{query}"
        else:
            endpoint = self.settings.get("GOOGLE_ENDPOINT").rstrip("/")
            url = f"{endpoint}/places/{quote(ref, safe='')}?fields={NEW_FIELDS}"
        legacy = "/details/json" in url
        if legacy and key:
            url += ("&" if "?" in url else "?") + urlencode({"key": key})
        headers = {} if legacy or not key else {"X-Goog-Api-Key": key}
        yield self.request(url, self.parse_place, headers=headers, cb_kwargs={"target": target})

    def parse_place(self, response: Response, target: Target) -> Iterator[Item]:
        """All reviews of the place (the API has no further pages)."""
        refused = self.refused(response, target, 1)
        if refused is not None:
            yield refused
            return
        result = parse_google(self.json_of(response), target.url)
        yield from self.emit(response, result, target, 1, last_page=True)
