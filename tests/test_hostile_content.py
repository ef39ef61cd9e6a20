"""Hostile review content end to end: a crawled page and an import carry script tags, bidi
overrides, zero-width characters, emoji, NUL, terminal escapes and header injection. The
database keeps what the site said (NUL aside); alert mail, digest and CLI show it harmlessly."""

from __future__ import annotations

import email
import json
import os
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from repmon.app import cell, json_line
from repmon.cli import main
from reputation.classifier.stored import classify_stored
from reputation.mail.render import render_mail
from reputation.storage.db import Database
from reputation.storage.models import CrawlRun, OutboxMessage, Physician, Review
from spiders.items import ReviewItem
from spiders.parsers import parse_ratemds
from spiders.pipelines import StorePipeline
from spiders.sites.ratemds import RateMDsSpider
from tests.factories import write_jsonl
from tests.hostile import js_embed
from tests.test_render import alert_context

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WEEK = "2026-W47"
NPI = "1000000004"
PROFILE = "https://www.ratemds.example/doctor-ratings/0/dr-eve"
HARM = "After the surgery I got a serious infection and nearly died; the surgeon botched it."
# What a hostile reviewer can put into a review, one trick each.
SCRIPT = "<script>alert('x')</script>"
RTL = "\u202egnp.exe\u202c"
ZERO_WIDTH = "zero\u200bwidth\u200djoin\u2060ed"
EMOJI = "😷🏥👍🏽"
ESCAPES = "\x1b[2J\x1b[31mred\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x9b31m"
MARKUP = "[bold]loud[/] [link=http://evil.example]click[/link] [/]"
HOSTILE_TEXT = f"{HARM} {SCRIPT} {RTL} {ZERO_WIDTH} {EMOJI} NUL\x00here {ESCAPES} {MARKUP}"
HOSTILE_AUTHOR = 'Eve\r\nBcc: victim@evil.example\r\nX-Injected: 1 "x" <a@evil.example>, [/]'
HOSTILE_PHYSICIAN = "Dr. Eve \u202eevil\u202c <b>Abara</b> [/]"
# Characters nothing user-facing may emit raw: terminal controls (ESC, C1 CSI, BEL) and the
# bidi overrides that reverse a line.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored_text(raw: str) -> str:
    """What the database keeps of `raw`: everything, except NUL (PostgreSQL cannot store it)."""
    return raw.replace("\x00", "")


def crawl_page(db: Database) -> StorePipeline:
    """Parse a RateMDs page with hostile reviews and store it through the real pipeline."""
    rows = [
        {"id": 1, "average": 1, "comment": HOSTILE_TEXT, "created": "2026-11-19T10:00:00Z"},
        {"id": 2, "average": 1, "comment": f"{MARKUP} {ESCAPES}", "created": "2026-11-18"},
        {"id": 3, "average": 9, "comment": "rating off the scale", "created": "2026-11-18"},
        {"id": 4, "average": 2, "comment": "from the future", "created": "2027-06-01"},
    ]
    page = js_embed({"doctor": {"full_name": HOSTILE_PHYSICIAN}, "ratingsPage": {"results": rows}})
    result = parse_ratemds(page, PROFILE)
    assert [r.external_id for r in result.reviews] == ["1", "2", "3", "4"]
    crawler = get_crawler(
        RateMDsSpider,
        {"REPMON_STORE": True, "REPMON_DATABASE_URL": db.url, "REPMON_NOW": NOW.isoformat()},
    )
    spider = RateMDsSpider.from_crawler(crawler, url=PROFILE, physician=NPI)
    crawler.spider = spider
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    dropped = []
    for item in result.reviews:
        item.npi = NPI
        try:
            pipeline.process_item(item)
        except DropItem as exc:
            dropped.append(str(exc))
    assert len(dropped) == 2 and "rating" in dropped[0] and "future" in dropped[1], dropped
    pipeline.close_spider()
    pipeline.spider_closed("finished")
    return pipeline


def imported_reviews() -> list[dict[str, Any]]:
    """The same tricks in an import file, in the author and title fields too."""
    base = {"source": "google", "npi": NPI, "rating": 1}
    return [
        {**base, "external_id": "g1", "author": HOSTILE_AUTHOR, "text": HOSTILE_TEXT,
         "title": f"{SCRIPT}{RTL}", "published_at": (NOW - timedelta(hours=3)).isoformat()},
        {**base, "external_id": "g2", "author": f"\u202eeve{EMOJI}", "text": f"{MARKUP}",
         "published_at": (NOW - timedelta(days=2)).isoformat()},
    ]  # fmt: skip


@pytest.fixture
def hostile(workdir: Path) -> Database:
    """A database with a hostile physician name and hostile reviews, crawled and imported."""
    roster = "npi,name,specialty,practice,hospital,aliases,ratemds\n"
    roster += f'{NPI},"{HOSTILE_PHYSICIAN}",Surgery,Riverside,St Example,,{PROFILE}\n'
    (workdir / "roster.csv").write_text(roster, encoding="utf-8")
    assert run("roster", "import", "roster.csv").exit_code == 0
    db = Database(os.environ["REPMON_DATABASE_URL"])
    crawl_page(db)
    write_jsonl(workdir / "hostile.jsonl", imported_reviews())
    out = run("ingest", "hostile.jsonl", "--now", NOW.isoformat())
    assert "2 new" in out.output, out.output
    classify_stored(db, NOW)
    return db


def test_stored_faithfully_except_nul(hostile: Database) -> None:
    with hostile.session() as s:
        reviews = {r.external_id: r for r in s.scalars(select(Review))}
        run_row = s.scalars(select(CrawlRun)).one()
        physician = s.scalars(select(Physician)).one()
    assert reviews["1"].text == stored_text(HOSTILE_TEXT)
    assert reviews["g1"].text == stored_text(HOSTILE_TEXT)
    for trick in (SCRIPT, RTL, ZERO_WIDTH, EMOJI, ESCAPES, MARKUP, "NULhere"):
        assert trick in reviews["g1"].text, trick
    # An author name is text like any other: kept, line breaks normalised, never a header.
    assert reviews["g1"].author == HOSTILE_AUTHOR.replace("\r\n", "\n")
    assert reviews["g1"].title == SCRIPT + RTL
    assert physician.name == HOSTILE_PHYSICIAN
    # The two invalid reviews of the page were dropped with a counted reason.
    assert run_row.rejected == 2 and sum(run_row.reject_reasons.values()) == 2
    assert set(reviews) == {"1", "2", "g1", "g2"}


def _check_html(html: str) -> None:
    assert "<script" not in html and "&lt;script&gt;" in html
    assert ("<b>Abara</b>" not in html and "[link=" not in html) or "&lt;b&gt;" in html
    assert not RAW_CONTROLS.search(html), RAW_CONTROLS.findall(html)
    assert 'href="http://evil.example' not in html


def test_alert_mail_is_harmless_and_injects_no_header(hostile: Database, workdir: Path) -> None:
    assert run("recipients", "add", "risk@example.org", "--topic", "safety").exit_code == 0
    assert run("alerts", "evaluate", "--now", NOW.isoformat()).exit_code == 0
    with hostile.session() as s:
        mails = s.scalars(select(OutboxMessage)).all()  # each harm/legal review on its own
    (mail,) = [m for m in mails if "Eve Bcc" in m.body_html]
    assert "harm" in (mail.subject + mail.body_text).lower()
    assert "\n" not in mail.subject and "\r" not in mail.subject
    _check_html(mail.body_html)
    assert "<bdi>Eve Bcc: victim@evil.example X-Injected: 1" in mail.body_html
    assert 'class="quote" dir="auto"' in mail.body_html
    assert not RAW_CONTROLS.search(mail.body_text)
    assert SCRIPT in mail.body_text  # plain text shows the words literally, as written

    flushed = run("outbox", "flush", "--now", NOW.isoformat())
    assert f"{len(mails)} sent" in flushed.output, flushed.output
    emls = [p.read_bytes() for p in (workdir / "repmon-data" / "maildir" / "new").iterdir()]
    (raw,) = [b for b in emls if mail.message_id.encode() in b]
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["risk@example.org"]
    html = msg.get_body(("html",))
    assert html is not None
    _check_html(html.get_content())


def test_digest_is_harmless(hostile: Database, workdir: Path) -> None:
    out = run(
        "digest", "--week", WEEK, "--physician", NPI, "--out", "out", "--now", NOW.isoformat()
    )
    assert out.exit_code == 0, out.output
    (eml,) = sorted((workdir / "out").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage) and "\n" not in str(msg["Subject"])
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and text is not None
    body = html.get_content()
    _check_html(body)
    assert 'class="quote" dir="auto"' in body and "<bdi>Dr. Eve evil &lt;b&gt;Abara" in body
    assert not RAW_CONTROLS.search(text.get_content())
    _check_html(eml.with_suffix(".html").read_text(encoding="utf-8"))


def test_cli_reviews_show_text_literally_without_terminal_controls(hostile: Database) -> None:
    table = run("reviews")
    assert table.exit_code == 0, table.output
    assert not RAW_CONTROLS.search(table.output), RAW_CONTROLS.findall(table.output)
    # rich markup in stored text is shown as typed, never obeyed (no live link, no crash on [/])
    assert "[bold]loud" in table.output and "[link=http" in table.output
    assert "4 of 4 shown" in table.output

    lines = run("reviews", "--json").output.splitlines()
    assert not any(RAW_CONTROLS.search(line) for line in lines)
    exported = {r["external_id"]: r for r in map(json.loads, lines)}
    assert exported["g1"]["text"] == stored_text(HOSTILE_TEXT)  # the data is intact
    assert exported["g1"]["author"] == HOSTILE_AUTHOR.replace("\r\n", "\n")

    # A CSV written to a file is the data as stored (CliRunner's stdout is not a terminal).
    csv_out = run("reviews", "--csv").output
    assert ESCAPES in csv_out and RTL in csv_out

    roster = run("roster", "list")
    assert not RAW_CONTROLS.search(roster.output) and "[/]" in roster.output


def test_ingest_problems_are_printed_literally(workdir: Path) -> None:
    write_jsonl(
        workdir / "bad.jsonl",
        [
            {"source": "google", "external_id": "b1", "rating": "[/]\x1b[2J", "text": "x"},
            {"source": "google", "external_id": "b2", "rating": 2, "profile_url": "http://[::1"},
        ],
    )
    out = run("ingest", "bad.jsonl", "--now", NOW.isoformat())
    assert out.exit_code == 1 and "2 rejected" in out.output, out.output
    assert "http://[::1 is not in the roster" in out.output
    assert "rating" in out.output and "[/]" in out.output
    assert not RAW_CONTROLS.search(out.output)


def test_unicode_only_item_fields_survive_validation() -> None:
    item = ReviewItem("ratemds", "z1", PROFILE, PROFILE, text=f"{EMOJI}{ZERO_WIDTH}", rating=5)
    from dataclasses import asdict

    from reputation.imports.incoming import validate_review

    assert validate_review(asdict(item), NOW).text == f"{EMOJI}{ZERO_WIDTH}"


def test_crawl_records_quoting_a_page_print_without_controls(hostile: Database) -> None:
    for error in (
        f"API error: [/] {ESCAPES} {MARKUP} {RTL}",  # a stray "[/]" used to fail the command
        f"[link=https://evil.example]API[/link] error {ESCAPES} {RTL}",
    ):
        with hostile.transaction() as s:
            crawl_run = s.scalars(select(CrawlRun)).one()
            crawl_run.errors = [error]
            crawl_run.args = {}  # a roster crawl, not a one-off --url one: `status` shows it
        for args in (("crawls",), ("status",)):
            out = run(*args)
            assert out.exit_code == 0, out.output
            assert not RAW_CONTROLS.search(out.output), out.output
            if error.startswith("[link"):  # shown as typed (if cut short), never a live link
                assert "[link" in out.output, out.output
            else:
                assert "API" in out.output, out.output


# -- properties of the two renderers, for any text at all ------------------------------------

ANY_TEXT = st.text(
    st.characters(codec=None, exclude_categories=("Cs",)) | st.sampled_from(list(ESCAPES + RTL)),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_any_text_renders_into_mail_harmlessly(text: str, author: str, title: str) -> None:
    start = len(text) // 3
    context = alert_context(
        text=text, author=author, title=title,
        evidence=[{"text": text[start:start + 5], "start": start, "end": start + 5}],
    )  # fmt: skip
    mail = render_mail("alert", context)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert not RAW_CONTROLS.search(mail.html + mail.text + mail.subject)
    assert "<script" not in mail.html.replace("&lt;script", "")

    # Every character of the review that is not a control reaches the reader.
    def visible(value: str) -> str:  # without spacing, controls and the evidence marks »«
        return "".join(c for c in value if not (c.isspace() or RAW_CONTROLS.match(c) or c in "»«"))

    assert visible(text) in visible(mail.text)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["text", "author", "title"]), ANY_TEXT))
def test_any_text_prints_harmlessly_and_exports_intact(row: dict[str, str]) -> None:
    line = json_line(row)
    assert json.loads(line) == row and not RAW_CONTROLS.search(line)
    for value in row.values():
        shown = cell(value).plain
        assert not RAW_CONTROLS.search(shown) and "\n" not in shown
