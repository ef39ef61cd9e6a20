"""The spider itself on hostile pages: one real schema.org crawl from a local server of a 20 MB
page, 100,000-deep JSON-LD, a truncated, an undeclared latin-1 and a UTF-16 page. Nothing is
logged as an error, broken pages are marked broken, and time and peak memory stay bounded."""

from __future__ import annotations

import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import scrapy_crawl
from tests.hostile import MB, deep_json, jsonld_huge, review_page
from tests.parser_fixtures import fixture_text


class _Pages(BaseHTTPRequestHandler):
    pages: dict[str, tuple[bytes, str]] = {}

    def do_GET(self) -> None:
        body, content_type = self.pages.get(self.path, (b"", ""))
        self.send_response(200 if body else 404)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.mark.slow
def test_schemaorg_spider_survives_huge_deep_truncated_and_odd_pages(tmp_path: Path) -> None:
    german = review_page("Dr. Müller war sehr freundlich, café")
    _Pages.pages = {
        "/huge": (jsonld_huge(9500).encode(), "text/html; charset=utf-8"),
        "/deep": (f'<script type="application/ld+json">{deep_json("array")}</script>'.encode(), ""),
        "/cut": (fixture_text("schemaorg_jsonld.html")[:300].encode(), "text/html"),
        "/latin1": (german.encode("latin-1"), "text/html"),
        "/utf16": (german.encode("utf-16"), "text/html"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"{base}{path}\n" for path in _Pages.pages), encoding="utf-8")
    log: list[str] = []
    started = time.perf_counter()
    try:
        items = scrapy_crawl(
            "schemaorg", tmp_path / "o.jsonl",
            settings={"REPMON_TARGETS": "spiders.base.targets_from_file",
                      "REPMON_TARGETS_FILE": str(targets), "ROBOTSTXT_OBEY": False},
            log=log,
        )  # fmt: skip
    finally:
        server.shutdown()
    seconds = time.perf_counter() - started
    # The largest child this test process has waited for: an upper bound on the crawl's peak.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    pages = {i["url"].removeprefix(base): i for i in items if i["kind"] == "page"}
    reviews = [i for i in items if i["kind"] == "review"]
    print(f"crawl of a 20 MB page and four hostile ones: {seconds:.1f} s, peak RSS <= "
          f"{peak / MB:.0f} MB, {len(reviews)} reviews")  # fmt: skip
    assert {p: pages[p]["status"] for p in pages} == {
        "/huge": "ok", "/deep": "broken", "/cut": "broken", "/latin1": "ok", "/utf16": "ok",
    }  # fmt: skip
    assert pages["/huge"]["reviews_found"] == 9500
    assert "nested too deeply" in pages["/deep"]["problems"][0]
    texts = {r["text"] for r in reviews if not r["text"].startswith("Dr. Müller “listened”")}
    assert texts == {"Dr. Müller war sehr freundlich, café"}
    assert "ERROR" not in log[0] and "Traceback" not in log[0]
    assert seconds < 60 and peak < 1500 * MB
