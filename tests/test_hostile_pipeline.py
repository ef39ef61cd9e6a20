"""The storing pipeline on hostile items: review and page items with hostile fields are stored or
dropped with a reason counted on the crawl run, and every item is accounted for; a page's public
rating outside 0..5 (or NaN) is ignored, not stored."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from reputation.storage.db import Database
from reputation.storage.models import CrawlRun
from spiders.items import PageItem, ReviewItem
from spiders.pipelines import StorePipeline
from spiders.sites.ratemds import RateMDsSpider
from tests.hostile import HOSTILE_STRINGS, JUNK, NOW, RATING, TEXT, f

PAST = st.sampled_from(["2024-03-05T10:20:30Z", "Jan 28, 2017", "3 weeks ago", 1485561600])


def rarely(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field that is hostile about one time in nine: most items then get stored."""
    return st.integers(0, 8).flatmap(lambda n: JUNK if n == 0 else valid)


ITEM_FIELDS = {
    "physician_name": rarely(TEXT),
    "author": rarely(TEXT),
    "rating": rarely(RATING),
    "rating_scale": rarely(st.sampled_from([5.0, 10.0])),
    "subratings": rarely(st.dictionaries(st.sampled_from(["staff", "knowledge"]), f(RATING))),
    "title": rarely(TEXT),
    "text": rarely(TEXT),
    "published_at": rarely(PAST),
    "published_raw": rarely(PAST),
    "response_text": rarely(TEXT),
    "response_at": rarely(PAST),
    "language": rarely(TEXT),
    "npi": rarely(TEXT),
}
HOSTILE_ITEM = st.builds(
    ReviewItem,
    source=st.sampled_from(["ratemds", "yelp"]),
    external_id=st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(HOSTILE_STRINGS)),
    profile_url=st.sampled_from(["https://r.example/d/1", "http://[::1", ""]),
    url=rarely(TEXT),
    **ITEM_FIELDS,
)
HOSTILE_PAGE = st.builds(
    PageItem,
    source=st.just("ratemds"),
    url=st.just("https://r.example/d/1"),
    profile_url=st.sampled_from(["https://r.example/d/1", "http://[::1"]),
    status=st.sampled_from(["ok", "broken", "blocked", "failed"]),
    aggregate_count=st.one_of(st.none(), st.integers(-(2**40), 2**62)),
    aggregate_rating=st.one_of(st.none(), st.floats()),
    physician_name=f(TEXT),
    problems=st.lists(st.sampled_from(HOSTILE_STRINGS), max_size=3),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.one_of(HOSTILE_ITEM, HOSTILE_ITEM, HOSTILE_PAGE), min_size=1, max_size=12))
def test_pipeline_stores_or_drops_with_a_counted_reason(db: Database, items: list[Any]) -> None:
    settings = {"REPMON_STORE": True, "REPMON_DATABASE_URL": db.url, "REPMON_NOW": NOW.isoformat()}
    crawler = get_crawler(RateMDsSpider, settings)
    crawler.spider = RateMDsSpider.from_crawler(crawler, url="https://r.example/d/1")
    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    dropped = 0
    for item in items:
        try:
            pipeline.process_item(item)
        except DropItem as exc:
            dropped += 1
            assert str(exc).startswith("invalid review ")
    pipeline.close_spider()
    pipeline.spider_closed("finished")
    with db.session() as session:
        run = session.get(CrawlRun, pipeline.run_id)
        assert run is not None and run.status != "running"
        assert run.rejected == dropped == sum(run.reject_reasons.values())
        reviews = len([i for i in items if isinstance(i, ReviewItem)])
        assert run.new + run.updated + run.unchanged + run.rejected == reviews


def test_pipeline_keeps_the_public_rating_of_page_one_and_ignores_junk(db: Database) -> None:
    from reputation.imports.roster import apply_roster, parse_roster
    from reputation.storage.models import Profile
    from tests.factories import roster_csv

    with db.transaction() as session:
        apply_roster(session, parse_roster(roster_csv(3)))
    urls = [f"https://www.ratemds.example/doctor-ratings/{i}/dr-abara" for i in range(3)]
    settings = {"REPMON_STORE": True, "REPMON_DATABASE_URL": db.url, "REPMON_NOW": NOW.isoformat()}
    crawler = get_crawler(RateMDsSpider, settings)
    crawler.spider = RateMDsSpider.from_crawler(crawler, url=urls[0])
    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    for url, rating in zip(urls, (4.3, float("nan"), 7.0), strict=True):
        page = PageItem("ratemds", url, url, aggregate_count=12, aggregate_rating=rating)
        pipeline.process_item(page)
    pipeline.close_spider()
    pipeline.spider_closed("finished")
    with db.session() as session:
        got = {p.url: (p.public_rating, p.public_rating_count) for p in session.query(Profile)}
    assert [got[u] for u in urls] == [(4.3, 12), (None, None), (None, None)]
