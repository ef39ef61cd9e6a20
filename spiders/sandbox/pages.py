"""HTML pages of the sandbox: RateMDs, Healthgrades, hospital sites with schema.org markup."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from spiders.sandbox.apis import iso_z, site_rating
from spiders.sandbox.model import Physician, SandboxReview

__all__ = [
    "CHALLENGE_HTML",
    "HEALTHGRADES_PER_PAGE",
    "RATEMDS_PER_PAGE",
    "healthgrades_comments",
    "healthgrades_page",
    "ratemds_page",
    "ratemds_ratings_page",
    "schemaorg_page",
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
                "created": iso_z(r.response_at, millis=True),
                "owner": 7000 + p.index,
                "comment": r.response_text,
                "doctor_rating": int(r.source_id),
                "is_doctor": True,
            }
        )
    return {
        "id": int(r.source_id),
        "created": iso_z(r.published, millis=True),
        "modified": iso_z(r.edited_at or r.published, millis=True),
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
    average = site_rating(reviews, 2)
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
        "rating": {"count": len(reviews), "average": average or None},
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
<meta itemprop="bestRating" content="5"><meta itemprop="ratingValue" content="{average}">
<span itemprop="ratingCount">{len(reviews)}</span></span>
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
    pes = {
        "copy": {"profile-review-cta-button": "Leave a review"},
        "model": {
            "overall": {
                "responseCount": len(reviews) + len(reviews) // 2,
                "reviewCount": len(reviews),
                "actualScore": site_rating(reviews),
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


def schemaorg_page(p: Physician, reviews: Sequence[SandboxReview], url: str, jsonld: bool) -> str:
    """A hospital-site physician page with reviews in JSON-LD or in microdata."""
    esc = html.escape
    avg = site_rating(reviews, 2)
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
