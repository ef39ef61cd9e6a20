"""Google Places reviews: the new API (`places/{id}?fields=reviews`) and legacy Place Details."""

from __future__ import annotations

from typing import Any

from spiders.items import ReviewItem
from spiders.parsers.result import (
    ParseResult,
    as_body,
    as_dict,
    as_float,
    as_int,
    as_text,
    public_rating,
    stable_id,
    to_iso,
)

__all__ = ["parse_google"]


def _new(data: dict[str, Any], place_url: str, result: ParseResult) -> None:
    result.aggregate_count = as_int(data.get("userRatingCount"))
    result.aggregate_rating = public_rating(data.get("rating"))
    name = data.get("displayName")
    result.physician_name = as_text(name.get("text") if isinstance(name, dict) else name)
    rows = data.get("reviews", [])
    if not isinstance(rows, list):
        result.problems.append("reviews is not a list")
        return
    for r in rows:
        if not isinstance(r, dict) or not as_text(r.get("name")):
            result.problems.append("a review without a resource name was skipped")
            continue
        text = as_dict(r.get("text"))
        original = as_dict(r.get("originalText"))
        author = as_dict(r.get("authorAttribution"))
        relative = as_text(r.get("relativePublishTimeDescription"))
        result.reviews.append(
            ReviewItem(
                source="google",
                external_id=as_text(r.get("name")),
                profile_url=place_url,
                url=as_text(r.get("googleMapsUri")) or place_url,
                physician_name=result.physician_name,
                author=as_text(author.get("displayName")),
                rating=as_float(r.get("rating")),
                rating_scale=5.0,
                text=as_body(original.get("text")) or as_body(text.get("text")),
                published_at=to_iso(r.get("publishTime")),
                published_raw=as_text(r.get("publishTime")) or relative,
                language=as_text(original.get("languageCode")) or as_text(text.get("languageCode")),
            )
        )


def _legacy(data: dict[str, Any], place_url: str, result: ParseResult) -> None:
    status = as_text(data.get("status"))
    if status not in ("OK", ""):
        result.problems.append(
            f"Place Details status {status}: {as_text(data.get('error_message'))}"
        )
    place = data.get("result")
    if not isinstance(place, dict):
        return
    result.aggregate_count = as_int(place.get("user_ratings_total"))
    result.aggregate_rating = public_rating(place.get("rating"))
    result.physician_name = as_text(place.get("name"))
    place_id = as_text(place.get("place_id"))
    rows = place.get("reviews", [])
    if not isinstance(rows, list):
        result.problems.append("result.reviews is not a list")
        return
    for r in rows:
        if not isinstance(r, dict):
            result.problems.append("a review that is not an object was skipped")
            continue
        author = as_text(r.get("author_name"))
        when = r.get("time")
        # Legacy reviews carry no id: author URL (or name) and time identify one.
        ident = stable_id(place_id, as_text(r.get("author_url")) or author, when)
        result.reviews.append(
            ReviewItem(
                source="google",
                external_id=f"legacy:{ident}",
                profile_url=place_url,
                url=as_text(place.get("url")) or place_url,
                physician_name=result.physician_name,
                author=author,
                rating=as_float(r.get("rating")),
                rating_scale=5.0,
                text=as_body(r.get("text")),
                published_at=to_iso(when),
                published_raw=as_text(r.get("relative_time_description")),
                language=as_text(r.get("language")),
            )
        )


def parse_google(data: Any, place_url: str) -> ParseResult:
    """Reviews from a Places API response of either generation; errors become problems."""
    result = ParseResult()
    if not isinstance(data, dict):
        result.problems.append("response is not a JSON object")
        return result
    error = data.get("error")
    if isinstance(error, dict):
        result.problems.append(f"API error {error.get('code')}: {as_text(error.get('message'))}")
        return result
    if "result" in data or "status" in data:
        _legacy(data, place_url, result)
    else:
        _new(data, place_url, result)
    return result
