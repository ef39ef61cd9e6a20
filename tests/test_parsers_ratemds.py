"""RateMDs: embedded doctorDetailProps JSON, microdata fallback, the JSON page variant."""

from spiders.parsers import extract_props, parse_ratemds, parse_ratemds_json
from tests.parser_fixtures import fixture_text

URL = "https://www.ratemds.com/doctor-ratings/77001/Dr-Ada+B.-Lovelace-Springfield-IL.html"


def test_embedded_json_gives_reviews_subratings_response_and_paging() -> None:
    result = parse_ratemds(fixture_text("ratemds_profile.html"), URL)
    assert [r.external_id for r in result.reviews] == ["900002", "900001"]
    first = result.reviews[0]
    assert first.rating == 2.0 and first.rating_scale == 5.0
    assert first.subratings == {
        "staff": 2.0,
        "punctuality": 1.0,
        "helpfulness": 2.0,
        "knowledge": 3.0,
    }
    assert first.text == 'Waited 90 minutes & the nurse was short with me.  "Next time" she said.'
    assert first.published_at == "2024-03-05T10:20:30.123000+00:00"
    assert first.published_raw == "2024-03-05T10:20:30.123Z"
    assert first.response_text == "We are sorry about the wait; please call our manager."
    assert first.response_at == "2024-03-09T08:00:00+00:00"
    assert first.url == URL + "#rating-900002" and first.profile_url == URL
    assert first.physician_name == "Dr. Ada B. Lovelace"
    assert result.reviews[1].response_text == "" and result.reviews[1].response_at is None
    assert result.aggregate_count == 12 and result.next_page == 2
    assert result.aggregate_rating == 4.1  # doctor.rating.average, not the mean of this page
    assert result.physician_name == "Dr. Ada B. Lovelace" and result.specialty == "Cardiologist"
    assert result.locations == ["Springfield Heart Clinic, 12 Elm St, Springfield"]
    assert result.problems == []


def test_extract_props_ignores_other_window_data_blobs() -> None:
    props = extract_props(fixture_text("ratemds_profile.html"))
    assert props is not None and props["doctor"]["id"] == 77001


def test_microdata_fallback_when_the_json_is_gone() -> None:
    result = parse_ratemds(fixture_text("ratemds_microdata_only.html"), URL)
    assert [r.external_id for r in result.reviews] == ["900002", "900001"]
    assert result.reviews[1].rating == 4.8
    assert result.reviews[0].published_at == "2024-03-05T10:20:30+00:00"
    assert result.reviews[0].author == "Anonymous"
    assert result.aggregate_count == 12 and result.next_page == 2
    assert result.aggregate_rating == 4.1  # the microdata AggregateRating's ratingValue
    assert result.physician_name == "Dr. Ada B. Lovelace"
    assert any("fell back to microdata" in p for p in result.problems)


def test_json_page_variant_and_a_bad_row() -> None:
    result = parse_ratemds_json(fixture_text("ratemds_ratings_page2.json"), URL)
    assert [r.external_id for r in result.reviews] == ["899990"]
    assert result.next_page is None and result.aggregate_count == 12
    assert result.problems == ["a rating without a numeric id was skipped"]


def test_bad_input_returns_problems_not_exceptions() -> None:
    for page in ("", "<html><body>nothing</body></html>", 'JSON.parse("\\u0022'):
        result = parse_ratemds(page, URL)
        assert result.reviews == [] and result.problems
    assert parse_ratemds_json("{nope", URL).problems
    assert parse_ratemds_json("[]", URL).problems
