"""A host that refuses every connection fails the crawl within a minute, saying so, instead of
retrying each of its requests for minutes."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repmon.processes import CrawlRequest, run_crawls
from reputation.imports.roster import apply_roster, parse_roster
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import Physician
from tests.conftest import NOW
from tests.factories import roster_csv

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as s:  # bound, then closed: connections to it are refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_host_refusing_every_connection_fails_the_run_quickly_naming_it(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(12)))
        assert s.scalar(select(func.count()).select_from(Physician)) == 12
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    host = f"127.0.0.1:{_closed_port()}"
    # The polite defaults (retries, AutoThrottle's start delay): only the endpoint is moved.
    request = CrawlRequest(sources=("reddit",), settings=(("REDDIT_ENDPOINT", f"http://{host}"),))
    started = time.monotonic()
    (run,) = run_crawls(db, settings, request, NOW, jobs=1, timeout=120)
    took = time.monotonic() - started
    assert run.status == "failed", run.errors
    assert run.errors[0].startswith(f"host unreachable: {host} (connection refused")
    assert run.pages >= 24  # every search is accounted for as a failed page, none silently lost
    assert took < 60, f"{took:.0f} s"
