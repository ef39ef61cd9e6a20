"""What every parser returns, and the small value helpers parsers share."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reputation.imports.normalize import is_iso_date, normalise_rating
from spiders.items import MentionItem, ReviewItem

__all__ = [
    "ParseResult",
    "as_body",
    "as_dict",
    "as_float",
    "as_int",
    "as_list",
    "as_text",
    "load_json",
    "public_rating",
    "stable_id",
    "to_iso",
]


@dataclass
class ParseResult:
    """Reviews or mentions found on one page, what the page says about itself, and problems."""

    reviews: list[ReviewItem] = field(default_factory=list)
    mentions: list[MentionItem] = field(default_factory=list)
    aggregate_count: int | None = None
    aggregate_rating: float | None = None  # the site's own rating of the profile, 5-point scale
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
_INT_LIMIT = 2**63


def to_iso(value: Any) -> str | None:
    """ISO 8601 for an absolute date (ISO text, unix time, "Jan 28, 2017"), else None.

    A time is given in UTC ("2017-01-28T15:00:00+00:00"); a date without a time of day stays
    a date ("2017-01-28"), so it is not mistaken for midnight UTC. Relative strings
    ("3 weeks ago") and placeholders such as "January 1, 0001" give None; callers keep the
    raw string for the pipeline to resolve against the crawl time.
    """
    when: datetime | None = None
    day_only = False
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            when = datetime.fromtimestamp(value / 1000 if value > 1e12 else value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            day_only = is_iso_date(text)
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    when = datetime.strptime(text, fmt)
                    day_only = "%H" not in fmt
                    break
                except ValueError:
                    continue
    if when is None or when.year < 1990:
        return None
    if day_only:
        return when.date().isoformat()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC).isoformat()
    except OverflowError:  # 9999-12-31T23:00-05:00 is past datetime.max in UTC
        return None


def as_text(value: Any) -> str:
    """A string with HTML entities decoded and whitespace collapsed; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    # NUL is the one character dropped: PostgreSQL text cannot hold it (and "&#0;" decodes
    # to U+FFFD, not NUL). Everything else stays as the site wrote it.
    return _SPACES.sub(" ", html.unescape(value.replace("\x00", ""))).strip()


def as_body(value: Any) -> str:
    """Review text kept as written (line breaks, spacing), entities decoded, ends stripped."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(value.replace("\x00", ""))
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def public_rating(value: Any, best: Any = 5.0) -> float | None:
    """A site's own rating on 5 stars; None for 0 ("not rated yet"), NaN, negative or > scale."""
    try:
        stars = normalise_rating(value, best)
    except ValueError:
        return None
    return stars if stars > 0 else None


def as_int(value: Any) -> int | None:
    """An int from a number or numeric string ("1,234" too), else None."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        digits = value.strip().replace(",", "")
        try:
            # isdigit() admits "²" and int() refuses more than 4300 digits: both are not counts.
            number = int(digits) if digits.isdigit() else None
        except ValueError:
            return None
    # Counts, ids and page numbers beyond 64 bits are junk, and would overflow a database column.
    return number if number is not None and abs(number) < _INT_LIMIT else None


def stable_id(*parts: Any) -> str:
    """A short deterministic id for reviews a site gives no id for."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:20]


def load_json(text: str) -> tuple[Any, str]:
    """(decoded value, "") or (None, why not): invalid JSON and too-deep nesting alike."""
    try:
        return json.loads(text), ""
    except ValueError as exc:
        return None, f"not valid JSON: {str(exc)[:200]}"
    except RecursionError:
        # json.loads recurses per nesting level: a page nesting 100k arrays must not kill a crawl.
        return None, "JSON nested too deeply to read"
