"""Retry-After / backoff delays, the redaction of API keys, the file target provider."""

import logging
from datetime import UTC, datetime
from pathlib import Path

from spiders.base import Target, targets_from_file
from spiders.middlewares import retry_delay
from spiders.redact import RedactingFilter, redact_url

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_delay("7", 0, NOW) == 7.0
    assert retry_delay("Mon, 23 Nov 2026 12:00:30 GMT", 0, NOW) == 30.0
    assert retry_delay("Mon, 23 Nov 2026 11:00:00 GMT", 0, NOW) == 0.0
    # Retry-After is not shortened to the backoff cap: the middleware pauses the site for it,
    # or stops the crawl past crawl.retry_after_max.
    assert retry_delay("3600", 0, NOW, cap=120.0) == 3600.0


def test_exponential_backoff_without_a_header() -> None:
    assert [retry_delay(None, n, NOW, base=2.0) for n in range(4)] == [2.0, 4.0, 8.0, 16.0]
    assert retry_delay("soon", 10, NOW, base=2.0, cap=60.0) == 60.0


def test_keys_are_removed_from_urls_and_log_lines() -> None:
    url = "https://maps.example/details/json?place_id=P&key=SECRET123&fields=reviews"
    assert redact_url(url) == "https://maps.example/details/json?place_id=P&fields=reviews"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Gave up <GET %s>", (url,), None)
    RedactingFilter().filter(record)
    assert "SECRET123" not in record.getMessage() and "key=***" in record.getMessage()


def test_targets_from_file(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("# comment\nhttps://a.example/p1\n1234567893\thttps://a.example/p2\n\n")
    settings = {"REPMON_TARGETS_FILE": str(listing)}
    assert targets_from_file("ratemds", None, settings) == [
        Target(url="https://a.example/p1"),
        Target(url="https://a.example/p2", npi="1234567893"),
    ]
    assert targets_from_file("ratemds", "1234567893", settings) == [
        Target(url="https://a.example/p2", npi="1234567893")
    ]
