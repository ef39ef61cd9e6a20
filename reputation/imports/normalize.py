"""Normalisation of what sites give us: dates, ratings, text, names. Pure functions."""

from __future__ import annotations

import hashlib
import html
import math
import re
import reprlib
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta

from reputation.wording import shorten

__all__ = [
    "CONTROL_CHARACTERS",
    "clean_text",
    "content_hash",
    "is_http_url",
    "is_iso_date",
    "normalise_rating",
    "normalise_url",
    "parse_day_or_time",
    "parse_when",
    "reviewer_key",
]

_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_RELATIVE = re.compile(
    r"^(?:(?P<n>\d+|an?|one)\s+(?P<unit>second|minute|hour|day|week|month|year)s?\s+ago"
    r"|(?P<word>today|yesterday|just now))$",
    re.IGNORECASE,
)
# Unix times above this are milliseconds (year 33658 in seconds).
_MS_THRESHOLD = 1e12
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


# What stored text may hold that a terminal or a mail client would obey: C0/C1 controls except
# tab and newline (ESC [ moves the cursor; U+009B is a one-byte CSI) and the bidi overrides and
# isolates that reverse the rest of a line or disguise a link. Removed before text is shown.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def parse_when(value: Any, now: datetime) -> datetime:
    """Turn a site's date (ISO, "Jan 28, 2017", unix time, "3 weeks ago") into aware UTC.

    Raises ValueError naming the value when it is not a date or lies in the future.
    """
    return parse_day_or_time(value, now)[0]


def parse_day_or_time(value: Any, now: datetime) -> tuple[datetime, bool]:
    """parse_when, and whether the value is a date with no time of day ("Jan 28, 2017").

    Such a date comes back at 00:00 UTC of that date; the flag says it names a calendar day,
    not an instant (reputation.published shows it as that day in every timezone).
    """
    try:
        when, date_only = _to_datetime(value, now)
        result = when.astimezone(UTC)
    except OverflowError:
        # "9999999 weeks ago", "0001-01-01T00:00+05:00": arithmetic past datetime's range.
        raise ValueError(f"date out of range: {_show(value)}") from None
    if result > now + timedelta(days=1):
        raise ValueError(f"date in the future: {_show(value)}")
    if result < _EARLIEST:
        raise ValueError(f"date before 1995: {_show(value)}")
    return result, date_only


def _show(value: Any) -> str:
    """A value for an error message, cut short: a rejected 20 MB field must not fill the log."""
    try:
        text = reprlib.repr(value)  # bounded in depth and length, unlike repr()
    except ValueError:  # an int of more than 4300 digits has no repr
        text = f"<{type(value).__name__}>"
    return shorten(text, 80, "...")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _to_datetime(value: Any, now: datetime) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        return _utc(value), False
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC), True
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        try:
            stamp = datetime.fromtimestamp(value / 1000 if value > _MS_THRESHOLD else value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"unix time out of range: {_show(value)}") from None
        return stamp, False
    if isinstance(value, str):
        return _parse_text(value.strip(), now)
    raise ValueError(f"not a date: {_show(value)}")


def _parse_text(text: str, now: datetime) -> tuple[datetime, bool]:
    if not text:
        raise ValueError("empty date")
    if len(text) > 200:  # no date is this long; dateutil would scan all of it
        raise ValueError(f"unrecognised date {text[:60]!r}")
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return parse_when(float(text), now), False
    match = _RELATIVE.match(" ".join(text.split()))
    if match:
        return _relative(match, now), False
    try:
        parsed = datetime.fromisoformat(text)  # the common case, and fast
    except ValueError:
        parsed = None
    if parsed is not None:
        return _utc(parsed), is_iso_date(text)  # a date alone has no offset: 00:00 UTC
    # Parts the text leaves out come from `default`; the hour comes from it only when the text
    # gives no time of day, so two defaults with different hours tell a date alone.
    midnight = now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    try:
        parsed = dateparser.parse(text, default=midnight)
        noon = dateparser.parse(text, default=midnight.replace(hour=12))
    except (ValueError, OverflowError, TypeError):
        raise ValueError(f"unrecognised date {text[:60]!r}") from None
    if parsed is None or noon is None:
        raise ValueError(f"unrecognised date {text[:60]!r}")
    if parsed.hour != noon.hour:
        return datetime.combine(parsed.date(), time(0), tzinfo=UTC), True
    return _utc(parsed), False


def is_iso_date(text: str) -> bool:
    """Whether text is an ISO 8601 date alone ("2017-01-28"), with no time of day."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _relative(match: re.Match[str], now: datetime) -> datetime:
    word = (match.group("word") or "").lower()
    if word in {"today", "just now"}:
        return now
    if word == "yesterday":
        return now - timedelta(days=1)
    raw_n = match.group("n").lower()
    n = 1 if raw_n in {"a", "an", "one"} else int(raw_n)
    unit = match.group("unit").lower()
    if unit == "month":
        return now - relativedelta(months=n)
    if unit == "year":
        return now - relativedelta(years=n)
    return now - n * _UNITS[unit]


def normalise_rating(raw: Any, scale: Any = 5) -> float:
    """Map a rating on a 0..scale (or 1..scale) scale to 0-5; ValueError if out of range."""
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):  # an int of 400 digits overflows float()
        raise ValueError(f"rating is not a number: {_show(raw)}") from None
    try:
        top = float(scale) if scale not in (None, "") else 5.0
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"rating scale is not a number: {_show(scale)}") from None
    if isinstance(raw, bool) or not math.isfinite(value) or not math.isfinite(top) or top <= 0:
        raise ValueError(
            f"rating is not a finite number on a positive scale: {_show(raw)}/{_show(scale)}"
        )
    if not 0 <= value <= top:
        raise ValueError(f"rating {_show(raw)} outside 0..{top:g}")
    return round(min(value / top, 1.0) * 5.0, 3)


_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\n\s*\n\s*(?:\n\s*)+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(value: Any) -> str:
    """Decode HTML entities, normalise Unicode (NFC) and whitespace; keeps the words as written."""
    if value is None:
        return ""
    # NUL is dropped, deliberately: PostgreSQL text columns cannot store it. Other characters
    # (markup, bidi controls, zero-width joiners) are kept; renderers make them harmless.
    text = html.unescape(str(value).replace("\x00", ""))
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


def content_hash(title: str, text: str, rating: float | None) -> str:
    """A stable hash of what a reader sees of a review (edits change it)."""
    key = f"{title}\x1f{text}\x1f{'' if rating is None else f'{rating:.3f}'}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


_ANONYMOUS = {"", "anonymous", "anon", "a patient", "patient", "verified patient", "guest", "user"}


def reviewer_key(author: str | None) -> str:
    """A reviewer's name folded for matching across sites; empty for anonymous authors."""
    folded = unicodedata.normalize("NFKD", _ZERO_WIDTH.sub("", author or ""))
    folded = "".join(c for c in folded if c.isalnum() or c.isspace()).lower()
    folded = " ".join(folded.split())
    return "" if folded in _ANONYMOUS else folded


def is_http_url(text: str) -> bool:
    """Whether text is an http(s) URL with a host ("http://[::1" is not)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def normalise_url(url: str) -> str:
    """A URL as a matching key: lower-case scheme and host, no fragment or trailing slash.

    Text that is no valid URL ("http://[::1") is its own key: an imported review must not
    crash the import over its profile URL.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
