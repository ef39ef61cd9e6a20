"""Pages and API responses in each site's format, rendered from sandbox reviews and posts."""

from __future__ import annotations

import html
import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from spiders.sandbox.world import Physician, Post, SandboxReview

__all__ = [
    "CHALLENGE_HTML",
    "google_legacy",
    "google_new",
    "healthgrades_comments",
    "healthgrades_page",
    "ratemds_page",
    "ratemds_ratings_page",
    "reddit_listing",
    "relative_time",
    "schemaorg_page",
    "x_search",
    "yelp_reviews",
]

CHALLENGE_HTML = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">
<h1>Checking if the site connection is secure</h1>
<form id="challenge-form" action="/?__cf_chl_f_tk=sandbox" method="POST"></form>
<script>window._cf_chl_opt={cvId:'3',cType:'managed'};</script>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>
</div></body></html>"""

RATEMDS_PER_PAGE = 10
HEALTHGRADES_PER_PAGE = 10


def _num(text: str) -> int:
    """A stable number for a string (hash() differs between processes)."""
    return zlib.crc32(text.encode("utf-8"))


def _iso_z(when: datetime, millis: bool = False) -> str:
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


def _escapejs(text: str) -> str:
    """Django's escapejs: what RateMDs applies to the JSON inside JSON.parse("...")."""
    out = []
    for ch in text:
        if ch in "\\'\"<>&=-;`" or ord(ch) < 32 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _ratemds_result(p: Physician, r: SandboxReview, url: str) -> dict[str, Any]:
    names = ("staff", "punctuality", "helpfulness", "knowledge")
    subs = r.subratings or {k: r.rating for k in names}
    average = sum(subs.values()) / len(subs)
    comments = []
    if r.response_text and r.response_at is not None:
        comments.append(
            {
                "id": int(r.source_id) % 100000,
                "created": _iso_z(r.response_at, millis=True),
                "owner": 7000 + p.index,
                "comment": r.response_text,
                "doctor_rating": int(r.source_id),
                "is_doctor": True,
            }
        )
    return {
        "id": int(r.source_id),
        "created": _iso_z(r.published, millis=True),
        "modified": _iso_z(r.edited_at or r.published, millis=True),
        "doctor": p.ratemds_id,
        "doctor_full_name": f"Dr. {p.name}",
        "doctor_url": url,
        **{k: float(v) for k, v in subs.items()},
        "average": average,
        "comment": r.text,
        "visible": True,
        "comments": comments,
        "votes": {"count": 0},
    }


def ratemds_ratings_page(
    p: Physician, reviews: Sequence[SandboxReview], page: int, path: str, base: str
) -> dict[str, Any]:
    """The `ratingsPage` object: {count, total_pages, current_page, next, previous, results}."""
    total = max(1, -(-len(reviews) // RATEMDS_PER_PAGE))
    chunk = reviews[(page - 1) * RATEMDS_PER_PAGE : page * RATEMDS_PER_PAGE]
    return {
        "count": len(reviews),
        "total_pages": total,
        "current_page": page,
        "next": f"{base}{path}?page={page + 1}" if page < total else None,
        "previous": f"{base}{path}?page={page - 1}" if page > 1 else None,
        "results": [_ratemds_result(p, r, path) for r in chunk],
    }


def ratemds_page(
    p: Physician, reviews: Sequence[SandboxReview], page: int, path: str, base: str
) -> str:
    """A RateMDs-like profile page: embedded JSON, microdata reviews and pagination."""
    rp = ratemds_ratings_page(p, reviews, page, path, base)
    doctor = {
        "id": p.ratemds_id,
        "name": p.name,
        "full_name": f"Dr. {p.name}",
        "specialty_name": p.specialty,
        "url": path,
        "doctor_locations": [
            {
                "primary": True,
                "location": {
                    "name": p.practice.name,
                    "address": f"{100 + p.index * 7} Main Street",
                    "city": {"name": p.practice.city, "province_slug": p.practice.state.lower()},
                },
            }
        ],
        "rating": {"count": len(reviews)},
    }
    props = {"nav": "ratings", "doctor": doctor, "ratingsPage": rp, "recaptchakey": "sandbox"}
    esc = html.escape
    items = []
    for r in rp["results"]:
        items.append(
            f'<div class="rating" itemprop="review" itemscope itemtype="http://schema.org/Review"'
            f' id="rating-{r["id"]}"><span itemprop="author" itemscope'
            f' itemtype="http://schema.org/Person"><meta itemprop="name" content="Anonymous">'
            f'</span><div itemprop="reviewRating" itemscope itemtype="http://schema.org/Rating">'
            f'<meta itemprop="ratingValue" content="{r["average"]:.1f}"></div>'
            f'<p itemprop="reviewBody" class="rating-comment-body"><span>{esc(r["comment"])}'
            f'</span></p><meta itemprop="dateCreated datePublished"'
            f' content="{r["created"][:19]}Z"></div>'
        )
    pages = "".join(
        f'<li class="{"active" if n == page else ""}"><a href="?page={n}">{n}</a></li>'
        for n in range(1, rp["total_pages"] + 1)
    )
    blob = _escapejs(json.dumps(props))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Dr. {esc(p.name)} - {esc(p.practice.city)}, {p.practice.state} - Reviews</title>
</head><body>
<div itemscope itemtype="http://schema.org/Physician">
<link itemprop="url" href="{base}{path}">
<h1 itemprop="name">Dr. {esc(p.name)}</h1>
<span itemprop="aggregateRating" itemscope itemtype="http://schema.org/AggregateRating">
<meta itemprop="bestRating" content="5"><span itemprop="ratingCount">{len(reviews)}</span></span>
<div class="ratings">{"".join(items)}</div>
<nav><ul class="pagination pagination-sm">{pages}</ul></nav>
</div>
<script>
window.DATA = window.DATA || {{}};
window.DATA.doctorDetailProps = JSON.parse("{blob}");
</script>
</body></html>
"""


def _hg_comment(r: SandboxReview, p: Physician) -> dict[str, Any]:
    answered = bool(r.response_text and r.response_at)
    return {
        "commentId": r.source_id,
        "overallScore": float(r.rating),
        "displayName": r.author,
        "location": f"{p.practice.city}, {p.practice.state}",
        "submittedDate": r.published.strftime("%b %d, %Y"),
        "commentText": r.text,
        "reviewHelpful": "UnAnswered",
        "flagged": "NotFlagged",
        "providerResponse": {
            "commentText": r.response_text if answered else None,
            "isFromProvider": answered,
            "insertedOn": r.response_at.strftime("%B %d, %Y")
            if answered and r.response_at
            else "January 1, 0001",
        },
    }


def healthgrades_comments(
    p: Physician, reviews: Sequence[SandboxReview], page: int, per_page: int
) -> dict[str, Any]:
    """The (invented) comments endpoint response."""
    per_page = max(1, min(per_page, 50))
    total_pages = max(1, -(-len(reviews) // per_page))
    chunk = reviews[(page - 1) * per_page : page * per_page]
    return {
        "results": [_hg_comment(r, p) for r in chunk],
        "totalCommentCount": len(reviews),
        "currentPage": page,
        "perPage": per_page,
        "totalPages": total_pages,
    }


def healthgrades_page(p: Physician, reviews: Sequence[SandboxReview], path: str) -> str:
    """A Healthgrades-like profile with `pageState.pes` in a script."""
    scores = [r.rating for r in reviews]
    pes = {
        "copy": {"profile-review-cta-button": "Leave a review"},
        "model": {
            "overall": {
                "responseCount": len(reviews) + len(reviews) // 2,
                "reviewCount": len(reviews),
                "actualScore": round(sum(scores) / len(scores), 1) if scores else 0.0,
            },
            "displayName": f"Dr. {p.last}",
            "providerCode": p.hg_code,
            "providerName": f"Dr. {p.name}, MD",
            "providerUrl": path,
            "comments": {
                "results": [_hg_comment(r, p) for r in reviews[:HEALTHGRADES_PER_PAGE]],
                "totalCommentCount": len(reviews),
                "suppressed": False,
            },
            "specialty": p.specialty,
        },
        "commentsSuppressed": False,
        "hasComments": bool(reviews),
    }
    blob = json.dumps(pes, indent="\t")
    return f"""<!DOCTYPE html>
<html><head><title>Dr. {html.escape(p.name)}, MD | {html.escape(p.specialty)}</title></head>
<body><div id="root"><h1>Dr. {html.escape(p.name)}, MD</h1></div>
<script>
window.pageState = window.pageState || {{}};
pageState.pes = {blob};
</script></body></html>
"""


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
                    "uri": f"https://www.google.com/maps/contrib/{_num(r.author) % 10**12}",
                    "photoUri": "",
                },
                "publishTime": _iso_z(r.published),
                "googleMapsUri": f"https://www.google.com/maps/reviews/{r.source_id}",
            }
        )
    scores = [r.rating for r in reviews]
    return {
        "id": p.google_place,
        "displayName": {"text": f"Dr. {p.name}", "languageCode": "en"},
        "rating": round(sum(scores) / len(scores), 1) if scores else 0,
        "userRatingCount": len(reviews),
        "reviews": out,
    }


def google_legacy(p: Physician, reviews: Sequence[SandboxReview], now: datetime) -> dict[str, Any]:
    """Legacy Place Details: `result.reviews` (5 newest) and `user_ratings_total`."""
    scores = [r.rating for r in reviews]
    return {
        "html_attributions": [],
        "result": {
            "name": f"Dr. {p.name}",
            "place_id": p.google_place,
            "rating": round(sum(scores) / len(scores), 1) if scores else 0,
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
                "user": {"id": f"u{_num(r.author) % 10**8}", "name": r.author},
            }
            for r in reviews[:3]
        ],
        "total": len(reviews),
        "possible_languages": ["en"],
    }


def schemaorg_page(p: Physician, reviews: Sequence[SandboxReview], url: str, jsonld: bool) -> str:
    """A hospital-site physician page with reviews in JSON-LD or in microdata."""
    esc = html.escape
    scores = [r.rating for r in reviews]
    avg = round(sum(scores) / len(scores), 2) if scores else 0
    if jsonld:
        data = {
            "@context": "https://schema.org",
            "@type": "Physician",
            "name": f"Dr. {p.name}",
            "medicalSpecialty": p.specialty,
            "aggregateRating": {
                "@type": "AggregateRating",
                "ratingValue": avg,
                "reviewCount": len(reviews),
            },
            "review": [
                {
                    "@type": "Review",
                    "@id": f"{url}#review-{r.source_id}",
                    "name": r.title,
                    "author": {"@type": "Person", "name": r.author},
                    "datePublished": r.published.date().isoformat(),
                    "reviewBody": r.text,
                    "reviewRating": {"@type": "Rating", "ratingValue": r.rating, "bestRating": 5},
                }
                for r in reviews
            ],
        }
        body = f'<script type="application/ld+json">{json.dumps(data)}</script>'
        listing = "".join(f"<blockquote>{esc(r.text)}</blockquote>" for r in reviews)
    else:
        body = ""
        listing = "".join(
            f'<article itemprop="review" itemscope itemtype="https://schema.org/Review"'
            f' id="review-{r.source_id}"><h3 itemprop="name">{esc(r.title)}</h3>'
            f'<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<span itemprop="name">{esc(r.author)}</span></span>'
            f'<time itemprop="datePublished" datetime="{r.published.date().isoformat()}">'
            f"{r.published:%B %d, %Y}</time>"
            f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            f'<meta itemprop="ratingValue" content="{r.rating}">'
            f'<meta itemprop="bestRating" content="5"></div>'
            f'<p itemprop="reviewBody">{esc(r.text)}</p></article>'
            for r in reviews
        )
        listing = (
            f'<div itemprop="aggregateRating" itemscope'
            f' itemtype="https://schema.org/AggregateRating">'
            f'<meta itemprop="ratingValue" content="{avg}">'
            f'<span itemprop="reviewCount">{len(reviews)}</span> reviews</div>{listing}'
        )
    return f"""<!DOCTYPE html>
<html><head><title>Dr. {esc(p.name)} | {esc(p.practice.name)}</title>{body}</head>
<body><main itemscope itemtype="https://schema.org/Physician">
<h1 itemprop="name">Dr. {esc(p.name)}</h1><p>{esc(p.specialty)} at {esc(p.practice.name)},
{esc(p.practice.hospital)}</p>
<section id="patient-reviews">{listing}</section></main></body></html>
"""


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
    users = {p.author: str(1000 + _num(p.author) % 10**9) for p in posts}
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
                "created_at": _iso_z(p.published, millis=True),
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
