"""schema.org Review / AggregateRating from any page: JSON-LD first, microdata too.

Plain parsel (no extruct): a small walk over the two syntaxes is all the spiders need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector

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
    stable_id,
    to_iso,
)

__all__ = ["microdata_aggregate", "microdata_reviews", "parse_schemaorg"]

_COMPLETE = re.compile(r"</html\s*>", re.IGNORECASE)


def _prop(name: str) -> str:
    """XPath predicate: itemprop holds `name` among its space-separated values."""
    return f"contains(concat(' ', normalize-space(@itemprop), ' '), ' {name} ')"


def _types(value: Any) -> set[str]:
    raw = value if isinstance(value, list) else [value]
    return {str(t).rsplit("/", 1)[-1] for t in raw if isinstance(t, str)}


def _value(node: Selector) -> str:
    """A microdata property's value: content/datetime/href attributes, else its text."""
    for attr in ("content", "datetime", "href"):
        got = node.attrib.get(attr)
        if got is not None:
            return got
    return " ".join(node.xpath(".//text()").getall())


def _own(scope: Selector, name: str) -> list[Selector]:
    """Properties `name` of this itemscope, not of itemscopes nested inside it."""
    nodes = scope.xpath(f".//*[{_prop(name)}]")
    depth = len(scope.xpath("ancestor-or-self::*[@itemscope]"))
    return [n for n in nodes if len(n.xpath("ancestor::*[@itemscope]")) == depth]


def _first(scope: Selector, name: str) -> str:
    nodes = _own(scope, name)
    return as_text(_value(nodes[0])) if nodes else ""


def microdata_reviews(sel: Selector) -> list[dict[str, Any]]:
    """Raw review fields of every microdata Review on the page."""
    out = []
    query = "//*[@itemscope and (contains(@itemtype, 'schema.org/Review') or " + _prop("review")
    for scope in sel.xpath(query + ")]"):
        if "Review" not in (scope.attrib.get("itemtype") or "Review"):
            continue
        author = ""
        for node in _own(scope, "author"):
            author = _first(node, "name") if "itemscope" in node.attrib else as_text(_value(node))
            break
        rating = best = None
        for node in _own(scope, "reviewRating"):
            rating = as_float(_first(node, "ratingValue"))
            best = as_float(_first(node, "bestRating"))
            break
        out.append(
            {
                "id": scope.attrib.get("id", "") or _first(scope, "identifier"),
                "author": author,
                "rating": rating,
                "best": best,
                "title": _first(scope, "name"),
                "text": _first(scope, "reviewBody") or _first(scope, "description"),
                "date": _first(scope, "datePublished") or _first(scope, "dateCreated"),
                "url": _first(scope, "url"),
            }
        )
    return out


def microdata_aggregate(sel: Selector) -> tuple[int | None, float | None]:
    """(review count, rating on 5 stars) of the first microdata AggregateRating, if any."""
    for scope in sel.xpath("//*[@itemscope and contains(@itemtype, 'AggregateRating')]"):
        count = as_int(_first(scope, "reviewCount"))
        if count is None:
            count = as_int(_first(scope, "ratingCount"))
        rating = public_rating(_first(scope, "ratingValue"), _first(scope, "bestRating"))
        if count is not None or rating is not None:
            return count, rating
    return None, None


def _walk(root: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON value, depth first, in document order (no recursion: no limit)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            stack.extend(reversed([v for k, v in node.items() if k != "@context"]))


def _jsonld_nodes(sel: Selector, problems: list[str]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for i, block in enumerate(sel.xpath("//script[@type='application/ld+json']/text()").getall()):
        data, problem = load_json(block)
        if problem:
            problems.append(f"JSON-LD block {i + 1}: {problem}")
            continue
        nodes.extend(_walk(data))
    return nodes


def _name_of(value: Any) -> str:
    if isinstance(value, dict):
        return as_text(value.get("name"))
    return as_text(value)


def parse_schemaorg(html: str, url: str, source: str = "schemaorg") -> ParseResult:
    """Reviews and the aggregate count from JSON-LD and microdata on any page."""
    result = ParseResult()
    try:
        sel = Selector(text=html)
    except (TypeError, ValueError) as exc:
        result.problems.append(f"not parseable as HTML: {exc}")
        return result
    raw: list[dict[str, Any]] = []
    for node in _jsonld_nodes(sel, result.problems):
        kinds = _types(node.get("@type"))
        if "AggregateRating" in kinds and result.aggregate_count is None:
            result.aggregate_count = as_int(node.get("reviewCount", node.get("ratingCount")))
        if "AggregateRating" in kinds and result.aggregate_rating is None:
            result.aggregate_rating = public_rating(node.get("ratingValue"), node.get("bestRating"))
        if kinds & {"Physician", "Hospital", "MedicalClinic", "MedicalOrganization", "Person"}:
            result.physician_name = result.physician_name or _name_of(node)
        if "Review" in kinds:
            rating = as_dict(node.get("reviewRating"))
            raw.append(
                {
                    "id": as_text(node.get("@id") or node.get("identifier") or ""),
                    "author": _name_of(node.get("author")),
                    "rating": as_float(rating.get("ratingValue")),
                    "best": as_float(rating.get("bestRating")),
                    "title": as_text(node.get("name")),
                    "text": as_body(node.get("reviewBody") or node.get("description")),
                    "date": as_text(node.get("datePublished") or node.get("dateCreated")),
                    "url": as_text(node.get("url")),
                }
            )
    jsonld_count = len(raw)
    if not raw:
        raw = microdata_reviews(sel)
    if result.aggregate_count is None:
        result.aggregate_count, stars = microdata_aggregate(sel)
        result.aggregate_rating = result.aggregate_rating or stars
    if not result.physician_name:
        result.physician_name = as_text(" ".join(sel.xpath("//h1//text()").getall()))
    seen: set[str] = set()
    for r in raw:
        if not r["text"] and r["rating"] is None:
            result.problems.append("a Review without text or rating was skipped")
            continue
        external = r["id"] or stable_id(url, r["author"], r["date"], r["text"][:200])
        if external in seen:
            continue
        seen.add(external)
        result.reviews.append(
            ReviewItem(
                source=source,
                external_id=external,
                profile_url=url,
                url=r["url"] or f"{url}#{external}",
                physician_name=result.physician_name,
                author=r["author"],
                rating=r["rating"],
                rating_scale=r["best"] or 5.0,
                title=r["title"],
                text=r["text"],
                published_at=to_iso(r["date"]),
                published_raw=r["date"],
            )
        )
    if jsonld_count == 0 and not raw and result.aggregate_count:
        result.problems.append(f"page claims {result.aggregate_count} reviews, none marked up")
    if not result.reviews and not _COMPLETE.search(html):
        # A page cut short (or empty) must not read as "this page has no reviews".
        result.problems.append("page ends before </html>: empty or truncated")
    return result
