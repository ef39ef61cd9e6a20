"""API responses of the sandbox: Google Places (new, legacy), Yelp Fusion, Reddit, X."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from spiders.sandbox.model import Physician, Post, SandboxReview

__all__ = [
    "google_legacy",
    "google_new",
    "iso_z",
    "reddit_listing",
    "relative_time",
    "site_rating",
    "stable_num",
    "x_search",
    "yelp_reviews",
]


def stable_num(text: str) -> int:
    """A stable number for a string (hash() differs between processes)."""
    return zlib.crc32(text.encode("utf-8"))


def iso_z(when: datetime, millis: bool = False) -> str:
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def relative_time(when: datetime, now: datetime) -> str:
    """Google-style "3 weeks ago" for `when` seen at `now`."""
    days = max(0, (now - when).days)
    for limit, unit, span in ((7, "day", 1), (30, "week", 7), (365, "month", 30)):
        if days < limit:
            n = days // span
            if n <= 1:
                return (
                    "a day ago"
                    if unit == "day" and days
                    else ("today" if unit == "day" else f"a {unit} ago")
                )
            return f"{n} {unit}s ago"
    years = days // 365
    return "a year ago" if years == 1 else f"{years} years ago"


def site_rating(reviews: Sequence[SandboxReview], digits: int = 1) -> float:
    """The site's own rating of a profile: the mean of all its reviews (0 when it has none)."""
    scores = [r.rating for r in reviews]
    return round(sum(scores) / len(scores), digits) if scores else 0.0


def google_new(p: Physician, reviews: Sequence[SandboxReview], now: datetime) -> dict[str, Any]:
    """Places API (New) `places/{id}`: the 5 newest reviews."""
    out = []
    for r in reviews[:5]:
        text = {"text": r.text, "languageCode": "en"}
        out.append(
            {
                "name": f"places/{p.google_place}/reviews/{r.source_id}",
                "relativePublishTimeDescription": relative_time(r.published, now),
                "rating": r.rating,
                "text": text,
                "originalText": dict(text),
                "authorAttribution": {
                    "displayName": r.author,
                    "uri": f"https://www.google.com/maps/contrib/{stable_num(r.author) % 10**12}",
                    "photoUri": "",
                },
                "publishTime": iso_z(r.published),
                "googleMapsUri": f"https://www.google.com/maps/reviews/{r.source_id}",
            }
        )
    return {
        "id": p.google_place,
        "displayName": {"text": f"Dr. {p.name}", "languageCode": "en"},
        "rating": site_rating(reviews),
        "userRatingCount": len(reviews),
        "reviews": out,
    }


def google_legacy(p: Physician, reviews: Sequence[SandboxReview], now: datetime) -> dict[str, Any]:
    """Legacy Place Details: `result.reviews` (5 newest) and `user_ratings_total`."""
    return {
        "html_attributions": [],
        "result": {
            "name": f"Dr. {p.name}",
            "place_id": p.google_place,
            "rating": site_rating(reviews),
            "user_ratings_total": len(reviews),
            "url": f"https://maps.google.com/?cid={int(p.npi) * 7}",
            "reviews": [
                {
                    "author_name": r.author,
                    "author_url": f"https://www.google.com/maps/contrib/{r.source_id}",
                    "language": "en",
                    "rating": r.rating,
                    "relative_time_description": relative_time(r.published, now),
                    "text": r.text,
                    "time": int(r.published.timestamp()),
                }
                for r in reviews[:5]
            ],
        },
        "status": "OK",
    }


def yelp_reviews(p: Physician, reviews: Sequence[SandboxReview]) -> dict[str, Any]:
    """Fusion `/businesses/{id}/reviews`: 3 newest excerpts."""
    return {
        "reviews": [
            {
                "id": r.source_id,
                "url": f"https://www.yelp.com/biz/{p.yelp_id}?hrid={r.source_id}",
                "text": r.text if len(r.text) <= 160 else r.text[:157] + "...",
                "rating": r.rating,
                "time_created": r.published.strftime("%Y-%m-%d %H:%M:%S"),
                "user": {"id": f"u{stable_num(r.author) % 10**8}", "name": r.author},
            }
            for r in reviews[:3]
        ],
        "total": len(reviews),
        "possible_languages": ["en"],
    }


def reddit_listing(posts: Sequence[Post], after: str | None) -> dict[str, Any]:
    """A Reddit search `Listing` of t3 posts."""
    children = []
    for post in posts:
        slug = "_".join(post.title.lower().split()[:6])
        children.append(
            {
                "kind": "t3",
                "data": {
                    "id": post.source_id,
                    "name": f"t3_{post.source_id}",
                    "title": post.title,
                    "selftext": post.text,
                    "author": post.author,
                    "subreddit": post.subreddit,
                    "permalink": f"/r/{post.subreddit}/comments/{post.source_id}/{slug}/",
                    "created_utc": float(int(post.published.timestamp())),
                    "score": 1,
                    "num_comments": 0,
                    "is_self": True,
                },
            }
        )
    return {
        "kind": "Listing",
        "data": {"after": after, "before": None, "dist": len(children), "children": children},
    }


def x_search(posts: Sequence[Post], next_token: str | None) -> dict[str, Any]:
    """An X API v2 recent-search response with author expansions."""
    if not posts:
        return {"meta": {"result_count": 0}}
    users = {p.author: str(1000 + stable_num(p.author) % 10**9) for p in posts}
    meta: dict[str, Any] = {
        "newest_id": posts[0].source_id,
        "oldest_id": posts[-1].source_id,
        "result_count": len(posts),
    }
    if next_token:
        meta["next_token"] = next_token
    return {
        "data": [
            {
                "id": p.source_id,
                "text": p.text,
                "author_id": users[p.author],
                "created_at": iso_z(p.published, millis=True),
                "edit_history_tweet_ids": [p.source_id],
                "lang": "en",
            }
            for p in posts
        ],
        "includes": {
            "users": [{"id": uid, "username": name, "name": name} for name, uid in users.items()]
        },
        "meta": meta,
    }
