"""Healthgrades: pageState.pes cut out of the script, and the comments endpoint."""

from spiders.parsers import (
    comments_url,
    extract_pes,
    parse_healthgrades,
    parse_healthgrades_comments,
)
from tests.parser_fixtures import fixture_text

URL = "https://www.healthgrades.com/physician/dr-alexander-bell-xk7qz"


def test_page_state_reviews_responses_and_counts() -> None:
    result = parse_healthgrades(fixture_text("healthgrades_profile.html"), URL)
    assert [r.author for r in result.reviews] == ["Tess W", "Ravi K."]
    first, second = result.reviews
    assert first.external_id == "0b8f2a9e-1111-4c1d-9e2f-aaaaaaaaaaaa"
    assert first.rating == 1.0 and first.published_at == "2024-02-03"
    assert first.published_raw == "Feb 03, 2024"
    assert first.response_text == "Our billing lead will call you this week."
    assert first.response_at == "2024-02-10"
    assert second.response_text == "" and second.response_at is None
    assert result.aggregate_count == 12 and result.next_page == 2
    assert result.aggregate_rating == 4.2  # model.overall.actualScore
    assert result.physician_name == "Dr. Alexander G. Bell, MD"
    assert result.provider_id == "XK7QZ" and result.specialty == "Otolaryngology"


def test_extract_pes_stops_at_the_end_of_the_object() -> None:
    pes = extract_pes(fixture_text("healthgrades_profile.html"))
    assert pes is not None and "not" not in pes and pes["model"]["providerCode"] == "XK7QZ"
    assert extract_pes('{"model": {}}') == {"model": {}}
    assert extract_pes("pageState.pes = {broken") is None


def test_comments_endpoint_page() -> None:
    result = parse_healthgrades_comments(fixture_text("healthgrades_comments.json"), URL, "Dr. B")
    assert [r.external_id for r in result.reviews] == ["0b8f2a9e-3333-4c1d-9e2f-cccccccccccc"]
    assert result.reviews[0].physician_name == "Dr. B" and result.reviews[0].response_text == ""
    assert result.next_page == 3 and result.aggregate_count == 12


def test_comments_url_keeps_the_site_prefix() -> None:
    assert comments_url(URL, "XK7QZ", 2, 10) == (
        "https://www.healthgrades.com/api4/providerprofile/comments"
        "?pwid=XK7QZ&currentPage=2&perPage=10&sortOption=1"
    )
    local = comments_url("http://127.0.0.1:9/healthgrades/physician/dr-a-b-c1", "C1", 3)
    assert local.startswith("http://127.0.0.1:9/healthgrades/api4/providerprofile/comments?")


def test_bad_input_is_reported() -> None:
    assert parse_healthgrades("<html></html>", URL).problems
    assert parse_healthgrades("pageState.pes = {};", URL).problems
    assert parse_healthgrades_comments("nope", URL).problems
    assert parse_healthgrades_comments('{"results": 5}', URL).problems
