"""Say exactly what each source covers; a profile cut short after page 1 is `partial`, not ok."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from repmon.cli import main
from reputation.crawls.health import COVERAGE, CrawlFact, source_health
from reputation.crawls.runs import CrawlCounts, decide_status
from reputation.imports.incoming import SOURCES
from spiders.sandbox.http import serve_app, static_app
from tests.crawling import ROOT, only_run, scrapy_crawl

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_every_source_states_its_coverage_in_the_readme() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert set(COVERAGE) == set(SOURCES)
    for source, text in COVERAGE.items():
        assert f"`{source}`: {text}." in readme, source
    assert "Vitals, WebMD, Zocdoc |" not in readme  # no claim without a checked page
    assert not re.search(r"comments endpoint for more", readme)


def test_a_profile_cut_short_is_partial_with_how_much_was_read() -> None:
    counts = CrawlCounts(4, 6, 0, 0, 0, 12, 0, "finished", cut_profiles=1, cut_found=6,
                         cut_expected=40)  # fmt: skip
    assert decide_status(counts) == (
        "partial",
        "later pages of 1 profile could not be fetched: 6 of 40 reviews",
    )
    assert decide_status(CrawlCounts(4, 6, 0, 0, 0, 12, 0, "finished"))[0] == "ok"
    began = NOW - timedelta(hours=3)
    runs = [CrawlFact("healthgrades", "partial", began, began, "6 of 40")]
    (health,) = source_health(runs, ["healthgrades"], NOW, "UTC")
    assert (health.level, health.text) == (
        "warn",
        "Healthgrades: partial (6 of 40), last crawl 3 h ago",
    )


def test_a_page_the_spider_cannot_read_is_broken_without_claiming_reviews() -> None:
    # A Healthgrades page given to the RateMDs spider: no reviews announced, none read.
    counts = CrawlCounts(1, 0, 0, 1, 0, 0, 0, "finished")
    assert decide_status(counts) == (
        "broken",
        "no reviews found: 1 page could not be read as this source's review pages",
    )
    counts = CrawlCounts(2, 0, 0, 2, 0, 14, 0, "finished")  # the markup changed under us
    assert decide_status(counts) == (
        "broken",
        "pages say there are 14 reviews but none could be parsed",
    )


@pytest.mark.slow
def test_healthgrades_later_pages_refused_make_the_run_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (FIXTURES / "healthgrades_profile.html").read_bytes()
    path = "/hg/physician/dr-test-x1"
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    # The page announces 12 reviews and shows 2; the comments endpoint answers 404.
    with serve_app(static_app({path: (page, "text/html; charset=utf-8")})) as base:
        items = scrapy_crawl(
            "healthgrades",
            tmp_path / "o.jsonl",
            "-a",
            f"url={base}{path}",
            settings={"REPMON_STORE": "1", "RETRY_TIMES": "0"},
            env={"REPMON_DATABASE_URL": db_url},
        )
    pages = [(i["page"], i["status"]) for i in items if i["kind"] == "page"]
    assert pages == [(1, "ok"), (2, "failed")]
    assert only_run(db_url) == (
        "partial",
        "later pages of 1 profile could not be fetched: 2 of 12 reviews",
    )
    monkeypatch.setenv("REPMON_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(main, ["crawls"])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "partial" in flat and "healthgrades covers: first page only" in flat
