"""A stopped or killed crawl never stays `running`: Ctrl-C stops the crawl processes and
settles their runs; a run whose process died is failed by the next look at the runs."""

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from repmon import processes as crawling
from repmon.cli import main
from repmon.processes import INTERRUPTED, CrawlRequest, run_crawls
from reputation.crawls.runs import CrawlCounts, decide_status, record_process, start_run
from reputation.imports.roster import apply_roster, parse_roster
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database
from reputation.storage.models import CrawlRun
from tests.conftest import NOW
from tests.factories import roster_csv
from tests.slowdaemon import SleepingEngine


def test_ctrl_c_stops_the_crawl_processes_and_settles_every_run(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(2)))  # ratemds and google profiles
    settings = load_settings(
        None,
        {
            "REPMON_DATABASE_URL": db.url,
            "REPMON_DATA_DIR": str(tmp_path),
            "REPMON_GOOGLE_API_KEY": "test-key",  # sleeping crawls ask no API
        },
        tmp_path,
    )
    engines: list[SleepingEngine] = []

    def engine(settings: Settings, name: str | None, jobs: int) -> crawling.Engine:
        engines.append(SleepingEngine(settings, jobs))
        return engines[-1]

    def ctrl_c(runs: dict[str, CrawlRun]) -> None:
        # one crawl started, one queued: both are ours until a crawl process records itself
        assert [r.status for r in runs.values()] == ["running", "running"]
        assert {r.args["process"]["pid"] for r in runs.values()} == {os.getpid()}
        raise KeyboardInterrupt

    monkeypatch.setattr(crawling, "make_engine", engine)
    monkeypatch.setattr(crawling, "STOP_GRACE", 1.0)  # no real SIGINT reached the sleeper
    request = CrawlRequest(sources=("ratemds", "google"))
    with pytest.raises(KeyboardInterrupt):
        run_crawls(db, settings, request, NOW, jobs=1, on_progress=ctrl_c)
    ((proc, _),) = engines[0].running.values()
    assert proc.poll() is not None  # the crawl process was stopped, not left behind
    with db.session() as s:
        runs = s.scalars(select(CrawlRun)).all()
    assert [(r.source, r.status, r.errors) for r in runs] == [
        ("ratemds", "failed", [INTERRUPTED]),
        ("google", "failed", [INTERRUPTED]),
    ]
    # settled when the stop was over, a STOP_GRACE after the Ctrl-C: not at their start
    assert all(r.finished_at and r.finished_at - r.started_at >= timedelta(seconds=1) for r in runs)


@pytest.mark.slow
def test_a_crawl_stopped_mid_way_is_recorded_in_the_words_repmon_uses(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopping `repmon crawl` (SIGTERM to each crawl process) or the daemon: Scrapy closes the
    # run with finish reason "shutdown", which must read as the interruption it is.
    hanging = socket.socket()  # accepts and never answers: the crawl is mid-page when stopped
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    url = f"http://127.0.0.1:{hanging.getsockname()[1]}/doctor-ratings/1/Dr-X.html"
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    stop = threading.Event()

    def stop_once_crawling(runs: dict[str, CrawlRun]) -> None:
        (run,) = runs.values()
        if run.args["process"]["pid"] != os.getpid():  # the crawl process took the run over
            stop.set()

    # The page in flight gives up after 3 s; the crawl process then closes its run itself.
    overrides = {"ROBOTSTXT_OBEY": "0", "DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "0"}
    request = CrawlRequest(sources=("ratemds",), url=url, settings=tuple(overrides.items()))
    monkeypatch.setattr(crawling, "STOP_GRACE", 60.0)
    try:
        (run,) = run_crawls(db, settings, request, NOW, on_progress=stop_once_crawling, stop=stop)
    finally:
        hanging.close()
    assert (run.status, run.errors[:1]) == ("failed", [INTERRUPTED])
    log = (tmp_path / "logs" / f"crawl-{run.id}-ratemds.log").read_text(encoding="utf-8")
    assert "Closing spider (shutdown)" in log and f"crawl run {run.id}: failed" in log
    assert decide_status(CrawlCounts(0, 0, 0, 0, 0, 0, 0, "shutdown")) == ("failed", INTERRUPTED)


def test_a_run_whose_process_died_is_not_shown_running(workdir: Path) -> None:
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    db = Database(os.environ["REPMON_DATABASE_URL"])
    with db.transaction() as s:
        record_process(start_run(s, "ratemds", "ratemds", {}, NOW), socket.gethostname(), dead.pid)
    db.dispose()
    result = CliRunner().invoke(main, ["crawls", "--json"])
    (run,) = [json.loads(line) for line in result.output.splitlines()]
    assert run["status"] == "failed"
    assert run["errors"] == ["interrupted: the crawl process ended without finishing"]


def test_a_crawl_past_crawl_max_hours_is_stopped_and_says_so(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(1)))
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    monkeypatch.setattr(crawling, "make_engine", lambda s, name, jobs: SleepingEngine(s, jobs))
    request = CrawlRequest(sources=("ratemds",))
    (run,) = run_crawls(db, settings, request, NOW, jobs=1, timeout=3.6)  # 0.001 h
    assert run.status == "failed" and run.finished_at is not None
    assert run.errors[0] == crawling.timed_out_note(3.6)
    assert "ran longer than crawl.max_hours (0.001 h)" in run.errors[0]
