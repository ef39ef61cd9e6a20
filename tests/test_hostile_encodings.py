"""Oddly encoded pages: declared, undeclared, meta-declared, BOM and broken bytes are read as a
browser would (the declared charset or BOM, else UTF-8, else windows-1252), both by `page_text`
and by a spider's own parse; JSON APIs are read in any Unicode encoding."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, TextResponse

from spiders import parsers
from spiders.base import BaseSpider, page_text
from tests.hostile import review_page, validated

SPANISH = "Señora Núñez — “muy amable”, café"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            review_page("Señora Núñez").encode("latin-1"),
            "text/html; charset=ISO-8859-1",
            "Señora Núñez",
        ),
        (review_page("Señora Núñez").encode("latin-1"), "text/html", "Señora Núñez"),
        (b'<meta charset="iso-8859-1">' + review_page("Núñez").encode("latin-1"), "", "Núñez"),
        (review_page(SPANISH).encode("cp1252"), "text/html", SPANISH),
        (review_page(SPANISH).encode("utf-16"), "text/html", SPANISH),
        (review_page(SPANISH).encode("utf-16"), "text/html; charset=utf-8", SPANISH),  # BOM wins
        (review_page(SPANISH).encode("utf-8"), "text/html", SPANISH),
        (
            review_page("caf\xe9 ok").encode("utf-8").replace(b"\xc3\xa9", b"\xc3"),
            "text/html; charset=utf-8",
            "caf\ufffd ok",
        ),
        (
            review_page("a").encode("utf-8").replace(b">a<", b">\xff\xfe\x00a<"),
            "text/html; charset=utf-8",
            "\ufffd\ufffda",
        ),
    ],
    ids=[
        "latin1-declared",
        "latin1-undeclared",
        "latin1-meta",
        "cp1252-smart-quotes",
        "utf16-bom",
        "utf16-bom-over-header",
        "utf8-undeclared",
        "utf8-cut-sequence",
        "invalid-utf8-and-nul",
    ],
)
def test_odd_encodings_are_read_as_a_browser_would(
    body: bytes, content_type: str, expected: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse("https://hospital.example/dr", body=body, headers=headers)
    result = parsers.parse_schemaorg(page_text(response), response.url)
    (review,) = result.reviews
    assert review.text == expected and review.author == "Íñigo"
    assert validated(review) is not None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-8-sig"])
def test_json_apis_in_any_unicode_encoding(encoding: str) -> None:
    data = {"reviews": [{"id": "y1", "rating": 2, "text": SPANISH, "user": {"name": "Íñigo"}}]}
    body = json.dumps(data, ensure_ascii=False).encode(encoding)
    response = TextResponse(
        "https://api.example/r", body=body, headers={"Content-Type": "application/json"}
    )
    (review,) = parsers.parse_yelp(BaseSpider.json_of(response), "https://yelp.example/b").reviews
    assert review.text == SPANISH


def test_the_spiders_decode_an_undeclared_latin1_page_as_a_browser_would() -> None:
    from scrapy.utils.test import get_crawler

    from spiders.base import Target
    from spiders.items import ReviewItem
    from spiders.sites.schemaorg import SchemaOrgSpider

    body = review_page("Señora Núñez").encode("latin-1")
    response = HtmlResponse("https://hospital.example/dr", body=body)
    assert "Núñez" not in response.text  # Scrapy's own guess (cp1250) gets it wrong
    spider = SchemaOrgSpider.from_crawler(get_crawler(SchemaOrgSpider), url=response.url)
    target = Target(url=response.url)
    items = list(spider.parse_page(response, target, 1))
    (review,) = [item for item in items if isinstance(item, ReviewItem)]
    assert review.text == "Señora Núñez"
