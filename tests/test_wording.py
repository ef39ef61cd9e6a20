"""Counts and long texts as people read them."""

from hypothesis import given
from hypothesis import strategies as st

from reputation.wording import day_label, plural, shorten


def test_shorten_keeps_what_fits_and_marks_what_it_cuts() -> None:
    assert shorten("Rude front desk", 15) == "Rude front desk"
    assert shorten("Rude front desk", 12) == "Rude front…"  # the cut's trailing space is dropped
    assert shorten("Rude front desk", 10, "...") == "Rude fr..."
    assert len(shorten("x" * 500, 80, "...")) == 80


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_shorten_never_exceeds_its_width(text: str, width: int) -> None:
    short = shorten(text, width)
    assert len(short) <= width
    assert short == text or short.endswith("…")


def test_plural_counts_in_words() -> None:
    assert plural(1, "review") == "1 review"
    assert plural(0, "review") == "0 reviews"
    assert plural(3, "reply", "replies") == "3 replies"
    assert plural(1, "reply", "replies") == "1 reply"


def test_day_label_is_one_format_everywhere() -> None:
    from datetime import date

    assert day_label(date(2026, 11, 4)) == "Wed 4 Nov 2026"  # not zero-padded
    assert day_label(date(2026, 11, 16), year=False) == "Mon 16 Nov"
