"""What a review is on its way in: the one validation used by crawls and imports alike."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reputation.imports.normalize import (
    clean_text,
    content_hash,
    normalise_rating,
    parse_day_or_time,
)

__all__ = [
    "MENTION_SOURCES",
    "REVIEW_SOURCES",
    "SOURCES",
    "Rejected",
    "ReviewIn",
    "validate_review",
]

REVIEW_SOURCES = ("ratemds", "healthgrades", "google", "yelp", "schemaorg")
MENTION_SOURCES = ("reddit", "x")
SOURCES = REVIEW_SOURCES + MENTION_SOURCES
SUBRATING_NAMES = ("staff", "punctuality", "helpfulness", "knowledge")


class Rejected(ValueError):
    """A review that fails validation; `field` and `reason` say why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ReviewIn:
    """A validated, normalised review, ready to be stored."""

    source: str
    external_id: str
    text: str
    rating: float | None
    rating_raw: float | None
    rating_scale: float | None
    published_at: datetime | None
    author: str = ""
    # The site gave a date with no time of day: published_at is 00:00 UTC of that date.
    published_date_only: bool = False
    title: str = ""
    subratings: dict[str, float] = field(default_factory=dict)
    response_text: str | None = None
    response_at: datetime | None = None
    url: str = ""
    language: str = ""
    npi: str = ""
    profile_url: str = ""
    physician_name: str = ""

    @property
    def content_hash(self) -> str:
        """Hash of title, text and rating: a change means the review was edited."""
        return content_hash(self.title, self.text, self.rating)


def _text(raw: Mapping[str, Any], name: str, limit: int = 100_000) -> str:
    value = raw.get(name)
    if value is not None and not isinstance(value, str | int | float):
        raise Rejected(name, f"must be text, got {type(value).__name__}")
    text = clean_text(value)
    if len(text) > limit:
        raise Rejected(name, f"longer than {limit} characters")
    return text


def _when(raw: Mapping[str, Any], name: str, now: datetime) -> tuple[datetime | None, bool]:
    """The field's date (None when absent) and whether it is a date with no time of day."""
    value = raw.get(name)
    if value in (None, ""):
        return None, False
    try:
        return parse_day_or_time(value, now)
    except ValueError as exc:
        raise Rejected(name, str(exc)) from None


def _subratings(raw: Mapping[str, Any], scale: Any) -> dict[str, float]:
    value = raw.get("subratings") or {}
    if not isinstance(value, Mapping):
        raise Rejected("subratings", "must be an object of name: rating")
    result = {}
    for key, sub in value.items():
        if sub in (None, ""):
            continue
        try:
            result[str(key)] = normalise_rating(sub, scale or 5)
        except ValueError as exc:
            raise Rejected(f"subratings.{key}", str(exc)) from None
    return result


def validate_review(raw: Mapping[str, Any], now: datetime) -> ReviewIn:
    """Check and normalise one review record; raises Rejected naming the field and problem."""
    source = _text(raw, "source", 40).lower()
    if source not in REVIEW_SOURCES:
        raise Rejected("source", f"unknown source {source!r} (one of {', '.join(REVIEW_SOURCES)})")
    text = _text(raw, "text")
    title = _text(raw, "title", 2000)
    rating: float | None = None
    rating_raw: float | None = None
    scale_value = raw.get("rating_scale")
    scale: float | None = None
    if raw.get("rating") not in (None, ""):
        try:
            rating = normalise_rating(raw["rating"], scale_value if scale_value else 5)
            rating_raw = float(raw["rating"])
            scale = float(scale_value) if scale_value else 5.0
        except ValueError as exc:
            raise Rejected("rating", str(exc)) from None
    if not text and not title and rating is None:
        raise Rejected("text", "a review needs text or a rating")
    published, date_only = _when(raw, "published_at", now)
    if published is None and raw.get("published_raw"):
        published, date_only = _when(raw, "published_raw", now)
    response_text = _text(raw, "response_text") or None
    response_at = _when(raw, "response_at", now)[0] if response_text else None
    author = _text(raw, "author", 300)
    url = _text(raw, "url", 2000)
    external_id = _text(raw, "external_id", 300)
    if not external_id:
        # Exports of other tools may carry no id: the content identifies the review.
        key = "\x1f".join(
            (
                source,
                str(raw.get("npi") or raw.get("profile_url") or ""),
                author,
                published.isoformat() if published else "",
                title,
                text,
            )
        )
        external_id = "h:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    npi = _text(raw, "npi", 20)
    return ReviewIn(
        source=source,
        external_id=external_id,
        text=text,
        rating=rating,
        rating_raw=rating_raw,
        rating_scale=scale,
        published_at=published,
        author=author,
        published_date_only=date_only,
        title=title,
        subratings=_subratings(raw, scale_value),
        response_text=response_text,
        response_at=response_at,
        url=url,
        language=_text(raw, "language", 20),
        npi=npi,
        profile_url=_text(raw, "profile_url", 2000),
        physician_name=_text(raw, "physician_name", 300),
    )
