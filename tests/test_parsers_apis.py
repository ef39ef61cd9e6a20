"""Google Places (new and legacy) and Yelp Fusion responses."""

from spiders.parsers import parse_google, parse_yelp
from tests.parser_fixtures import fixture_json

PLACE = "ChIJfixture000000000001"


def test_google_places_new() -> None:
    result = parse_google(fixture_json("google_places_new.json"), PLACE)
    assert len(result.reviews) == 2
    first, second = result.reviews
    assert first.external_id.startswith("places/ChIJfixture000000000001/reviews/")
    assert first.published_at == "2024-05-01T09:30:00.123456+00:00"
    assert first.author == "Lin P." and first.rating == 4 and first.language == "en"
    assert second.text == "Sehr unfreundlich." and second.language == "de"
    # No publishTime: the relative description is kept for the pipeline.
    assert second.published_at is None and second.published_raw == "a year ago"
    assert result.aggregate_count == 41 and result.physician_name == "Dr. Grace Hopper"
    assert result.aggregate_rating == 4.3


def test_google_legacy_place_details() -> None:
    result = parse_google(fixture_json("google_place_details_legacy.json"), PLACE)
    assert [r.author for r in result.reviews] == ["Lin P.", "Omar"]
    assert result.reviews[0].published_at == "2024-05-01T09:30:00+00:00"
    assert result.reviews[0].published_raw == "3 weeks ago"
    assert result.reviews[0].external_id.startswith("legacy:")
    ids = {r.external_id for r in result.reviews}
    again = {
        r.external_id
        for r in parse_google(fixture_json("google_place_details_legacy.json"), PLACE).reviews
    }
    assert ids == again and len(ids) == 2
    assert result.aggregate_count == 41 and result.aggregate_rating == 4.4


def test_google_errors_are_problems() -> None:
    denied = {"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}}
    assert parse_google(denied, PLACE).problems == ["API error 403: API key not valid"]
    legacy = parse_google({"status": "REQUEST_DENIED", "error_message": "bad key"}, PLACE)
    assert legacy.problems and not legacy.reviews
    assert parse_google("nope", PLACE).problems


def test_yelp_fusion_reviews() -> None:
    result = parse_yelp(fixture_json("yelp_reviews.json"), "dr-hopper")
    assert [r.external_id for r in result.reviews] == [
        "yR3v1ewFixture0000001",
        "yR3v1ewFixture0000002",
    ]
    assert result.reviews[0].author == "Pat Q." and result.reviews[0].rating == 2
    assert result.reviews[0].published_at == "2024-04-20T18:05:00+00:00"
    assert result.aggregate_count == 9
    assert result.aggregate_rating is None  # the reviews endpoint does not carry the business's


def test_yelp_errors_and_feed_shape() -> None:
    err = parse_yelp({"error": {"code": "TOKEN_INVALID", "description": "Invalid token"}}, "b")
    assert err.problems == ["API error TOKEN_INVALID: Invalid token"]
    feed = [
        {
            "encid": "e1",
            "text": {"full": "Nice.", "language": "en"},
            "rating": 5,
            "author": {"displayName": "A."},
            "createdAt": "2025-01-01T00:00:00Z",
        }
    ]
    result = parse_yelp(feed, "b")
    assert result.reviews[0].external_id == "e1" and result.reviews[0].text == "Nice."


def test_a_public_rating_out_of_range_or_not_a_number_is_dropped() -> None:
    for junk in (float("nan"), -1, 5.5, 0, "4,2", True, None):
        result = parse_google({"rating": junk, "userRatingCount": 3, "reviews": []}, PLACE)
        assert result.aggregate_rating is None, junk
        assert result.aggregate_count == 3
    assert parse_google({"rating": "4.25", "reviews": []}, PLACE).aggregate_rating == 4.25
