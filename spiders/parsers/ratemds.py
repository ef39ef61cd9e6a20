"""RateMDs doctor profiles: `window.DATA.doctorDetailProps` JSON, microdata as fallback."""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # C, untyped
from typing import Any

from parsel import Selector

from spiders.items import ReviewItem
from spiders.parsers.result import (
    ParseResult,
    as_body,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_text,
    load_json,
    public_rating,
    to_iso,
)
from spiders.parsers.schemaorg import microdata_aggregate, microdata_reviews

__all__ = ["SUBRATINGS", "extract_props", "parse_ratemds", "parse_ratemds_json"]

SUBRATINGS = ("staff", "punctuality", "helpfulness", "knowledge")
_MARKER = "window.DATA.doctorDetailProps"
_PROPS = re.compile(r'\s*=\s*JSON\.parse\(\s*"')
_CLOSE = re.compile(r"\s*\)")


def extract_props(html: str) -> dict[str, Any] | None:
    """The decoded `doctorDetailProps` object embedded in a profile page, or None."""
    at = html.find(_MARKER)
    match = _PROPS.match(html, at + len(_MARKER)) if at >= 0 else None
    if not match:
        return None
    try:
        # The JS string literal, decoded in place: a regex capturing it first needed 17x the
        # page in backtracking memory on a 20 MB page.
        literal, end = scanstring(html, match.end())
        props = json.loads(literal) if _CLOSE.match(html, end) else None
    except (ValueError, RecursionError):
        return None
    return props if isinstance(props, dict) else None


def _review(r: dict[str, Any], profile_url: str, name: str) -> ReviewItem | None:
    external = as_int(r.get("id"))
    if external is None:
        return None
    response_text, response_at = "", None
    comments = r.get("comments")
    if isinstance(comments, list):
        for c in comments:
            if isinstance(c, dict) and as_body(c.get("comment")):
                response_text = as_body(c.get("comment"))
                response_at = to_iso(c.get("created"))
                break
    subratings = {k: v for k in SUBRATINGS if (v := as_float(r.get(k))) is not None}
    created = r.get("created")
    return ReviewItem(
        source="ratemds",
        external_id=str(external),
        profile_url=profile_url,
        url=f"{profile_url}#rating-{external}",
        physician_name=as_text(r.get("doctor_full_name")) or name,
        author="",
        rating=as_float(r.get("average")),
        rating_scale=5.0,
        subratings=subratings,
        text=as_body(r.get("comment")),
        published_at=to_iso(created),
        published_raw=created if isinstance(created, str) else "",
        response_text=response_text,
        response_at=response_at,
    )


def _ratings_page(page: Any, profile_url: str, name: str, result: ParseResult) -> None:
    if not isinstance(page, dict):
        result.problems.append("ratingsPage missing or not an object")
        return
    result.aggregate_count = as_int(page.get("count"))
    rows = page.get("results")
    if not isinstance(rows, list):
        result.problems.append("ratingsPage.results missing or not a list")
        rows = []
    for row in rows:
        item = _review(row, profile_url, name) if isinstance(row, dict) else None
        if item is None:
            result.problems.append("a rating without a numeric id was skipped")
        else:
            result.reviews.append(item)
    current, total = as_int(page.get("current_page")), as_int(page.get("total_pages"))
    if current is not None and total is not None and current < total:
        result.next_page = current + 1
    elif current is None and page.get("next"):
        result.problems.append("ratingsPage has `next` but no current_page; not following")


def _doctor(doc: Any, result: ParseResult) -> None:
    if not isinstance(doc, dict):
        return
    result.physician_name = as_text(doc.get("full_name")) or as_text(doc.get("name"))
    result.specialty = as_text(doc.get("specialty_name")) or as_text(doc.get("specialty"))
    result.provider_id = str(doc.get("id", ""))
    result.aggregate_rating = public_rating(as_dict(doc.get("rating")).get("average"))
    for entry in as_list(doc.get("doctor_locations")):
        loc = entry.get("location") if isinstance(entry, dict) else None
        if isinstance(loc, dict):
            city = as_dict(loc.get("city"))
            parts = [
                as_text(loc.get("name")),
                as_text(loc.get("address")),
                as_text(city.get("name")),
            ]
            result.locations.append(", ".join(p for p in parts if p))


def parse_ratemds(html: str, profile_url: str) -> ParseResult:
    """Reviews, doctor and paging of one RateMDs profile page (embedded JSON or microdata)."""
    result = ParseResult()
    props = extract_props(html)
    if props is not None:
        _doctor(props.get("doctor"), result)
        _ratings_page(props.get("ratingsPage"), profile_url, result.physician_name, result)
        return result
    result.problems.append("no window.DATA.doctorDetailProps; fell back to microdata")
    try:
        sel = Selector(text=html)
    except (TypeError, ValueError) as exc:
        result.problems.append(f"not parseable as HTML: {exc}")
        return result
    result.physician_name = as_text(" ".join(sel.xpath("//h1[@itemprop='name']//text()").getall()))
    result.aggregate_count, result.aggregate_rating = microdata_aggregate(sel)
    for r in microdata_reviews(sel):
        external = r["id"].removeprefix("rating-")
        if not external:
            result.problems.append("a microdata review without an id was skipped")
            continue
        result.reviews.append(
            ReviewItem(
                source="ratemds",
                external_id=external,
                profile_url=profile_url,
                url=f"{profile_url}#rating-{external}",
                physician_name=result.physician_name,
                author=r["author"],
                rating=r["rating"],
                rating_scale=r["best"] or 5.0,
                text=r["text"],
                published_at=to_iso(r["date"]),
                published_raw=r["date"],
            )
        )
    active = sel.xpath("//ul[contains(@class,'pagination')]/li[@class='active']/a/text()").get()
    pages = [as_int(t) for t in sel.xpath("//ul[contains(@class,'pagination')]//a/text()").getall()]
    current = as_int(active)
    if current is not None and any(p is not None and p > current for p in pages):
        result.next_page = current + 1
    return result


def parse_ratemds_json(text: str, profile_url: str) -> ParseResult:
    """Reviews and paging from the `?json=true&page=N` variant (a bare ratingsPage object)."""
    result = ParseResult()
    page, problem = load_json(text)
    if problem:
        result.problems.append(f"ratings JSON: {problem}")
        return result
    _ratings_page(page, profile_url, "", result)
    return result
