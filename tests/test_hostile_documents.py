"""Every parser on near-valid documents: hypothesis builds each site's real document shape with
any field missing or replaced by a hostile value (wrong type, null, huge number, NaN), and every
parse must hold up: no exception, every review valid or rejected with a named reason, every row
either found or skipped with a reason. The wrong types are also spelled out once per parser."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spiders import parsers
from spiders.parsers import ParseResult
from tests.hostile import (
    DATES,
    FAST,
    HOSTILE_STRINGS,
    IDS,
    JUNK,
    RATING,
    TEXT,
    f,
    js_embed,
    validated,
)

# -- strategies: the shape of a real document, any field replaced by something hostile ------


def obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An object whose every key may be missing, or the whole object replaced by junk."""
    return f(st.fixed_dictionaries({}, optional=fields))


def rows(row: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A list of rows, some of them not rows."""
    return f(st.lists(st.one_of(row, row, JUNK), max_size=5))


RATEMDS_ROW = obj(
    id=f(IDS),
    average=f(RATING),
    comment=f(TEXT),
    created=f(DATES),
    staff=f(RATING),
    knowledge=f(RATING),
    doctor_full_name=f(TEXT),
    comments=rows(obj(comment=f(TEXT), created=f(DATES))),
)
RATEMDS_PAGE = obj(
    count=f(st.integers(0, 10**6)),
    results=rows(RATEMDS_ROW),
    current_page=f(st.integers(1, 50)),
    total_pages=f(st.integers(1, 50)),
    next=JUNK,
)
RATEMDS_PROPS = obj(
    doctor=obj(
        full_name=f(TEXT),
        specialty_name=f(TEXT),
        id=JUNK,
        doctor_locations=rows(
            obj(location=obj(name=f(TEXT), address=f(TEXT), city=obj(name=f(TEXT))))
        ),
    ),
    ratingsPage=RATEMDS_PAGE,
)
HG_COMMENT = obj(
    commentId=f(IDS),
    overallScore=f(RATING),
    commentText=f(TEXT),
    displayName=f(TEXT),
    submittedDate=f(DATES),
    providerResponse=obj(commentText=f(TEXT), insertedOn=f(DATES)),
)
HG_PES = obj(
    model=obj(
        providerName=f(TEXT),
        providerCode=f(TEXT),
        specialty=f(TEXT),
        commentsSuppressed=JUNK,
        overall=obj(reviewCount=f(st.integers(0, 10**6))),
        comments=obj(
            results=rows(HG_COMMENT),
            totalCommentCount=f(st.integers(0, 10**6)),
            suppressed=JUNK,
        ),
    )
)
HG_COMMENTS = obj(
    results=rows(HG_COMMENT),
    totalCommentCount=f(st.integers(0, 10**6)),
    currentPage=f(st.integers(1, 50)),
    totalPages=f(st.integers(1, 50)),
)
GOOGLE_NEW = obj(
    displayName=f(st.one_of(TEXT, st.fixed_dictionaries({"text": f(TEXT)}))),
    userRatingCount=f(st.integers(0, 10**6)),
    error=f(obj(code=JUNK, message=f(TEXT))),
    reviews=rows(
        obj(
            name=f(TEXT),
            rating=f(RATING),
            text=obj(text=f(TEXT), languageCode=f(TEXT)),
            originalText=obj(text=f(TEXT), languageCode=f(TEXT)),
            authorAttribution=obj(displayName=f(TEXT)),
            publishTime=f(DATES),
            relativePublishTimeDescription=f(TEXT),
            googleMapsUri=f(TEXT),
        )
    ),
)
GOOGLE_LEGACY = obj(
    status=f(st.sampled_from(["OK", "REQUEST_DENIED", ""])),
    error_message=f(TEXT),
    result=obj(
        name=f(TEXT),
        place_id=f(TEXT),
        user_ratings_total=f(st.integers(0, 10**6)),
        url=f(TEXT),
        reviews=rows(
            obj(
                author_name=f(TEXT),
                author_url=f(TEXT),
                rating=f(RATING),
                text=f(TEXT),
                time=f(DATES),
                relative_time_description=f(TEXT),
                language=f(TEXT),
            )
        ),
    ),
)
YELP_FUSION = obj(
    total=f(st.integers(0, 10**6)),
    error=f(obj(code=JUNK, description=f(TEXT))),
    reviews=rows(
        obj(
            id=f(IDS),
            url=f(TEXT),
            rating=f(RATING),
            text=f(TEXT),
            time_created=f(DATES),
            user=obj(name=f(TEXT)),
            language=f(TEXT),
        )
    ),
)
YELP_FEED = rows(
    obj(
        encid=f(TEXT),
        rating=f(RATING),
        createdAt=f(DATES),
        text=obj(full=f(TEXT), language=f(TEXT)),
        author=obj(displayName=f(TEXT)),
        business=obj(name=f(TEXT)),
    )
)
REDDIT = obj(
    kind=f(st.just("Listing")),
    data=obj(
        after=f(TEXT),
        children=rows(
            obj(
                kind=f(st.sampled_from(["t1", "t3"])),
                data=obj(
                    name=f(TEXT),
                    id=f(IDS),
                    permalink=f(TEXT),
                    url=f(TEXT),
                    author=f(TEXT),
                    title=f(TEXT),
                    selftext=f(TEXT),
                    body=f(TEXT),
                    created_utc=f(DATES),
                ),
            )
        ),
    ),
)
X_SEARCH = obj(
    data=rows(obj(id=f(IDS), text=f(TEXT), author_id=f(IDS), created_at=f(DATES))),
    includes=obj(users=rows(obj(id=f(IDS), username=f(TEXT)))),
    meta=obj(next_token=f(TEXT), result_count=JUNK),
    errors=rows(obj(detail=f(TEXT), message=f(TEXT))),
    status=f(st.sampled_from([401, 403, 429])),
    title=f(TEXT),
)
JSONLD_REVIEW = obj(
    **{
        "@type": f(st.sampled_from(["Review", "schema:Review", "http://schema.org/Review"])),
        "@id": f(TEXT),
        "author": f(st.one_of(TEXT, st.fixed_dictionaries({"name": f(TEXT)}))),
        "reviewRating": obj(ratingValue=f(RATING), bestRating=f(st.sampled_from([5, 10, 0]))),
        "reviewBody": f(TEXT),
        "datePublished": f(DATES),
        "name": f(TEXT),
        "url": f(TEXT),
    }
)
JSONLD = obj(
    **{
        "@context": JUNK,
        "@type": f(st.sampled_from(["Physician", "Hospital", ["Physician", "Person"]])),
        "name": f(TEXT),
        "aggregateRating": obj(
            **{"@type": st.just("AggregateRating"), "reviewCount": f(st.integers(0, 10**6))}
        ),
        "review": rows(JSONLD_REVIEW),
    }
)


# -- what must hold of every parse --------------------------------------------------------


def check(result: ParseResult, rows: Any = None) -> None:
    """Every parsed review goes through validation; every row is a review or a named skip."""
    assert isinstance(result, ParseResult)
    for item in result.reviews:
        assert item.external_id and "\x00" not in item.text + item.author
        validated(item)
    for mention in result.mentions:
        assert mention.external_id
    for number in (result.aggregate_count, result.next_page):
        assert number is None or abs(number) < 2**63
    rating = result.aggregate_rating
    assert rating is None or (math.isfinite(rating) and 0 < rating <= 5)
    if isinstance(rows, list):
        skipped = sum("skipped" in p for p in result.problems)
        assert result.found + skipped == len(rows), (rows, result.problems)


def dig(doc: Any, *keys: str) -> Any:
    """doc[k1][k2]... or None when the shape is not there."""
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


@FAST
@given(RATEMDS_PROPS)
def test_ratemds_page_and_json_variant(doc: Any) -> None:
    result = parsers.parse_ratemds(js_embed(doc), "https://r.example/d/1")
    page = dig(doc, "ratingsPage")
    if isinstance(doc, dict):
        check(result, dig(page, "results") if isinstance(page, dict) else None)
    check(parsers.parse_ratemds_json(json.dumps(page), "https://r.example/d/1"))


@FAST
@given(HG_PES, HG_COMMENTS)
def test_healthgrades_page_and_comments(pes: Any, comments: Any) -> None:
    page = f"<script>pageState.pes = {json.dumps(pes)};</script>"
    result = parsers.parse_healthgrades(page, "https://hg.example/physician/dr-x")
    check(result, dig(pes, "model", "comments", "results"))
    result = parsers.parse_healthgrades_comments(json.dumps(comments), "https://hg.example/p")
    check(result, dig(comments, "results"))


@FAST
@given(GOOGLE_NEW, GOOGLE_LEGACY)
def test_google_new_and_legacy(new: Any, legacy: Any) -> None:
    check(parsers.parse_google(new, "https://maps.example/p"))
    result = parsers.parse_google(legacy, "https://maps.example/p")
    error = isinstance(legacy, dict) and isinstance(legacy.get("error"), dict)
    check(result, None if error else dig(legacy, "result", "reviews"))


@FAST
@given(YELP_FUSION, YELP_FEED)
def test_yelp_fusion_and_feed(fusion: Any, feed: Any) -> None:
    result = parsers.parse_yelp(fusion, "https://yelp.example/b")
    error = isinstance(fusion, dict) and isinstance(fusion.get("error"), dict)
    check(result, None if error else dig(fusion, "reviews"))
    check(parsers.parse_yelp(feed, "https://yelp.example/b"), feed)


@FAST
@given(REDDIT, X_SEARCH)
def test_reddit_and_x(listing: Any, search: Any) -> None:
    check(parsers.parse_reddit(listing, "https://reddit.example", "q"))
    check(parsers.parse_x(search, "q"))


@FAST
@given(st.lists(JSONLD, max_size=3), st.lists(st.sampled_from([*HOSTILE_STRINGS, "x"]), max_size=6))
def test_schemaorg_jsonld_and_microdata(blocks: list[Any], values: list[str]) -> None:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(b)}</script>' for b in blocks
    )
    micro = "".join(
        f'<div itemscope itemtype="http://schema.org/Review" id="{v[:20]}">'
        f'<span itemprop="author">{v}</span><div itemprop="reviewRating" itemscope>'
        f'<meta itemprop="ratingValue" content="{v[:20]}"></div>'
        f'<p itemprop="reviewBody">{v}</p><meta itemprop="datePublished" content="{v[:40]}">'
        "</div>"
        for v in values
    )
    check(parsers.parse_schemaorg(f"<html><h1>Dr</h1>{scripts}{micro}</html>", "https://s.ex/p"))


@FAST
@given(st.integers(0, 999), st.text(max_size=200), st.dictionaries(st.text(), st.text()))
def test_challenge_detection_and_queries(status: int, body: str, headers: dict[str, str]) -> None:
    reason = parsers.detect_challenge(status, body, headers)
    assert reason is None or reason.strip()
    queries = parsers.build_queries(body, (body[:9],), body[:20])
    assert all(len(q) <= 512 for q in queries)


# -- wrong types, spelled out: good rows kept, bad rows skipped with a reason ----------------

GOOD = {"id": 7, "average": 4, "comment": "Kind and thorough.", "created": "2024-03-05"}


def _id_as(key: str, rows: list[Any]) -> list[Any]:
    """The rows with their "id" under the name this source uses."""
    return [{**r, key: r.get("id")} if isinstance(r, dict) else r for r in rows]


WRONG_TYPES: list[tuple[str, Callable[[list[Any]], ParseResult]]] = [
    ("ratemds", lambda rows: parsers.parse_ratemds_json(json.dumps({"results": rows}), "u")),
    (
        "healthgrades",
        lambda rows: parsers.parse_healthgrades_comments(
            json.dumps({"results": _id_as("commentId", rows)}), "u"
        ),
    ),
    ("yelp", lambda rows: parsers.parse_yelp({"reviews": rows}, "u")),
    ("google", lambda rows: parsers.parse_google({"reviews": _id_as("name", rows)}, "u")),
    ("x", lambda rows: parsers.parse_x({"data": rows})),
]


@pytest.mark.parametrize(("name", "parse"), WRONG_TYPES, ids=[n for n, _ in WRONG_TYPES])
def test_rows_of_the_wrong_type_are_skipped_and_the_rest_kept(
    name: str, parse: Callable[[list[Any]], ParseResult]
) -> None:
    good_id = "7" if name in ("ratemds", "x") else "r7"
    good = {**GOOD, "id": 7 if name == "ratemds" else good_id, "text": "Kind and thorough."}
    rows = [good, "a string", None, 42, [good], {"id": None, "comment": "no id"}, {"id": {}}]
    result = parse(rows)
    assert [item.external_id for item in [*result.reviews, *result.mentions]] == [good_id]
    assert sum("skipped" in p for p in result.problems) == 6, result.problems
