"""The item contract between spiders and the storing pipeline.

Three kinds, told apart by the `kind` field (also in `-O out.jsonl` output):
`review` (a rated review of a physician), `mention` (a social post that may name one) and
`page` (what one fetched page looked like: status, the review count the page claims, how
many reviews were parsed) — the pipeline turns page items into crawl health.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["MentionItem", "PageItem", "PageStatus", "ReviewItem"]

PageStatus = Literal["ok", "blocked", "broken", "failed"]


@dataclass
class ReviewItem:
    """One review as the site shows it; dates as ISO 8601 when the site gives one: a time in
    UTC, or a date alone ("2026-11-06") when the site gives no time of day."""

    source: str
    external_id: str
    profile_url: str
    url: str
    physician_name: str = ""
    author: str = ""
    rating: float | None = None
    rating_scale: float = 5.0
    subratings: dict[str, float] = field(default_factory=dict)
    title: str = ""
    text: str = ""
    published_at: str | None = None
    published_raw: str = ""
    response_text: str = ""
    response_at: str | None = None
    language: str = ""
    npi: str = ""
    kind: str = "review"


@dataclass
class MentionItem:
    """A social post found by a search query; `physician_hints` are NPIs it was searched for."""

    source: str
    external_id: str
    url: str
    author: str = ""
    title: str = ""
    text: str = ""
    published_at: str | None = None
    query: str = ""
    physician_hints: list[str] = field(default_factory=list)
    kind: str = "mention"


@dataclass
class PageItem:
    """What one fetched page held, for crawl health ("blocked" / "broken") and deletions.

    `aggregate_count` is the number of reviews the page says the profile has (None when it
    does not say) and `aggregate_rating` the site's own rating of it on 5 stars;
    `reviews_found` is how many the parser extracted from this page.
    `last_page` is true when pagination ended on this page because the site had no more;
    with `full` it means every review of the profile was seen in this run. `partial` marks
    sources that only ever show a window (Google: 5, Yelp: 3), where a review missing from a
    full pass is not evidence of deletion.
    """

    source: str
    url: str
    profile_url: str
    status: PageStatus = "ok"
    http_status: int = 200
    page: int = 1
    reviews_found: int = 0
    aggregate_count: int | None = None
    aggregate_rating: float | None = None
    last_page: bool = True
    full: bool = False
    partial: bool = False
    stopped_early: bool = False
    physician_name: str = ""
    specialty: str = ""
    locations: list[str] = field(default_factory=list)
    npi: str = ""
    problems: list[str] = field(default_factory=list)
    kind: str = "page"
