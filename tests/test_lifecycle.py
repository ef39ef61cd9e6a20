"""Silences as a person types them: label matchers and durations (alerts.lifecycle)."""

from datetime import timedelta

import pytest

from alerts.lifecycle import parse_duration, parse_matchers


def test_matchers_are_parsed_per_label() -> None:
    parsed = parse_matchers(["entity=physician:12", "kind=unanswered"])
    assert parsed == {"entity": "physician:12", "kind": "unanswered"}


@pytest.mark.parametrize(
    "bad", ["physician:12", "npi=123", "=cluster"], ids=["no-label", "unknown-label", "empty-label"]
)
def test_a_bad_matcher_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match=f"--match '{bad}': use kind=, entity="):
        parse_matchers([bad])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12h", timedelta(hours=12)), ("7d", timedelta(days=7)), (" 2w ", timedelta(weeks=2))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["7", "7 days", "-1d", "1.5d", ""])
def test_a_bad_duration_says_what_a_duration_looks_like(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 12h, 7d or 2w"):
        parse_duration(bad)
