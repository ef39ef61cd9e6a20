"""How counts and long texts are worded for people (CLI, mail, digests). Pure functions."""

from __future__ import annotations

from datetime import date

__all__ = ["day_label", "plural", "shorten"]


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 review', '3 reviews'; ``many`` for a word whose plural is not word + s."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def shorten(text: str, width: int, mark: str = "…") -> str:
    """``text`` if it fits in ``width`` characters, else its start and ``mark`` in ``width``."""
    if len(text) <= width:
        return text
    return text[: max(width - len(mark), 0)].rstrip() + mark


def day_label(day: date, year: bool = True) -> str:
    """'Mon 16 Nov 2026' ('Mon 16 Nov' without the year): how every mail and digest names a
    day, the day of the month not zero-padded."""
    return f"{day:%a} {day.day} {day:%b}" + (f" {day.year}" if year else "")
