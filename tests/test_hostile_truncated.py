"""Truncated pages: every saved page and API answer, cut at some sixty points, yields only reviews
the whole page has, each valid or rejected with a reason; a cut page that yields none is marked
broken, never read as "no reviews"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scrapy.http import TextResponse

from spiders import parsers
from spiders.base import BaseSpider, page_status
from spiders.parsers import ParseResult
from tests.hostile import validated
from tests.parser_fixtures import fixture_text

PAGES = {
    "ratemds_profile.html": parsers.parse_ratemds,
    "ratemds_microdata_only.html": parsers.parse_ratemds,
    "healthgrades_profile.html": parsers.parse_healthgrades,
    "schemaorg_jsonld.html": parsers.parse_schemaorg,
    "schemaorg_microdata.html": parsers.parse_schemaorg,
    "healthgrades_comments.json": parsers.parse_healthgrades_comments,
    "ratemds_ratings_page2.json": parsers.parse_ratemds_json,
}
APIS: dict[str, Callable[[Any], ParseResult]] = {
    "google_places_new.json": lambda d: parsers.parse_google(d, "https://maps.example/p"),
    "google_place_details_legacy.json": lambda d: parsers.parse_google(d, "https://m.ex/p"),
    "yelp_reviews.json": lambda d: parsers.parse_yelp(d, "https://yelp.example/b"),
    "reddit_search.json": parsers.parse_reddit,
    "x_search_recent.json": parsers.parse_x,
}


@pytest.mark.parametrize("name", sorted({*PAGES, *APIS}))
def test_truncated_pages_keep_what_was_read_or_are_broken(name: str) -> None:
    text = fixture_text(name)
    parse: Callable[[str], ParseResult] = (
        (lambda t: APIS[name](BaseSpider.json_of(TextResponse("https://a.ex/", body=t.encode()))))
        if name in APIS
        else (lambda t: PAGES[name](t, "https://p.example/d"))
    )
    whole = parse(text)
    ids = {item.external_id for item in [*whole.reviews, *whole.mentions]}
    assert whole.found
    for cut in sorted({*range(0, len(text), max(1, len(text) // 60)), len(text) - 1}):
        part = parse(text[:cut])
        got = {item.external_id for item in [*part.reviews, *part.mentions]}
        assert got <= ids, f"cut at {cut}: ids that the whole page does not have"
        for item in part.reviews:
            validated(item)
        if not got:
            assert page_status(part, 1) == "broken" or not part.aggregate_count, cut
            assert page_status(part, 1) == "broken", f"cut at {cut} reads as 'no reviews'"
