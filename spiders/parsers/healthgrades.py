"""Healthgrades profiles: the `pageState.pes` object cut out of the page, and comment pages.

Further pages come from a comments endpoint. Its real shape is not public; the spider and
the sandbox use `<site>/api4/providerprofile/comments?pwid=CODE&currentPage=N&perPage=K`
answering `{"results": [...], "totalCommentCount": T, "currentPage": N, "totalPages": P}`,
whose results have the same fields as `model.comments.results` in the page state.
"""

from __future__ import annotations

import json
from typing import Any

from spiders.items import ReviewItem
from spiders.parsers.result import (
    ParseResult,
    as_body,
    as_dict,
    as_float,
    as_int,
    as_text,
    load_json,
    public_rating,
    to_iso,
)

__all__ = ["comments_url", "extract_pes", "parse_healthgrades", "parse_healthgrades_comments"]

_MARKERS = ("pageState.pes", "pageState['pes']", 'pageState["pes"]')


def extract_pes(page: str) -> dict[str, Any] | None:
    """The `pageState.pes` object from a page's script (or from the bare object text)."""
    start = -1
    for marker in _MARKERS:
        at = page.find(marker)
        if at >= 0:
            equals = page.find("=", at + len(marker))
            start = page.find("{", equals) if equals >= 0 else -1
            break
    if start < 0 and page.lstrip().startswith("{"):
        start = page.find("{")
    if start < 0:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(page, start)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def comments_url(profile_url: str, provider_code: str, page: int, per_page: int = 10) -> str:
    """The comments-endpoint URL of page `page`, on the site (and path prefix) of the profile."""
    base, sep, _ = profile_url.partition("/physician/")
    if not sep:
        base = profile_url.split("?")[0].rstrip("/").rsplit("/", 1)[0]
    return (
        f"{base}/api4/providerprofile/comments?pwid={provider_code}"
        f"&currentPage={page}&perPage={per_page}&sortOption=1"
    )


def _review(c: dict[str, Any], profile_url: str, name: str) -> ReviewItem | None:
    external = as_text(c.get("commentId"))
    if not external:
        return None
    response = as_dict(c.get("providerResponse"))
    response_text = as_body(response.get("commentText"))
    submitted = c.get("submittedDate")
    return ReviewItem(
        source="healthgrades",
        external_id=external,
        profile_url=profile_url,
        url=f"{profile_url}#review-{external}",
        physician_name=name,
        author=as_text(c.get("displayName")),
        rating=as_float(c.get("overallScore")),
        rating_scale=5.0,
        text=as_body(c.get("commentText")),
        published_at=to_iso(submitted),
        published_raw=submitted if isinstance(submitted, str) else "",
        response_text=response_text,
        response_at=to_iso(response.get("insertedOn")) if response_text else None,
    )


def _comments(rows: Any, profile_url: str, name: str, result: ParseResult) -> None:
    if not isinstance(rows, list):
        result.problems.append("comments.results missing or not a list")
        return
    for row in rows:
        item = _review(row, profile_url, name) if isinstance(row, dict) else None
        if item is None:
            result.problems.append("a comment without commentId was skipped")
        else:
            result.reviews.append(item)


def parse_healthgrades(page: str, profile_url: str) -> ParseResult:
    """Reviews, provider and counts from a profile page carrying `pageState.pes`."""
    result = ParseResult()
    pes = extract_pes(page)
    if pes is None:
        result.problems.append("no pageState.pes object found in the page")
        return result
    model = pes.get("model")
    if not isinstance(model, dict):
        result.problems.append("pageState.pes has no model")
        return result
    result.physician_name = as_text(model.get("providerName")) or as_text(model.get("displayName"))
    result.specialty = as_text(model.get("specialty"))
    result.provider_id = as_text(model.get("providerCode"))
    comments = as_dict(model.get("comments"))
    overall = as_dict(model.get("overall"))
    total = as_int(comments.get("totalCommentCount"))
    result.aggregate_count = total if total is not None else as_int(overall.get("reviewCount"))
    result.aggregate_rating = public_rating(overall.get("actualScore"))
    if comments.get("suppressed") or model.get("commentsSuppressed"):
        result.problems.append("comments are suppressed on this profile")
    _comments(comments.get("results"), profile_url, result.physician_name, result)
    if result.aggregate_count and result.aggregate_count > len(result.reviews) and result.reviews:
        result.next_page = 2
    return result


def parse_healthgrades_comments(text: str, profile_url: str, name: str = "") -> ParseResult:
    """Reviews and paging from one comments-endpoint response."""
    result = ParseResult(physician_name=name)
    data, problem = load_json(text)
    if problem:
        result.problems.append(f"comments response: {problem}")
        return result
    if not isinstance(data, dict):
        result.problems.append("comments response is not an object")
        return result
    result.aggregate_count = as_int(data.get("totalCommentCount"))
    _comments(data.get("results"), profile_url, name, result)
    current, pages = as_int(data.get("currentPage")), as_int(data.get("totalPages"))
    if current is not None and pages is not None and current < pages:
        result.next_page = current + 1
    return result
