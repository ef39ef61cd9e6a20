"""Shared pieces of the hostile-input tests (tests/test_hostile_*.py): hypothesis strategies for
hostile values, the check every parsed review must pass, and builders of hostile pages that more
than one of those files uses. Not a test module."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from reputation.imports.incoming import Rejected, ReviewIn, validate_review
from spiders.items import ReviewItem

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies: hostile values, and a field that is usually valid and sometimes anything ----

HOSTILE_STRINGS = [
    "",
    " \t\n",
    "\x00",
    "a\x00b",
    "NaN",
    "Infinity",
    "1e400",
    "-1",
    "²",
    "9" * 5000,
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "99999999 weeks ago",
    "9999999999999999999999 days ago",
    "January 1, 0001",
    "<script>alert(1)</script>",
    "\u202egnp.exe",
    "Pat\r\nBcc: victim@evil.example",
    "\x1b[2J\x1b[31mred",
    "&#0;&amp;lt;b&amp;gt;",
    "\ud7ff\ufeff\u200b",
]
JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_STRINGS),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
TEXT = st.text(max_size=60)
DATES: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["2024-03-05T10:20:30Z", "Jan 28, 2017", "3 weeks ago", "2019-06-01"]),
    st.integers(min_value=0, max_value=2_000_000_000_000),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)
RATING: st.SearchStrategy[Any] = st.one_of(
    st.floats(min_value=0, max_value=5), st.integers(0, 10), st.sampled_from(["4", "4.5"])
)
IDS: st.SearchStrategy[Any] = st.one_of(st.integers(1, 10**9), st.text(min_size=1, max_size=12))


def f(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field: usually valid, sometimes anything at all."""
    return st.one_of(valid, valid, JUNK)


# -- what must hold of every parsed review ---------------------------------------------------


def validated(item: ReviewItem) -> ReviewIn | None:
    """The pipeline's decision on one item: a stored review, or None after a named rejection."""
    try:
        review = validate_review(asdict(item), NOW)
    except Rejected as exc:
        assert exc.field and exc.reason, exc
        return None
    assert review.rating is None or 0 <= review.rating <= 5
    assert review.published_at is None or review.published_at <= NOW + timedelta(days=1)
    assert "\x00" not in review.text + review.author + review.title + review.external_id
    return review


# -- hostile pages --------------------------------------------------------------------------


def js_embed(doc: Any) -> str:
    """A RateMDs page carrying `doc` the way the site does (a JSON string in JSON.parse)."""
    return f"<html><script>window.DATA.doctorDetailProps = JSON.parse({json.dumps(json.dumps(doc))});</script></html>"  # noqa: E501


def review_page(text: str) -> str:
    """A schema.org microdata page with one review whose body is `text`."""
    return (
        '<html><body><h1 itemprop="name">Dr. Peña</h1><div itemscope '
        'itemtype="http://schema.org/Review" id="r1"><span itemprop="author">Íñigo</span>'
        '<div itemprop="reviewRating" itemscope><meta itemprop="ratingValue" content="4"></div>'
        f'<p itemprop="reviewBody">{text}</p></div></body></html>'
    )


MB = 1_000_000


def long_reviews(n: int, size: int) -> list[dict[str, Any]]:
    """`n` reviews of `size` characters of non-ASCII text, numbered from 0."""
    text = ("Dr. Müller “listened” — naïve café ✓ " * (size // 36 + 1))[:size]
    return [{"n": i, "text": text} for i in range(n)]


def jsonld_huge(n: int) -> str:
    """A JSON-LD page with `n` reviews of 2,000 characters (over 20 MB at 9,500)."""
    rows = [
        {"@type": "Review", "reviewBody": r["text"], "reviewRating": {"ratingValue": 3},
         "author": {"name": f"a{r['n']}"}, "datePublished": "2024-01-01"}
        for r in long_reviews(n, 2000)
    ]  # fmt: skip
    doc = {"@type": "Physician", "name": "Dr Big", "review": rows}
    return f'<script type="application/ld+json">{json.dumps(doc, ensure_ascii=False)}</script>'


DEEP = 100_000


def deep_json(kind: str) -> str:
    """JSON nested DEEP levels: an "array" of arrays, or else objects in objects."""
    return "[" * DEEP + "]" * DEEP if kind == "array" else '{"a":' * DEEP + "1" + "}" * DEEP
