"""schema.org reviews in JSON-LD and microdata."""

import json

from spiders.parsers import parse_schemaorg
from tests.parser_fixtures import fixture_text

URL = "https://hospital.example/physicians/sagan"


def test_jsonld_graph_reviews_and_a_broken_block() -> None:
    result = parse_schemaorg(fixture_text("schemaorg_jsonld.html"), URL)
    assert [r.text for r in result.reviews] == [
        "He drew the anatomy for me.",
        "Long wait, good doctor.",
    ]
    first, second = result.reviews
    assert (
        first.external_id == "https://hospital.example/sagan#r1"
        and first.title == "Clear explanations"
    )
    assert first.author == "June" and first.rating == 5.0 and first.rating_scale == 5.0
    assert first.published_at == "2024-02-02"
    assert second.author == "Anonymous" and len(second.external_id) == 20
    assert result.aggregate_count == 2 and result.aggregate_rating == 4.5
    assert any("not valid JSON" in p for p in result.problems)


def test_microdata_reviews() -> None:
    result = parse_schemaorg(fixture_text("schemaorg_microdata.html"), URL)
    assert [r.external_id for r in result.reviews] == ["review-a1", "review-a2"]
    first, second = result.reviews
    assert first.text == "Checked every detail of my X-ray." and first.author == "Maurice W."
    assert first.title == "Thorough" and first.published_at == "2024-04-04"
    assert second.author == "James" and second.rating == 2.0
    assert result.aggregate_count == 2 and result.physician_name == "Dr. Rosalind Franklin"
    assert result.aggregate_rating == 3.5


def test_a_page_without_reviews() -> None:
    result = parse_schemaorg("<html><body><h1>About us</h1></body></html>", URL)
    assert result.reviews == [] and result.aggregate_count is None


def test_aggregate_rating_on_another_scale_is_rescaled_and_junk_dropped() -> None:
    def page(value: str, best: str) -> str:
        rating = {"@type": "AggregateRating", "ratingValue": value, "ratingCount": 7}
        if best:
            rating["bestRating"] = best
        node = {"@type": "Physician", "name": "Dr. X", "aggregateRating": rating}
        return f'<html><script type="application/ld+json">{json.dumps(node)}</script></html>'

    assert parse_schemaorg(page("8", "10"), URL).aggregate_rating == 4.0
    assert parse_schemaorg(page("4.6", ""), URL).aggregate_rating == 4.6
    for value, best in (("NaN", "5"), ("-2", "5"), ("6", "5"), ("4", "0"), ("4", "x")):
        result = parse_schemaorg(page(value, best), URL)
        assert result.aggregate_rating is None and result.aggregate_count == 7, (value, best)
    micro = (
        '<html><div itemscope itemtype="https://schema.org/AggregateRating">'
        '<meta itemprop="ratingValue" content="80"><meta itemprop="bestRating" content="100">'
        '<span itemprop="ratingCount">5</span></div></html>'
    )
    result = parse_schemaorg(micro, URL)
    assert (result.aggregate_count, result.aggregate_rating) == (5, 4.0)
    # A JSON-LD rating without a count keeps its rating when there is no microdata.
    uncounted = {"@type": "AggregateRating", "ratingValue": 4.4}
    page_text = f'<html><script type="application/ld+json">{json.dumps(uncounted)}</script></html>'
    assert parse_schemaorg(page_text, URL).aggregate_rating == 4.4
