"""The bridge from repmon's one settings table to the spiders, loaded once per process.

`RepmonAddon` (Scrapy setting ADDONS) copies the non-secret values (User-Agent, API
endpoints) into Scrapy settings at add-on priority, so `-s NAME=VALUE` still wins. Secrets
(API keys, the database URL) are never Scrapy settings, because Scrapy logs every overridden
setting: spiders ask `secret()` for them when they build a request. `preflight()` says,
before any process starts, what a source lacks (e.g. an API key), naming every documented way
to set it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from reputation.settings import Settings, load_settings, setting

__all__ = [
    "BRIDGED",
    "KEYS",
    "RepmonAddon",
    "is_local",
    "preflight",
    "repmon_settings",
    "secret",
]

# Scrapy setting <- repmon setting, for what spiders read through `self.settings`.
BRIDGED = {
    "GOOGLE_ENDPOINT": "google.endpoint",
    "GOOGLE_LEGACY_ENDPOINT": "google.legacy_endpoint",
    "GOOGLE_API": "google.api",
    "YELP_ENDPOINT": "yelp.endpoint",
    "REDDIT_ENDPOINT": "reddit.endpoint",
    "X_ENDPOINT": "x.endpoint",
    "REPMON_RETRY_AFTER_MAX": "crawl.retry_after_max",
}
# The secret each keyed API needs, and the Scrapy settings naming its endpoints.
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "google": ("google.api_key", ("GOOGLE_ENDPOINT", "GOOGLE_LEGACY_ENDPOINT")),
    "yelp": ("yelp.api_key", ("YELP_ENDPOINT",)),
    "x": ("x.bearer_token", ("X_ENDPOINT",)),
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@cache
def repmon_settings() -> Settings:
    """repmon's settings (defaults, repmon.toml or REPMON_CONFIG, environment), read once."""
    return load_settings(None, os.environ, Path.cwd())


def secret(name: str) -> str:
    """A secret setting's value ('' when unset); never put it in a Scrapy setting or a log."""
    return str(repmon_settings()[name])


def is_local(url: str) -> bool:
    """Whether a URL points at this machine (the sandbox, a test server): no key needed."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def preflight(
    source: str, settings: Settings, overrides: Mapping[str, str] | None = None, url: str = ""
) -> str | None:
    """What keeps `source` from crawling (a missing API key), or None.

    A key is needed unless the API's endpoint is on this machine (the sandbox, a test server):
    `overrides` are the Scrapy settings given to the crawl (`-s NAME=VALUE`); `url`, a target
    given as a full URL, is requested instead of the endpoint.
    """
    if source not in KEYS:
        return None
    name, endpoints = KEYS[source]
    if settings[name]:
        return None
    given = overrides or {}

    def value(scrapy_name: str) -> str:
        return str(given.get(scrapy_name) or settings[BRIDGED[scrapy_name]])

    if url.startswith(("http://", "https://")):
        return None if is_local(url) else _missing(source, name)
    if source == "google":  # place ids go to one of the two APIs, as google.api says
        endpoints = endpoints[1:] if value("GOOGLE_API") == "legacy" else endpoints[:1]
    if all(is_local(value(e)) for e in endpoints):
        return None
    return _missing(source, name)


def _missing(source: str, name: str) -> str:
    entry = setting(name)
    return f"{source}: {entry.help.rstrip('.')} is not set: set " + " or ".join(entry.env_forms)


class RepmonAddon:
    """Scrapy add-on: repmon's settings reach every crawl component, read once a process."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        """Scrapy builds add-ons with the crawler; this one needs nothing from it."""
        return cls()

    def update_settings(self, settings: Any) -> None:
        """Set the User-Agent and endpoints at add-on priority (below `-s`)."""
        repmon = repmon_settings()
        settings.set("USER_AGENT", repmon.user_agent, priority="addon")
        for scrapy_name, name in BRIDGED.items():
            settings.set(scrapy_name, repmon[name], priority="addon")
