"""API keys set every documented way reach the request, through the one settings table.

A local server records what each API request carried; the crawl log and items are searched
for the key. Without a key, `repmon crawl` of a keyed API fails at once, naming the setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.request import urlopen

import pytest
from click.testing import CliRunner

from repmon.cli import main
from repmon.processes import CrawlRequest, run_crawls
from reputation.imports.roster import apply_roster, parse_roster
from reputation.settings import load_settings
from reputation.storage.db import Database
from spiders.config import preflight, repmon_settings
from spiders.sandbox import DEFAULT_ANCHOR, build_world, scrapy_settings, serve
from spiders.sandbox.http import Reply, Request, serve_app
from tests.crawling import ROOT, _env, scrapy_crawl
from tests.factories import npi

KEY = "k3y-REACHES-the-request-5f2a"
WORLD = build_world()


class RecordingApi:
    """Answers every API with an empty, valid result and keeps each request's credentials."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            self.seen.append(
                " ".join(
                    [
                        request.headers.get("X-Goog-Api-Key", ""),
                        request.headers.get("Authorization", ""),
                        request.query.get("key", ""),
                    ]
                )
            )
        body = b'{"data": [], "meta": {"result_count": 0}}' if "/x/" in request.path else b"{}"
        return Reply(200, body, "application/json")


def _crawl_with(
    spider: str, env: dict[str, str], tmp_path: Path, extra: dict[str, str] | None = None
) -> tuple[RecordingApi, str, str]:
    api = RecordingApi()
    log: list[str] = []
    clean = {k: "" for k in ("GOOGLE_API_KEY", "YELP_API_KEY", "X_BEARER_TOKEN")}
    with serve_app(api, "127.0.0.1", 0) as base:
        settings = {
            "GOOGLE_ENDPOINT": f"{base}/google/v1",
            "GOOGLE_LEGACY_ENDPOINT": f"{base}/google/maps/api/place/details/json",
            "YELP_ENDPOINT": f"{base}/yelp/v3",
            "X_ENDPOINT": f"{base}/x/2",
            "LOG_LEVEL": "DEBUG",
            **(extra or {}),
        }
        target = '"Dr Jane Roe"' if spider == "x" else "PLACE-1"
        scrapy_crawl(
            spider,
            tmp_path / "o.jsonl",
            "-a",
            f"url={target}",
            settings=settings,
            env={**clean, **env},
            log=log,
        )
    return api, log[0], (tmp_path / "o.jsonl").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spider", "variable", "sent_as"),
    [
        ("google", "REPMON_GOOGLE_API_KEY", KEY),
        ("google", "GOOGLE_API_KEY", KEY),
        ("google", "REPMON_GOOGLE_API_KEY_FILE", KEY),
        ("yelp", "REPMON_YELP_API_KEY", f"Bearer {KEY}"),
        ("yelp", "YELP_API_KEY", f"Bearer {KEY}"),
        ("yelp", "REPMON_YELP_API_KEY_FILE", f"Bearer {KEY}"),
        ("x", "REPMON_X_BEARER_TOKEN", f"Bearer {KEY}"),
        ("x", "X_BEARER_TOKEN", f"Bearer {KEY}"),
        ("x", "REPMON_X_BEARER_TOKEN_FILE", f"Bearer {KEY}"),
    ],
)
def test_every_documented_form_reaches_the_request_and_never_the_log(
    spider: str, variable: str, sent_as: str, tmp_path: Path
) -> None:
    value = KEY
    if variable.endswith("_FILE"):
        secret_file = tmp_path / "key.txt"
        secret_file.write_text(KEY + "\n")
        value = str(secret_file)
    api, log, items = _crawl_with(spider, {variable: value}, tmp_path)
    assert api.seen and all(sent_as in seen for seen in api.seen), api.seen
    assert KEY not in log and KEY not in items


@pytest.mark.slow
def test_the_legacy_google_key_in_the_url_is_masked_in_the_log(tmp_path: Path) -> None:
    api, log, _ = _crawl_with(
        "google", {"REPMON_GOOGLE_API_KEY": KEY}, tmp_path, {"GOOGLE_API": "legacy"}
    )
    assert api.seen and all(seen.endswith(KEY) for seen in api.seen)
    assert KEY not in log and "key=***" in log


def test_preflight_names_every_form_unless_the_endpoint_is_local(tmp_path: Path) -> None:
    settings = load_settings(None, {}, tmp_path)
    assert preflight("x", settings) == (
        "x: X API bearer token is not set: set REPMON_X_BEARER_TOKEN or X_BEARER_TOKEN "
        "or REPMON_X_BEARER_TOKEN_FILE"
    )
    assert preflight("x", settings, {"X_ENDPOINT": "http://127.0.0.1:8000/x/2"}) is None
    local = {"GOOGLE_ENDPOINT": "http://127.0.0.1:1/v1"}
    assert preflight("google", settings, local) is None
    legacy = {**local, "GOOGLE_API": "legacy"}  # place ids then go to Google's legacy API
    assert preflight("google", settings, legacy) is not None
    assert preflight("yelp", settings, url="http://127.0.0.1:9/yelp/feed.json") is None
    assert preflight("yelp", settings, url="https://api.yelp.com/v3/businesses/b") is not None
    keyed = load_settings(None, {"GOOGLE_API_KEY": "k"}, tmp_path)
    assert preflight("google", keyed) is None and preflight("ratemds", settings) is None


@pytest.mark.parametrize(
    ("source", "variable"),
    [("x", "REPMON_X_BEARER_TOKEN"), ("google", "REPMON_GOOGLE_API_KEY")],
)
def test_repmon_crawl_without_a_key_fails_at_once_saying_what_to_set(
    source: str, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("REPMON_") or name in ("GOOGLE_API_KEY", "X_BEARER_TOKEN"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    roster = f"npi,name,google\n{npi(1)},Dana Example,ChIJexampleplace\n"
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    assert CliRunner().invoke(main, ["roster", "import", "roster.csv"]).exit_code == 0
    result = CliRunner().invoke(main, ["crawl", source])
    assert result.exit_code != 0
    assert f"is not set: set {variable} or" in result.output
    shown = CliRunner().invoke(main, ["crawls", "--json"])  # recorded, for crawl health
    assert '"status": "failed"' in shown.output and f"set {variable} or" in shown.output
    assert not (tmp_path / "repmon-data" / "logs").exists() or not any(
        (tmp_path / "repmon-data" / "logs").iterdir()
    )  # no crawl process was started


def test_settings_load_once_and_not_at_import(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    code = "import spiders.settings, spiders.pipelines, spiders.targets; print('ok')"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**_env(), "REPMON_CONFIG": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
    assert repmon_settings() is repmon_settings()


@pytest.mark.slow
def test_crawling_every_source_fails_only_the_one_without_its_key(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("X_BEARER_TOKEN", "REPMON_X_BEARER_TOKEN", "REPMON_X_BEARER_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": db.url, "REPMON_DATA_DIR": str(tmp_path)}, tmp_path
    )
    with serve(now=DEFAULT_ANCHOR) as base:
        with db.transaction() as session:
            roster = urlopen(f"{base}/_sandbox/roster.csv").read().decode()
            apply_roster(session, parse_roster(roster))
        # Every endpoint points at the sandbox but X's, which stays the real API.
        extra = tuple((k, str(v)) for k, v in scrapy_settings(base).items() if k != "X_ENDPOINT")
        npi = WORLD.physicians[0].npi
        request = CrawlRequest(sources=(), physician=npi, now=DEFAULT_ANCHOR, settings=extra)
        runs = {r.source: r for r in run_crawls(db, settings, request, DEFAULT_ANCHOR, jobs=2)}
    assert runs["x"].status == "failed" and runs["x"].errors == [
        "x: X API bearer token is not set: set REPMON_X_BEARER_TOKEN or X_BEARER_TOKEN "
        "or REPMON_X_BEARER_TOKEN_FILE"
    ]
    others = {s: r.status for s, r in runs.items() if s != "x"}
    assert "reddit" in others and set(others.values()) == {"ok"}, others


@pytest.mark.slow
def test_a_crawl_reads_the_settings_file_of_the_folder_repmon_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents: list[str] = []

    def site(request: Request) -> Reply:
        agents.append(request.headers.get("User-Agent", ""))
        return Reply(200, b"<html><body>no reviews</body></html>")

    monkeypatch.delenv("REPMON_CONFIG", raising=False)
    monkeypatch.delenv("REPMON_CRAWL_CONTACT", raising=False)
    monkeypatch.delenv("REPMON_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repmon.toml").write_text('[crawl]\ncontact = "ops@hospital.test"\n')
    with serve_app(site, "127.0.0.1", 0) as base:
        CliRunner().invoke(
            main, ["crawl", "ratemds", "--url", f"{base}/p/1", "-s", "RETRY_TIMES=0"]
        )
    assert agents and all("ops@hospital.test" in agent for agent in agents), agents
