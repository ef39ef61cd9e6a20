"""Crawling the sandbox into a database, as `repmon crawl` does: once, incrementally, with
edits kept as revisions and a blocked source shown as blocked, never as "no reviews"."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from alerts.evaluate import evaluate
from alerts.history import load_history
from repmon.cli import main
from repmon.processes import INTERRUPTED, CrawlRequest, latest_runs, run_crawls
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.digests.load import load_digest_data
from reputation.imports.roster import apply_roster, parse_roster
from reputation.isoweek import IsoWeek
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import Alert, CrawlRun, Mention, Profile, Review, ReviewRevision
from spiders.sandbox import DEFAULT_ANCHOR, scrapy_settings, serve

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[str]:
    with serve(now=DEFAULT_ANCHOR) as base:
        yield base


def _post(url: str) -> None:
    urlopen(Request(url, method="POST", data=b"")).read()


def _crawl(
    db: Database,
    base: str,
    tmp: Path,
    *sources: str,
    full: bool = False,
    days: float = 0,
    url: str | None = None,
) -> dict[str, CrawlRun]:
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp)}, tmp
    )
    now = DEFAULT_ANCHOR + timedelta(days=days)
    extra = tuple((k, str(v)) for k, v in {**scrapy_settings(base), "RETRY_TIMES": 0}.items())
    request = CrawlRequest(sources=sources, url=url, now=now, settings=extra, full=full)
    runs = run_crawls(db, settings, request, now, jobs=2)
    return {r.source: r for r in runs}


def _roster(db: Database, base: str) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(urlopen(f"{base}/_sandbox/roster.csv").read().decode()))


def _pages(base: str) -> dict[str, int]:
    return json.loads(urlopen(f"{base}/_sandbox/stats").read())


def test_crawl_twice_stores_once_and_second_crawl_is_cheaper(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    _roster(db, sandbox)
    first = _crawl(db, sandbox, tmp_path, "ratemds", "healthgrades", "google")
    assert {r.status for r in first.values()} == {"ok"}, {s: r.errors for s, r in first.items()}
    assert all(r.new > 0 for r in first.values())
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(Review))
        dupes = s.execute(
            select(Review.source, Review.external_id, func.count())
            .group_by(Review.source, Review.external_id)
            .having(func.count() > 1)
        ).all()
    assert stored == sum(r.new for r in first.values()) and not dupes
    with db.session() as s:  # each profile keeps the site's own rating, seen at this crawl
        rated = s.execute(
            select(Profile.source, Profile.public_rating, Profile.public_rating_count).where(
                Profile.public_rating_at.is_not(None)
            )
        ).all()
    assert {source for source, _, _ in rated} == {"ratemds", "healthgrades", "google"}
    assert all(1 <= rating <= 5 and count for _, rating, count in rated)
    second = _crawl(db, sandbox, tmp_path, "ratemds", "healthgrades", "google")
    assert all(r.new == 0 for r in second.values())
    assert second["ratemds"].pages < first["ratemds"].pages  # stopped at known reviews
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == stored


def test_edited_review_yields_a_revision_and_full_pass_marks_deleted(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    truth = json.loads(urlopen(f"{sandbox}/_sandbox/truth.json").read())
    _roster(db, sandbox)
    _post(
        f"{sandbox}/_sandbox/clock?now=" + quote((DEFAULT_ANCHOR - timedelta(days=10)).isoformat())
    )
    _crawl(db, sandbox, tmp_path, "ratemds", "healthgrades", full=True, days=-10)
    _post(f"{sandbox}/_sandbox/clock?now=" + quote(DEFAULT_ANCHOR.isoformat()))
    runs = _crawl(db, sandbox, tmp_path, "ratemds", "healthgrades", full=True)
    assert runs["ratemds"].updated >= 1
    edited_source, edited_id = truth["edited"]["review"].split(":", 1)
    deleted_source, deleted_id = truth["deleted"]["review"].split(":", 1)
    with db.session() as s:
        edited = s.scalar(
            select(Review).where(Review.source == edited_source, Review.external_id == edited_id)
        )
        assert edited is not None
        revisions = s.scalars(
            select(ReviewRevision).where(ReviewRevision.review_id == edited.id)
        ).all()
        assert len(revisions) == 1 and revisions[0].text != edited.text
        deleted = s.scalar(
            select(Review).where(Review.source == deleted_source, Review.external_id == deleted_id)
        )
        assert deleted is not None and deleted.deleted_at is not None


def test_blocked_source_is_blocked_not_zero_reviews(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    _roster(db, sandbox)
    _post(f"{sandbox}/_sandbox/block?source=ratemds")
    runs = _crawl(db, sandbox, tmp_path, "ratemds")
    assert runs["ratemds"].status == "blocked", runs["ratemds"].errors
    assert runs["ratemds"].new == 0


def test_a_one_off_url_crawl_is_recorded_but_decides_no_crawl_health(
    db: Database, sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _roster(db, sandbox)
    routine = _crawl(db, sandbox, tmp_path, "ratemds")["ratemds"]
    assert routine.status == "ok", routine.errors
    with db.session() as s:
        page = s.scalars(select(Profile.url).where(Profile.source == "healthgrades")).first()
    # A Healthgrades page given to the RateMDs spider, then a host that is not there.
    wrong = _crawl(db, sandbox, tmp_path, "ratemds", url=page, days=0.1)["ratemds"]
    assert (wrong.status, wrong.errors[0]) == (
        "broken",
        "no reviews found: 1 page could not be read as this source's review pages",
    )
    dead = _crawl(db, sandbox, tmp_path, "ratemds", url="http://127.0.0.1:9/x.html", days=0.2)
    assert dead["ratemds"].status == "failed"
    now = DEFAULT_ANCHOR + timedelta(days=0.3)
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    evaluate(db, settings, now, notify=False)
    with db.session() as s:
        assert [(r.id, r.status) for r in latest_runs(s)] == [(routine.id, "ok")]
        assert not s.scalars(select(Alert).where(Alert.kind == "crawl_health")).all()
        assert [r.status for r in load_history(s, now).runs] == ["ok"]
        physician = s.scalars(select(Profile.physician_id)).first()
        assert physician is not None
        scope = ("physician", physician)
        data = load_digest_data(s, [scope], [IsoWeek.of(now.date())], now, CLASSIFIER_VERSION)
    assert [(c.source, c.status) for c in data[scope].crawls] == [("ratemds", "ok")]
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(main, ["crawls", "--json"])
    assert [json.loads(line)["one_off"] for line in shown.output.splitlines()] == [
        True,
        True,
        False,
    ]
    table = " ".join(CliRunner().invoke(main, ["crawls"]).output.split())
    assert table.count("ratemds*") == 2 and "* a one-off crawl of a URL given with --url" in table
    # A crawl repmon itself stopped (the daemon restarted) is no failure of the site: the daemon
    # sees it and crawls the source first, but no alert or digest calls the source failed.
    with db.transaction() as s:
        stopped = CrawlRun(
            source="ratemds", spider="ratemds", started_at=now, finished_at=now,
            status="failed", errors=[INTERRUPTED],
        )  # fmt: skip
        s.add(stopped)
    later = now + timedelta(hours=1)
    evaluate(db, settings, later, notify=False)
    with db.session() as s:
        assert [r.id for r in latest_runs(s)] == [stopped.id]
        assert not s.scalars(select(Alert).where(Alert.kind == "crawl_health")).all()
        assert [r.status for r in load_history(s, later).runs] == ["ok"]
        data = load_digest_data(s, [scope], [IsoWeek.of(later.date())], later, CLASSIFIER_VERSION)
    assert [(c.source, c.status) for c in data[scope].crawls] == [("ratemds", "ok")]


def test_mentions_are_stored_and_matched_without_forcing(
    db: Database, sandbox: str, tmp_path: Path
) -> None:
    _roster(db, sandbox)
    runs = _crawl(db, sandbox, tmp_path, "reddit", "x")
    assert {r.status for r in runs.values()} == {"ok"}, {s: r.errors for s, r in runs.items()}
    with db.session() as s:
        mentions = s.scalars(select(Mention)).all()
    assert mentions
    assert any(m.physician_id is not None and m.confidence >= 0.6 for m in mentions)
    assert all(m.physician_id is None for m in mentions if m.confidence < 0.6)
