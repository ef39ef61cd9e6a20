"""What every parser returns, and the small value helpers parsers share."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spiders.items import MentionItem, ReviewItem

__all__ = [
    "ParseResult",
    "as_body",
    "as_dict",
    "as_float",
    "as_int",
    "as_text",
    "stable_id",
    "to_iso",
]


@dataclass
class ParseResult:
    """Reviews or mentions found on one page, what the page says about itself, and problems."""

    reviews: list[ReviewItem] = field(default_factory=list)
    mentions: list[MentionItem] = field(default_factory=list)
    aggregate_count: int | None = None
    next_page: int | None = None
    next_token: str | None = None
    physician_name: str = ""
    specialty: str = ""
    locations: list[str] = field(default_factory=list)
    provider_id: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> int:
        """How many reviews and mentions were extracted."""
        return len(self.reviews) + len(self.mentions)


_DATE_FORMATS = (
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%d %b %Y",
    "%m/%d/%Y",
)
_SPACES = re.compile(r"\s+")


def to_iso(value: Any) -> str | None:
    """ISO 8601 UTC for an absolute date (ISO text, unix time, "Jan 28, 2017"), else None.

    Relative strings ("3 weeks ago") and placeholders such as "January 1, 0001" give None;
    callers keep the raw string for the pipeline to resolve against the crawl time.
    """
    when: datetime | None = None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e12 else value
        try:
            when = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    when = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if when is None or when.year < 1990:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def as_text(value: Any) -> str:
    """A string with HTML entities decoded and whitespace collapsed; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub(" ", html.unescape(value)).strip()


def as_body(value: Any) -> str:
    """Review text kept as written (line breaks, spacing), entities decoded, ends stripped."""
    if not isinstance(value, str):
        return ""
    return html.unescape(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def as_int(value: Any) -> int | None:
    """An int from a number or numeric string ("1,234" too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = value.strip().replace(",", "")
        if digits.isdigit():
            return int(digits)
    return None


def stable_id(*parts: Any) -> str:
    """A short deterministic id for reviews a site gives no id for."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:20]
