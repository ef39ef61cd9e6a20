"""schema.org reviews in JSON-LD and microdata."""

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
    assert first.published_at == "2024-02-02T00:00:00+00:00"
    assert second.author == "Anonymous" and len(second.external_id) == 20
    assert result.aggregate_count == 2
    assert any("not valid JSON" in p for p in result.problems)


def test_microdata_reviews() -> None:
    result = parse_schemaorg(fixture_text("schemaorg_microdata.html"), URL)
    assert [r.external_id for r in result.reviews] == ["review-a1", "review-a2"]
    first, second = result.reviews
    assert first.text == "Checked every detail of my X-ray." and first.author == "Maurice W."
    assert first.title == "Thorough" and first.published_at == "2024-04-04T00:00:00+00:00"
    assert second.author == "James" and second.rating == 2.0
    assert result.aggregate_count == 2 and result.physician_name == "Dr. Rosalind Franklin"


def test_a_page_without_reviews() -> None:
    result = parse_schemaorg("<html><body><h1>About us</h1></body></html>", URL)
    assert result.reviews == [] and result.aggregate_count is None
