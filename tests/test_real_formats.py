"""Acceptance: the spiders read the real sites' formats in ../shared/real, served locally.

For every one of the 60 RateMDs pages the reviews the `ratemds` spider extracts equal the
ones in the page's embedded data (id, text, rating, date); the Healthgrades page state, both
Google APIs, the Reddit listing, the X search and the Yelp feed yield every review/post.
The expectations are read here independently of the parsers (a regex and json.loads).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from spiders.parsers import parse_google, parse_healthgrades, parse_ratemds
from spiders.sandbox.http import serve_app, static_app
from tests.conftest import shared_path
from tests.crawling import batch_crawl, scrapy_crawl

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("real")]
HTML, JSON = "text/html; charset=utf-8", "application/json"
PLACE = "ChIJrealformat0000000001"


def _embedded(page: str) -> dict[str, Any]:
    match = re.search(r'doctorDetailProps = JSON\.parse\("(.*?)"\);', page, re.S)
    assert match, "page has no doctorDetailProps"
    props: dict[str, Any] = json.loads(json.loads(f'"{match.group(1)}"'))
    return props


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def real() -> Path:
    return shared_path("real")


@pytest.fixture(scope="module")
def served(real: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Every real file on a local server: (base URL, RateMDs path -> page text)."""
    files: dict[str, tuple[bytes, str]] = {}
    pages: dict[str, str] = {}
    for gz in sorted((real / "ratemds").glob("*.html.gz")):
        raw = gzip.decompress(gz.read_bytes())
        path = "/ratemds/" + gz.name.removesuffix(".gz")
        files[path] = (raw, HTML)
        pages[path] = raw.decode("utf-8")
    payload = (real / "healthgrades" / "pes_2017_raw_script_payload.txt").read_text("utf-8")
    page = f"<html><body><script>\nwindow.pageState = {{}};\npageState.pes = {payload}</script>"
    files["/hg/physician/dr-luke-oh-yn6rl"] = (page.encode("utf-8"), HTML)
    for path, name in (
        (f"/google/v1/places/{PLACE}", "google/places_new_place_reviews.json"),
        ("/google/maps/api/place/details/json", "google/places_legacy_place_details.json"),
        ("/reddit/search.json", "reddit/search_listing.json"),
        ("/x/2/tweets/search/recent", "x/search_recent.json"),
        ("/yelp/feed.json", "yelp/review_feed_postprocessed.json"),
    ):
        files[path] = ((real / name).read_bytes(), JSON)
    with serve_app(static_app(files)) as base:
        yield base, pages


@pytest.fixture(scope="module")
def ratemds_items(
    served: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    base, pages = served
    jobs = [{"spider": "ratemds", "url": base + path} for path in sorted(pages)]
    return batch_crawl(jobs, tmp_path_factory.mktemp("ratemds"))


def test_all_60_ratemds_pages_equal_their_embedded_data(
    served: tuple[str, dict[str, str]], ratemds_items: list[dict[str, Any]]
) -> None:
    _, pages = served
    assert len(pages) == 60
    total = 0
    for index, path in enumerate(sorted(pages)):
        results = _embedded(pages[path])["ratingsPage"]["results"]
        expected = [
            (
                str(r["id"]),
                r["comment"].replace("\r\n", "\n").strip(),
                float(r["average"]),
                _when(r["created"]),
            )
            for r in results
        ]
        got = [
            (i["external_id"], i["text"], i["rating"], _when(i["published_at"]))
            for i in ratemds_items
            if i["_job"] == index and i["kind"] == "review"
        ]
        assert got == expected, path
        first_page = next(i for i in ratemds_items if i["_job"] == index and i["kind"] == "page")
        assert first_page["status"] == "ok" and first_page["reviews_found"] == len(results)
        total += len(expected)
    assert total == 349


def test_ratemds_pages_are_not_mistaken_for_challenges(ratemds_items: list[dict[str, Any]]) -> None:
    assert not [i for i in ratemds_items if i["kind"] == "page" and i["status"] == "blocked"]


def test_ratemds_spider_from_the_command_line_with_o(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, pages = served
    path = next(p for p in sorted(pages) if "Ruotolo" in p)
    items = scrapy_crawl("ratemds", tmp_path / "out.jsonl", "-a", f"url={base}{path}")
    reviews = [i for i in items if i["kind"] == "review"]
    assert len(reviews) == 10 and {r["source"] for r in reviews} == {"ratemds"}
    assert all(r["physician_name"] == "Dr. Rachel A. Ruotolo" for r in reviews)
    first = next(i for i in items if i["kind"] == "page" and i["page"] == 1)
    assert first["aggregate_count"] == 28 and first["last_page"] is False
    # Page 2 asked for through the JSON variant on the same server (absent here: 404).
    assert [i["page"] for i in items if i["kind"] == "page"] == [1, 2]


def test_other_sources_yield_everything(
    real: Path, served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, _ = served
    jobs = [
        {"spider": "healthgrades", "url": base + "/hg/physician/dr-luke-oh-yn6rl"},
        {"spider": "google", "url": PLACE},
        {"spider": "google", "url": base + f"/google/maps/api/place/details/json?place_id={PLACE}"},
        {"spider": "reddit", "url": '"any query"'},
        {"spider": "x", "url": '"any query"'},
        {"spider": "yelp", "url": base + "/yelp/feed.json"},
    ]
    settings = {
        "GOOGLE_ENDPOINT": base + "/google/v1",
        "REDDIT_ENDPOINT": base + "/reddit",
        "X_ENDPOINT": base + "/x/2",
    }
    items = batch_crawl(jobs, tmp_path, settings)

    def ids(job: int) -> list[str]:
        return [i["external_id"] for i in items if i["_job"] == job and i["kind"] != "page"]

    state = json.loads((real / "healthgrades" / "pes_2017_provider_page_state.json").read_text())
    assert ids(0) == [c["commentId"] for c in state["model"]["comments"]["results"]]
    new = json.loads((real / "google" / "places_new_place_reviews.json").read_text())
    assert ids(1) == [r["name"] for r in new["reviews"]]
    legacy = json.loads((real / "google" / "places_legacy_place_details.json").read_text())
    got_legacy = [i for i in items if i["_job"] == 2 and i["kind"] == "review"]
    assert [(i["author"], i["text"]) for i in got_legacy] == [
        (r["author_name"], r["text"].strip()) for r in legacy["result"]["reviews"]
    ]
    assert len(set(ids(2))) == len(legacy["result"]["reviews"])
    listing = json.loads((real / "reddit" / "search_listing.json").read_text())
    assert ids(3) == [c["data"]["name"] for c in listing["data"]["children"]]
    search = json.loads((real / "x" / "search_recent.json").read_text())
    assert ids(4) == [t["id"] for t in search["data"]]
    feed = json.loads((real / "yelp" / "review_feed_postprocessed.json").read_text())
    assert ids(5) == [r["encid"] for r in feed]
    pages = [i for i in items if i["kind"] == "page"]
    assert not [p for p in pages if p["status"] == "blocked"]


def test_public_ratings_are_read_from_every_real_format(real: Path) -> None:
    """The site's own rating, checked against the raw values read here with json and a regex."""
    legacy = json.loads((real / "google" / "places_legacy_place_details.json").read_text())
    assert parse_google(legacy, PLACE).aggregate_rating == legacy["result"]["rating"]
    state = (real / "healthgrades" / "pes_2017_provider_page_state.json").read_text()
    raw = (real / "healthgrades" / "pes_2017_raw_script_payload.txt").read_text()
    score = json.loads(state)["model"]["overall"]["actualScore"]
    page = f"<html><script>pageState.pes = {raw}</script></html>"
    assert parse_healthgrades(page, "https://hg.example/p").aggregate_rating == score
    rated = 0
    for path in sorted((real / "ratemds").glob("*.html.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        average = _embedded(text)["doctor"]["rating"]["average"]
        micro = re.search(r'itemprop="ratingValue" content="([^"]+)"', text)
        result = parse_ratemds(text, "https://www.ratemds.com/x")
        expected = round(float(average), 3) if average else None
        assert result.aggregate_rating == expected, path.name
        if micro and expected is not None:  # the microdata shows the same figure
            assert abs(float(micro.group(1)) - expected) < 0.01, path.name
        rated += expected is not None
    assert rated >= 40
