"""Normalisation and validation on hostile values: dates, ratings, text, URLs and whole review
records with junk in every field are normalised into range or rejected with a short reason that
names the field; then the regressions the properties found, one case each."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reputation.imports.incoming import Rejected, validate_review
from reputation.imports.normalize import (
    clean_text,
    normalise_rating,
    normalise_url,
    parse_when,
    reviewer_key,
)
from spiders import parsers
from spiders.parsers.result import as_int, to_iso
from tests.hostile import DATES, FAST, HOSTILE_STRINGS, IDS, JUNK, NOW, RATING, TEXT, f, js_embed

# -- normalisation and validation -----------------------------------------------------------

DATE_TEXT = st.one_of(
    st.builds(
        "{} {} ago".format,
        st.integers(0, 10**25),
        st.sampled_from(["seconds", "minutes", "hours", "days", "weeks", "months", "years"]),
    ),
    st.builds(
        "{}-{:02d}-{:02d}T{:02d}:00:00{}".format,
        st.sampled_from([1, 1994, 2020, 9999]),
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(0, 23),
        st.sampled_from(["", "Z", "+14:00", "-12:00", "+05:30"]),
    ),
    st.sampled_from(HOSTILE_STRINGS),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
)


@FAST
@given(DATE_TEXT)
def test_parse_when_on_date_shaped_junk(value: Any) -> None:
    try:
        when = parse_when(value, NOW)
    except ValueError as exc:
        assert len(str(exc)) < 200  # a reason, not the whole rejected value
        return
    assert when.tzinfo is not None and datetime(1995, 1, 1, tzinfo=UTC) <= when
    assert when <= NOW + timedelta(days=1)


@FAST
@given(JUNK, st.one_of(JUNK, st.sampled_from([5, 10, 100, "5", 0, -5])))
def test_normalise_rating_on_junk(raw: Any, scale: Any) -> None:
    try:
        value = normalise_rating(raw, scale)
    except ValueError:
        return
    assert math.isfinite(value) and 0 <= value <= 5


@FAST
@given(st.one_of(JUNK, st.text()))
def test_text_helpers_on_junk(value: Any) -> None:
    text = clean_text(value)
    assert "\x00" not in text and "\r" not in text and text == text.strip()
    key = reviewer_key(value if isinstance(value, str) else None)
    assert key == " ".join(key.split()) and "\u200b" not in key
    assert normalise_url(value if isinstance(value, str) else "") is not None


@pytest.mark.parametrize(
    ("url", "key"),
    [
        pytest.param("http://[::1", "http://[::1", id="ipv6-host-unclosed"),
        pytest.param(" http://[x]/ ", "http://[x]/", id="ipv6-host-invalid-and-padded"),
        pytest.param(
            "HTTPS://A.example:99999/x/#top", "https://a.example:99999/x", id="port-over-65535"
        ),
    ],
)
def test_normalise_url_never_raises(url: str, key: str) -> None:
    assert normalise_url(url) == key


REVIEW_RECORD = st.fixed_dictionaries(
    {"source": f(st.sampled_from(["ratemds", "google", "yelp", "healthgrades", "schemaorg"]))},
    optional={
        "external_id": f(IDS),
        "text": f(TEXT),
        "title": f(TEXT),
        "rating": f(RATING),
        "rating_scale": f(st.sampled_from([5, 10, 100])),
        "published_at": f(DATES),
        "published_raw": f(DATES),
        "response_text": f(TEXT),
        "response_at": f(DATES),
        "author": f(TEXT),
        "url": f(TEXT),
        "subratings": f(st.dictionaries(st.sampled_from(["staff", "knowledge"]), f(RATING))),
        "npi": f(TEXT),
        "language": f(TEXT),
        "profile_url": f(TEXT),
        "physician_name": f(TEXT),
    },
)


@FAST
@given(REVIEW_RECORD)
def test_validate_review_keeps_or_names_the_field(record: dict[str, Any]) -> None:
    try:
        review = validate_review(record, NOW)
    except Rejected as exc:
        assert exc.field.split(".")[0] in {*REVIEW_RECORD_FIELDS, "subratings"}, exc
        assert len(str(exc)) < 400
        return
    assert review.external_id and len(review.external_id) <= 300
    assert review.rating is None or 0 <= review.rating <= 5
    assert all(0 <= v <= 5 for v in review.subratings.values())


REVIEW_RECORD_FIELDS = {
    "source",
    "external_id",
    "text",
    "title",
    "rating",
    "published_at",
    "published_raw",
    "response_text",
    "response_at",
    "author",
    "url",
    "npi",
    "language",
    "profile_url",
    "physician_name",
}


# -- regressions found by the properties above ----------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda: parsers.parse_x({"errors": 1, "includes": {"users": 2}}).found,
            0,
            id="x-errors-and-users-not-lists",
        ),
        pytest.param(
            lambda: parsers.parse_ratemds(js_embed({"doctor": {"doctor_locations": 5}}), "u").found,
            0,
            id="ratemds-locations-not-a-list",
        ),
        pytest.param(
            lambda: (
                parsers.parse_reddit(
                    {"data": {"children": [{"data": {"name": "t3_" + "9" * 400}}]}}
                ).found
            ),
            0,
            id="reddit-name-over-300-chars",
        ),
        pytest.param(
            lambda: parsers.parse_x({"data": [{"id": "9" * 301}]}).problems,
            ["a post with an id over 300 characters was skipped"],
            id="x-id-over-300-chars",
        ),
        pytest.param(
            lambda: (
                parsers.parse_reddit(
                    {"data": {"children": [{"kind": "t3\x00", "data": {"id": "a"}}]}}
                )
                .mentions[0]
                .external_id
            ),
            "t3_a",
            id="reddit-kind-with-nul",
        ),
        pytest.param(lambda: as_int("²"), None, id="as-int-superscript-two"),
        pytest.param(lambda: as_int("9" * 5000), None, id="as-int-5000-digits"),
        pytest.param(lambda: as_int(10**400), None, id="as-int-beyond-float"),
        pytest.param(lambda: to_iso(10**400), None, id="to-iso-timestamp-beyond-float"),
        pytest.param(
            lambda: to_iso("9999-12-31T23:59:59-05:00"), None, id="to-iso-year-10000-in-utc"
        ),
        pytest.param(
            lambda: parsers.parse_google({"result": {"reviews": [1]}}, "u").problems,
            ["a review that is not an object was skipped"],
            id="google-review-not-an-object",
        ),
    ],
)
def test_regressions(call: Callable[[], Any], expected: Any) -> None:
    assert call() == expected


@pytest.mark.parametrize(
    ("rating", "scale", "field"),
    [
        pytest.param(10**400, 5, "rating", id="rating-beyond-float"),
        pytest.param(3, 10**400, "rating", id="scale-beyond-float"),
        pytest.param("4", [5], "rating", id="scale-a-list"),
        pytest.param(3, 5, "", id="rating-3-of-5-kept"),
    ],
)
def test_ratings_beyond_float_are_rejected(rating: Any, scale: Any, field: str) -> None:
    record = {"source": "yelp", "text": "x", "rating": rating, "rating_scale": scale}
    if not field:
        assert validate_review(record, NOW).rating == 3
        return
    with pytest.raises(Rejected) as info:
        validate_review(record, NOW)
    assert info.value.field == field and len(str(info.value)) < 200


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("9999999999 days ago", id="date-10-digit-days-ago"),
        pytest.param("999999 weeks ago", id="date-999999-weeks-ago"),
        pytest.param("0001-01-01T00:00:00+05:00", id="date-year-0-in-utc"),
        pytest.param(10**400, id="date-unix-time-beyond-float"),
        pytest.param([1] * 10**5, id="date-a-list-of-100k"),
    ],
)
def test_dates_out_of_range_are_rejected_with_a_short_reason(value: Any) -> None:
    with pytest.raises(ValueError) as info:
        parse_when(value, NOW)
    assert len(str(info.value)) < 120
    with pytest.raises(Rejected):
        validate_review({"source": "google", "rating": 3, "published_at": value}, NOW)
