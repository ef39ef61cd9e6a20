"""Pages too big in breadth or depth: a 20 MB page parses in seconds and in memory proportionate
to the page; JSON nested 100,000 levels deep is a broken page, never a RecursionError, even with
most of the stack already used; a review 500 levels down is still found."""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from scrapy.http import TextResponse

from spiders import parsers
from spiders.base import BaseSpider, page_status
from spiders.parsers import ParseResult
from tests.hostile import MB, deep_json, js_embed, jsonld_huge, long_reviews

# -- huge pages: time and memory stay proportionate ------------------------------------------


def _ratemds_huge(n: int) -> str:
    rows = [
        {"id": r["n"] + 1, "average": 1 + r["n"] % 5, "comment": r["text"], "created": "2024-03-05"}
        for r in long_reviews(n, 1000)
    ]
    return js_embed(
        {"doctor": {"full_name": "Dr. Big"}, "ratingsPage": {"count": n, "results": rows}}
    )


def _healthgrades_huge(n: int) -> str:
    rows = [
        {"commentId": f"c{r['n']}", "overallScore": 3, "commentText": r["text"], "displayName": "A"}
        for r in long_reviews(n, 2000)
    ]
    pes = {"model": {"providerName": "Dr Big", "comments": {"results": rows}}}
    return f"<script>pageState.pes = {json.dumps(pes, ensure_ascii=False)};</script>"


@pytest.mark.parametrize(
    ("build", "parse", "n"),
    [
        (_ratemds_huge, parsers.parse_ratemds, 9500),
        (_healthgrades_huge, parsers.parse_healthgrades, 10000),
        (jsonld_huge, parsers.parse_schemaorg, 9500),
    ],
    ids=["ratemds", "healthgrades", "jsonld"],
)
def test_a_20_mb_page_parses_in_seconds_and_modest_memory(
    build: Callable[[int], str], parse: Callable[[str, str], ParseResult], n: int
) -> None:
    page = build(n)
    assert len(page) > 20 * MB
    started = time.perf_counter()
    result = parse(page, "https://huge.example/p")
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        parse(page, "https://huge.example/p")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{len(page) / MB:.0f} MB page: {seconds:.2f} s, peak {peak / MB:.0f} MB")
    assert result.found == n and not result.problems
    assert "naïve café" in result.reviews[-1].text
    assert seconds < 20  # about 1 s on one core; two busy shared cores leave room
    assert peak < 6 * len(page)  # the decoded objects, not a multiple of the page per step


# -- deeply nested JSON: RecursionError never escapes ----------------------------------------


def _at_depth(frames: int, call: Callable[[], Any]) -> Any:
    """`call()` from `frames` Python frames down, as inside Scrapy's callback chain."""
    return call() if frames <= 0 else _at_depth(frames - 1, call)


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize(
    "stack", [0, sys.getrecursionlimit() - 150], ids=["fresh-stack", "150-frames-below-the-limit"]
)
def test_json_nested_100k_levels_is_a_broken_page_not_a_crash(kind: str, stack: int) -> None:
    deep = deep_json(kind)
    body = deep.encode()
    calls: list[Callable[[], ParseResult]] = [
        lambda: parsers.parse_ratemds_json(deep, "u"),
        lambda: parsers.parse_ratemds(
            js_embed(None).replace("null", "ZZ").replace('"ZZ"', json.dumps(deep)), "u"
        ),
        lambda: parsers.parse_healthgrades("pageState.pes = " + deep, "u"),
        lambda: parsers.parse_healthgrades_comments(deep, "u"),
        lambda: parsers.parse_schemaorg(f'<script type="application/ld+json">{deep}</script>', "u"),
        lambda: parsers.parse_google(
            BaseSpider.json_of(TextResponse("https://a/", body=body)), "u"
        ),
        lambda: parsers.parse_x(BaseSpider.json_of(TextResponse("https://a/", body=body))),
    ]
    for call in calls:
        result = _at_depth(stack, call)
        assert result.found == 0 and page_status(result, 1) == "broken", result.problems


def test_json_ld_review_500_levels_down_is_found() -> None:
    # Deep, but with room left under the recursion limit for the caller's own frames (pytest
    # under xdist runs a few hundred deep; 900 levels failed there and passed alone).
    review = {"@type": "Review", "reviewBody": "deep but fine", "reviewRating": {"ratingValue": 2}}
    doc = "[" * 500 + json.dumps(review) + "]" * 500
    result = _at_depth(
        50,
        lambda: parsers.parse_schemaorg(f'<script type="application/ld+json">{doc}</script>', "u"),
    )
    assert [r.text for r in result.reviews] == ["deep but fine"]
