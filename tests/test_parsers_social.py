"""Reddit listings, X recent search, and the query builder."""

from spiders.parsers import build_queries, name_variants, parse_reddit, parse_x
from tests.parser_fixtures import fixture_json


def test_reddit_listing() -> None:
    result = parse_reddit(fixture_json("reddit_search.json"), "https://www.reddit.com", "q")
    assert [m.external_id for m in result.mentions] == ["t3_fx0001", "t3_fx0002"]
    first = result.mentions[0]
    assert first.url == "https://www.reddit.com/r/Springfield/comments/fx0001/dr_lovelace/"
    assert first.published_at == "2024-04-24T23:06:40+00:00" and first.query == "q"
    assert first.title.startswith("Dr. Lovelace") and first.author == "heartfan"
    assert result.next_token == "t3_fx0002"
    assert result.problems == ["a listing child without an id was skipped"]


def test_x_recent_search() -> None:
    result = parse_x(fixture_json("x_search_recent.json"), "q")
    first, second = result.mentions
    assert first.author == "pulse_watcher" and first.published_at == "2024-05-10T14:00:00+00:00"
    assert first.url == "https://x.com/pulse_watcher/status/1790000000000000001"
    assert second.published_at is None and second.url.endswith("/i/web/status/1790000000000000000")
    assert result.next_token == "fixture-token-2"


def test_social_errors() -> None:
    assert parse_reddit({"error": 429}).problems
    assert parse_x({"title": "Unauthorized", "status": 401}).problems
    assert parse_x({"errors": [{"detail": "bad query"}]}).problems == ["API error: bad query"]


def test_name_variants_drop_titles_and_suffixes() -> None:
    assert name_variants("Dr. Maria L. Gonzalez, MD", ["Maria Gonzalez-Reyes"]) == [
        "Maria L. Gonzalez",
        "Maria Gonzalez",
        "Dr. Gonzalez",
        "Maria Gonzalez-Reyes",
        "Dr. Gonzalez-Reyes",
    ]


def test_build_queries_pairs_short_names_with_the_practice() -> None:
    queries = build_queries("Maria L. Gonzalez", ["Dr. Gonzalez"], "Riverside Family Medicine")
    assert queries == [
        '"Maria L. Gonzalez" OR "Maria Gonzalez"',
        '("Dr. Gonzalez") "Riverside Family Medicine"',
    ]
    assert build_queries("Maria Gonzalez") == ['"Maria Gonzalez"']
    assert build_queries("") == []
