"""Crawling on real Scrapyd servers started on 127.0.0.1: deploy, dispatch, track, fail clearly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from repmon.cli import main
from repmon.scrapyd import Node, ScrapydError
from reputation.storage.db import Database
from reputation.storage.models import CrawlRun, Review
from spiders.sandbox import DEFAULT_ANCHOR, scrapy_settings, serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "crawler", "s3cret-node-pass"
NOW = DEFAULT_ANCHOR.isoformat()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scrapyd_node(folder: Path, db_url: str) -> Iterator[str]:
    """A real Scrapyd on a free loopback port whose crawls write to `db_url`; yields its URL."""
    folder.mkdir(parents=True)
    port = _free_port()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\nusername = {USER}\npassword = {PASSWORD}\n"
        "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\npoll_interval = 0.2\nmax_proc = 2\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPMON_", "SCRAPY"))}
    env["REPMON_DATABASE_URL"] = db_url  # a node's own environment names the shared database
    out = (folder / "scrapyd.out").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=folder, env=env, stdout=out, stderr=out
    )
    url = f"http://127.0.0.1:{port}"
    try:
        node = Node(url, USER, PASSWORD, timeout=2)
        deadline = time.monotonic() + 30
        while True:
            try:
                node.daemon_status()
                break
            except ScrapydError:
                assert proc.poll() is None, (folder / "scrapyd.out").read_text()
                assert time.monotonic() < deadline, "scrapyd did not start in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


@pytest.fixture
def sandbox() -> Iterator[str]:
    with serve(now=DEFAULT_ANCHOR) as base:
        yield base


@pytest.fixture
def nodes(
    workdir: Path, db_url: str, sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], list[str]]]:
    """The sandbox's roster imported; start(n) starts n Scrapyd nodes and points repmon at them."""
    (workdir / "roster.csv").write_bytes(urlopen(f"{sandbox}/_sandbox/roster.csv").read())
    assert repmon("roster", "import", "roster.csv").exit_code == 0
    with ExitStack() as stack:

        def start(n: int) -> list[str]:
            urls = [
                stack.enter_context(scrapyd_node(workdir / f"node{i}", db_url)) for i in range(n)
            ]
            _use(monkeypatch, *urls)
            return urls

        yield start


def repmon(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def fast(base: str) -> list[str]:
    """`-s` options pointing the spiders at the sandbox without polite delays."""
    return [a for k, v in scrapy_settings(base).items() for a in ("-s", f"{k}={v}")]


def _use(monkeypatch: pytest.MonkeyPatch, *urls: str, password: str = PASSWORD) -> None:
    monkeypatch.setenv("REPMON_SCRAPYD_URLS", ",".join(urls))
    monkeypatch.setenv("REPMON_SCRAPYD_USERNAME", USER)
    monkeypatch.setenv("REPMON_SCRAPYD_PASSWORD", password)


def _requests(base: str) -> int:
    return int(json.loads(urlopen(f"{base}/_sandbox/stats").read()).get("ratemds", 0))


def _runs(db: Database) -> list[CrawlRun]:
    with db.session() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def test_crawls_spread_over_nodes_store_once_and_are_incremental(
    db: Database, sandbox: str, nodes: Callable[[int], list[str]]
) -> None:
    first, second = nodes(2)
    crawl = ("crawl", "ratemds", "google", "--now", NOW, *fast(sandbox))

    result = repmon(*crawl)  # nothing deployed yet: refused before any run starts
    assert result.exit_code == 2 and "run `repmon scrapyd deploy`" in result.output
    assert not _runs(db)

    result = repmon("scrapyd", "deploy")
    assert result.exit_code == 0, result.output
    assert result.output.count("7 spiders") == 2

    result = repmon(*crawl)
    assert result.exit_code == 0, result.output
    runs = _runs(db)
    assert {r.status for r in runs} == {"ok"}, [r.errors for r in runs]
    assert {str(r.external_job).split("|")[0] for r in runs} == {first, second}  # spread
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(Review))
        dupes = s.execute(
            select(Review.source, Review.external_id)
            .group_by(Review.source, Review.external_id)
            .having(func.count() > 1)
        ).all()
    assert stored == sum(r.new for r in runs) > 0 and not dupes

    status = repmon("scrapyd", "status")
    assert status.exit_code == 0, status.output
    assert all(str(r.external_job).split("|")[1][:8] in status.output for r in runs)

    result = repmon("crawl", "ratemds", "--now", NOW, *fast(sandbox))  # incremental
    assert result.exit_code == 0, result.output
    (again,) = _runs(db)[2:]
    before = next(r for r in runs if r.source == "ratemds")
    assert again.status == "ok" and again.new == 0 and 0 < again.pages < before.pages
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == stored


def test_killed_job_fails_its_run_naming_node_and_job(
    db: Database, sandbox: str, nodes: Callable[[int], list[str]]
) -> None:
    (url,) = nodes(1)
    assert repmon("scrapyd", "deploy").exit_code == 0
    node = Node(url, USER, PASSWORD)
    killed: list[str] = []

    def kill_once_crawling() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = [job for job, (state, _) in node.jobs("repmon").items() if state == "running"]
            if jobs and _requests(sandbox) >= 2:
                killed.append(jobs[0])
                node.cancel("repmon", jobs[0], signal="KILL")
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_once_crawling)
    killer.start()
    # A one-second delay keeps the crawl running long enough to be killed mid-way.
    result = repmon("crawl", "ratemds", "--now", NOW, *fast(sandbox), "-s", "DOWNLOAD_DELAY=1")
    killer.join()
    assert killed and result.exit_code == 1, result.output
    (job,) = killed
    (run,) = _runs(db)
    assert run.status == "failed" and run.external_job == f"{url}|{job}"
    assert f"Scrapyd job {job} on {url} ended without finishing" in run.errors[0]
    assert any("/logs/repmon/ratemds/" in e for e in run.errors)


def test_nodes_that_are_down_or_refuse_the_login_give_clear_errors(
    db: Database, nodes: Callable[[int], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{_free_port()}"
    _use(monkeypatch, down)
    result = repmon("crawl", "ratemds", "--now", NOW)
    assert result.exit_code == 2
    assert f"Scrapyd at {down} does not answer" in result.output
    assert not _runs(db)  # no run left `running`

    (url,) = nodes(1)
    _use(monkeypatch, url, password="wrong")
    result = repmon("scrapyd", "status")
    assert result.exit_code == 1 and "refused the login (HTTP 401)" in result.output
    assert "wrong" not in result.output and PASSWORD not in result.output
    result = repmon("crawl", "ratemds", "--now", NOW)
    assert result.exit_code == 2 and "refused the login" in result.output
    assert not _runs(db)

    monkeypatch.setenv("REPMON_SCRAPYD_URLS", "http://crawler:secret@127.0.0.1:6800")
    result = repmon("scrapyd", "status")
    assert result.exit_code == 2 and "carries a login" in result.output
    assert "secret" not in result.output

    monkeypatch.setenv("REPMON_SCRAPYD_URLS", "")
    result = repmon("crawl", "ratemds", "--engine", "scrapyd", "--now", NOW)
    assert result.exit_code == 2 and "set scrapyd.urls" in result.output
