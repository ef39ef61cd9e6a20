"""Keep API keys out of logs and items: the legacy Places API takes its key in the URL."""

from __future__ import annotations

import logging
import re

from w3lib.url import url_query_cleaner

__all__ = [
    "SECRET_PARAMS",
    "RedactingFilter",
    "install_log_redaction",
    "redact_text",
    "redact_url",
]

SECRET_PARAMS = ("key", "api_key", "apikey", "access_token", "token")
_IN_TEXT = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s>'\"]+", re.IGNORECASE)
# The password of a URL's user info: scheme://user:PASSWORD@host
_USERINFO = re.compile(r"(://[^/:@\s]*:)[^/\s]*@")


def redact_url(url: str) -> str:
    """The URL without secret query parameters or a password in its user info."""
    cleaned = url_query_cleaner(url, SECRET_PARAMS, remove=True, keep_fragments=True)
    return _USERINFO.sub(r"\1***@", cleaned)


def redact_text(text: str) -> str:
    """Text (a log line, an error message) with secrets in any URLs it quotes masked."""
    return _USERINFO.sub(r"\1***@", _IN_TEXT.sub(r"\1***", text))


class RedactingFilter(logging.Filter):
    """Replaces secret query parameter values in formatted log messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Scrapy loggers that print request URLs. Filters on loggers survive Scrapy re-installing
# its root handler; the root handlers get one too for anything else that logs a URL.
_URL_LOGGERS = (
    "scrapy.core.engine",
    "scrapy.core.scraper",
    "scrapy.core.downloader",
    "scrapy.downloadermiddlewares.retry",
    "scrapy.downloadermiddlewares.redirect",
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.spidermiddlewares.httperror",
)


def install_log_redaction() -> None:
    """Add the filter to Scrapy's URL-logging loggers and the root handlers (once each)."""
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in _URL_LOGGERS]
    targets += logging.root.handlers
    for target in targets:
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
