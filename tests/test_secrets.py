"""Secrets never appear in CLI output, logs, crawl records, the outbox or emails.

Every secret setting (and a database password) gets a recognisable value; the user-facing
flows run with failures provoked (blocked and broken sources, a refused SMTP login, an
unreachable Scrapyd and database); then every output is searched for every secret.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select, text

from repmon.app import console, err_console
from repmon.cli import main
from reputation.storage.db import Database
from reputation.storage.models import Base
from spiders.redact import RedactingFilter, redact_text, redact_url
from spiders.sandbox import DEFAULT_ANCHOR, scrapy_settings, serve
from tests.conftest import PG_URL
from tests.factories import write_jsonl
from tests.test_relay import Server

pytestmark = pytest.mark.slow

SECRETS = {
    "REPMON_SMTP_PASSWORD": "smtp-PW-7f3a9c-secret",
    "GOOGLE_API_KEY": "AIzaSyGOOGLE-KEY-5e1b2d-secret",
    "YELP_API_KEY": "yelp-KEY-2c8d4e-secret",
    "X_BEARER_TOKEN": "x-BEARER-9a6f1b-secret",
    "REPMON_SCRAPYD_PASSWORD": "scrapyd-PW-4d7e2a-secret",
}
DB_PASSWORD = "db-PW-8b3c5f-secret"
NOW = DEFAULT_ANCHOR
HARM = "After the surgery I got a serious infection and nearly died; the surgeon botched it."


@pytest.fixture
def secret_db_url() -> Iterator[str]:
    """A PostgreSQL URL with a password (a role and schema of its own), else SQLite."""
    if not PG_URL:
        yield ""
        return
    name = "secret_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{DB_PASSWORD}'"))
        conn.execute(text(f"CREATE SCHEMA {name} AUTHORIZATION {name}"))
    rest = PG_URL.split("@", 1)[1]
    yield f"postgresql+psycopg://{name}:{DB_PASSWORD}@{rest}?options=-csearch_path%3D{name}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        conn.execute(text(f"DROP ROLE {name}"))
    admin.dispose()


class Outputs:
    """Everything a user or an operator could see, collected as text."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, value: object) -> None:
        self.texts.append((where, str(value)))

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(main, list(args))
        self.add(f"repmon {' '.join(args)} (stdout+stderr)", result.output)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.add(f"repmon {' '.join(args)} (exception)", repr(result.exception))
        return result

    def leaks(self, secrets: list[str]) -> list[str]:
        return [
            f"{secret[:12]}... in {where}"
            for where, value in self.texts
            for secret in secrets
            if secret in value
        ]


def _refusing_smtp() -> Server:
    def authenticator(*_: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    srv = Server()
    srv.start(authenticator)
    return srv


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_secret_in_any_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret_db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("REPMON_") and key != "REPMON_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    secrets = list(SECRETS.values()) + ([DB_PASSWORD] if secret_db_url else [])
    if secret_db_url:
        monkeypatch.setenv("REPMON_DATABASE_URL", secret_db_url)
    smtp = _refusing_smtp()
    monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPMON_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("REPMON_SMTP_SECURITY", "none")
    monkeypatch.setenv("REPMON_SMTP_USERNAME", "relay")
    caplog.set_level(logging.DEBUG)
    # A wide terminal: a secret folded across table lines would escape the search.
    monkeypatch.setattr(console, "width", 2000)
    monkeypatch.setattr(err_console, "width", 2000)
    out = Outputs()
    try:
        with serve(now=DEFAULT_ANCHOR) as base:
            roster = urlopen(f"{base}/_sandbox/roster.csv").read().decode()
            (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
            for name in ("block", "break"):
                source = "healthgrades" if name == "block" else "ratemds"
                urlopen(Request(f"{base}/_sandbox/{name}?source={source}&on=1", method="POST"))
            out.run("init")
            out.run("-vv", "config", "show")
            out.run("config", "show", "--json")
            out.run("roster", "import", "roster.csv")
            settings = [f"{k}={v}" for k, v in scrapy_settings(base).items()]
            # Legacy Places takes the key in the URL; DEBUG logs every request URL.
            settings += ["GOOGLE_API=legacy", "RETRY_TIMES=1", "LOG_LEVEL=DEBUG"]
            crawl = out.run(
                "-vv", "crawl", "google", "yelp", "x", "healthgrades", "ratemds",
                *[a for s in settings for a in ("-s", s)], "--now", NOW.isoformat(),
            )  # fmt: skip
            assert "blocked" in crawl.output, crawl.output  # the failures did happen
        out.run("crawls")
        out.run("status")
        npi = roster.splitlines()[1].split(",")[0]
        record = {"source": "yelp", "external_id": "s1", "npi": npi, "rating": 1, "text": HARM}
        record["published_at"] = (NOW - timedelta(hours=2)).isoformat()
        write_jsonl(tmp_path / "harm.jsonl", [record])
        out.run("ingest", "harm.jsonl", "--now", NOW.isoformat())
        out.run("reclassify", "--now", NOW.isoformat())  # the harm review alerts: mail to send
        out.run("recipients", "add", "risk@example.org", "--topic", "safety")
        out.run("-vv", "alerts", "evaluate", "--now", NOW.isoformat())
        flush = out.run("-vv", "outbox", "flush", "--now", NOW.isoformat())
        # the server refuses the login: nothing sent, the mail waits, the error names no secret
        assert flush.exit_code == 1 and "0 sent" in flush.output, flush.output
        assert "still waiting to be sent" in flush.output, flush.output
        out.run("outbox", "list")
        out.run("alerts", "list")
        monkeypatch.setenv("REPMON_SCRAPYD_URLS", "http://127.0.0.1:9")
        monkeypatch.setenv("REPMON_SCRAPYD_USERNAME", "crawler")
        out.run("crawl", "ratemds", "--engine", "scrapyd", "--now", NOW.isoformat())
    finally:
        smtp.stop()
    assert "0 sent" in flush.output

    # Whatever the database holds that a person can see: crawl runs (args, errors), the
    # outbox (addresses, bodies, last errors), alerts, everything.
    db = Database(secret_db_url or f"sqlite:///{tmp_path / 'repmon-data' / 'repmon.db'}")
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                out.add(f"table {table.name}", row)
    db.dispose()
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            out.add(f"file {path.relative_to(tmp_path)}", path.read_bytes().decode("latin-1"))
    for record in caplog.records:
        out.add(f"log record {record.name}", record.getMessage() + (record.exc_text or ""))
    assert len(out.texts) > 30
    logs = "".join(value for where, value in out.texts if "logs/crawl-" in where)
    assert "details/json?" in logs and "key=***" in logs  # the key was used, and redacted
    assert out.leaks(secrets) == []


def test_an_unreachable_database_does_not_print_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"postgresql+psycopg://repmon:{quote(DB_PASSWORD)}@127.0.0.1:9/repmon"
    monkeypatch.setenv("REPMON_DATABASE_URL", url)
    monkeypatch.setattr(console, "width", 2000)
    out = Outputs()
    for args in (["init"], ["status"], ["reviews"], ["config", "show"], ["-vv", "crawls"]):
        result = out.run(*args)
        assert args == ["config", "show"] or result.exit_code != 0
    assert "127.0.0.1" in out.run("config", "show").output
    assert out.leaks([DB_PASSWORD]) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<GET https://m.example/details/json?place_id=p&key=AIzaS3cr3t>", "key=***>"),
        ("could not connect to postgresql://repmon:pa@ss@db.example/repmon", "repmon:***@db"),
        ("https://crawler:s3cr3t@scrapyd.example:6800/schedule.json", "crawler:***@scrapyd"),
    ],
)
def test_log_lines_and_urls_lose_their_secrets(text: str, shown: str) -> None:
    record = logging.LogRecord("scrapy.core.engine", logging.DEBUG, "", 0, "%s", (text,), None)
    assert RedactingFilter().filter(record)
    assert shown in record.getMessage() and "s3cr3t" not in record.getMessage()
    assert "pa@ss" not in record.getMessage() and "AIza" not in record.getMessage()
    assert redact_text(text) == record.getMessage()
    if text.startswith("https://"):
        assert redact_url(text) == "https://crawler:***@scrapyd.example:6800/schedule.json"
