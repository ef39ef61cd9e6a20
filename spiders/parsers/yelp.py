"""Yelp reviews: Fusion `/v3/businesses/{id}/reviews`, and the site's flattened review feed."""

from __future__ import annotations

from typing import Any

from spiders.items import ReviewItem
from spiders.parsers.result import ParseResult, as_body, as_dict, as_float, as_int, as_text, to_iso

__all__ = ["parse_yelp"]


def _fusion(r: dict[str, Any], business_url: str) -> ReviewItem | None:
    if not as_text(r.get("id")):
        return None
    user = as_dict(r.get("user"))
    created = as_text(r.get("time_created"))
    return ReviewItem(
        source="yelp",
        external_id=as_text(r.get("id")),
        profile_url=business_url,
        url=as_text(r.get("url")) or business_url,
        author=as_text(user.get("name")),
        rating=as_float(r.get("rating")),
        rating_scale=5.0,
        text=as_body(r.get("text")),
        # Fusion gives business-local time without a zone; UTC is within a day of it.
        published_at=to_iso(created),
        published_raw=created,
        language=as_text(r.get("language")),
    )


def _feed(r: dict[str, Any], business_url: str) -> ReviewItem | None:
    if not as_text(r.get("encid")):
        return None
    text = as_dict(r.get("text"))
    author = as_dict(r.get("author"))
    business = as_dict(r.get("business"))
    return ReviewItem(
        source="yelp",
        external_id=as_text(r.get("encid")),
        profile_url=business_url,
        url=business_url,
        physician_name=as_text(business.get("name")),
        author=as_text(author.get("displayName")),
        rating=as_float(r.get("rating")),
        text=as_body(text.get("full")),
        published_at=to_iso(r.get("createdAt")),
        published_raw=as_text(r.get("createdAt")),
        language=as_text(text.get("language")),
    )


def parse_yelp(data: Any, business_url: str) -> ParseResult:
    """Reviews from a Fusion reviews response (or a list of review-feed entries)."""
    result = ParseResult()
    if isinstance(data, list):
        rows, convert = data, _feed
    elif isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            result.problems.append(
                f"API error {error.get('code')}: {as_text(error.get('description'))}"
            )
            return result
        rows, convert = data.get("reviews", []), _fusion
        result.aggregate_count = as_int(data.get("total"))
    else:
        result.problems.append("response is not JSON object or list")
        return result
    if not isinstance(rows, list):
        result.problems.append("reviews is not a list")
        return result
    for r in rows:
        item = convert(r, business_url) if isinstance(r, dict) else None
        if item is None:
            result.problems.append("a review without an id was skipped")
        else:
            result.reviews.append(item)
    return result
