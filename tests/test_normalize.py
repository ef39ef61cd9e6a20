from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reputation.imports.normalize import (
    clean_text,
    normalise_rating,
    normalise_url,
    parse_day_or_time,
    parse_when,
    reviewer_key,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jan 28, 2017", datetime(2017, 1, 28, tzinfo=UTC)),
        ("2017-01-28T10:00:00-05:00", datetime(2017, 1, 28, 15, tzinfo=UTC)),
        (1485561600, datetime(2017, 1, 28, tzinfo=UTC)),
        (1485561600000, datetime(2017, 1, 28, tzinfo=UTC)),
        ("1485561600", datetime(2017, 1, 28, tzinfo=UTC)),
        ("3 weeks ago", NOW - timedelta(weeks=3)),
        ("a month ago", datetime(2026, 10, 23, 12, tzinfo=UTC)),
        ("2 years ago", datetime(2024, 11, 23, 12, tzinfo=UTC)),
        ("yesterday", NOW - timedelta(days=1)),
        ("an hour ago", NOW - timedelta(hours=1)),
    ],
)
def test_parse_when(value: object, expected: datetime) -> None:
    assert parse_when(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected", "date_only"),
    [
        ("Nov 06, 2026", datetime(2026, 11, 6, tzinfo=UTC), True),
        ("2026-11-06", datetime(2026, 11, 6, tzinfo=UTC), True),
        ("11/06/2026", datetime(2026, 11, 6, tzinfo=UTC), True),
        (date(2026, 11, 6), datetime(2026, 11, 6, tzinfo=UTC), True),
        ("2026-11-06T00:00:00Z", datetime(2026, 11, 6, tzinfo=UTC), False),
        ("Nov 06, 2026 12:00", datetime(2026, 11, 6, 12, tzinfo=UTC), False),
        ("Nov 06, 2026 3pm", datetime(2026, 11, 6, 15, tzinfo=UTC), False),
        (1485561600, datetime(2017, 1, 28, tzinfo=UTC), False),
        ("3 weeks ago", NOW - timedelta(weeks=3), False),
    ],
)
def test_a_date_without_a_time_of_day_is_told_apart(
    value: object, expected: datetime, date_only: bool
) -> None:
    assert parse_day_or_time(value, NOW) == (expected, date_only)


@pytest.mark.parametrize("value", ["", "soon", "2030-01-01", None, True, 10**20, "31/31/2020"])
def test_parse_when_rejects_with_a_reason(value: object) -> None:
    with pytest.raises(ValueError):
        parse_when(value, NOW)


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.booleans()))
def test_parse_when_only_raises_value_error(value: object) -> None:
    try:
        result = parse_when(value, NOW)
    except ValueError:
        return
    assert result.tzinfo is not None and result <= NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [(4, 5, 4.0), ("3.5", 5, 3.5), (8, 10, 4.0), (100, 100, 5.0), (0, 5, 0.0)],
)
def test_normalise_rating(raw: object, scale: object, expected: float) -> None:
    assert normalise_rating(raw, scale) == expected


@pytest.mark.parametrize(
    ("raw", "scale"), [(6, 5), (-1, 5), ("x", 5), (3, 0), (True, 5), (float("nan"), 5)]
)
def test_normalise_rating_rejects(raw: object, scale: object) -> None:
    with pytest.raises(ValueError):
        normalise_rating(raw, scale)


@given(
    st.one_of(st.text(), st.integers(), st.floats(), st.none()),
    st.one_of(st.integers(), st.floats()),
)
def test_normalise_rating_is_in_range_or_value_error(raw: object, scale: object) -> None:
    try:
        value = normalise_rating(raw, scale)
    except ValueError:
        return
    assert 0 <= value <= 5


def test_clean_text() -> None:
    raw = "  Dr.&nbsp;Smith &amp; staff\r\n\r\n\r\n\r\nwere  great "
    assert clean_text(raw) == "Dr. Smith & staff\n\nwere great"
    assert clean_text("<script>x</script>") == "<script>x</script>"  # stored faithfully
    assert clean_text(None) == ""


def test_reviewer_key_folds_names_and_drops_anonymous() -> None:
    assert reviewer_key("John  D.") == reviewer_key("john d") == "john d"
    assert reviewer_key("Anonymous") == ""
    assert reviewer_key("Jo\u200bhn D") == "john d"


def test_normalise_url() -> None:
    assert normalise_url("HTTPS://Example.org/doc/1/#reviews") == "https://example.org/doc/1"
