"""The local review web: every source's formats served on 127.0.0.1 from a seeded world.

    with serve(seed=7) as base:           # base = "http://127.0.0.1:PORT"
        roster = urlopen(base + "/_sandbox/roster.csv").read()

`scrapy_settings(base)` gives the `-s` overrides that point the spiders at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from spiders.sandbox.app import ROBOTS_TXT, SOURCES, Sandbox
from spiders.sandbox.http import serve_app
from spiders.sandbox.world import DEFAULT_ANCHOR, DEFAULT_SEED, World, build_world

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "ROBOTS_TXT",
    "SOURCES",
    "Sandbox",
    "World",
    "build_world",
    "sandbox_environment",
    "scrapy_args",
    "scrapy_settings",
    "serve",
]


@contextmanager
def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    anchor: datetime = DEFAULT_ANCHOR,
    blocked: tuple[str, ...] = (),
    broken: tuple[str, ...] = (),
) -> Iterator[str]:
    """Serve the sandbox in a background thread; yields its base URL.

    `blocked` sources answer with challenge pages, `broken` ones with changed markup.
    """
    sandbox = Sandbox(build_world(seed, anchor), now)
    sandbox.blocked.update(blocked)
    sandbox.broken.update(broken)
    with serve_app(sandbox, host, port) as base:
        sandbox.base = base
        yield base


def scrapy_settings(base: str) -> dict[str, Any]:
    """Scrapy settings that point the spiders at a sandbox and drop the polite delays."""
    return {
        "GOOGLE_ENDPOINT": f"{base}/google/v1",
        "GOOGLE_LEGACY_ENDPOINT": f"{base}/google/maps/api/place/details/json",
        "YELP_ENDPOINT": f"{base}/yelp/v3",
        "REDDIT_ENDPOINT": f"{base}/reddit",
        "X_ENDPOINT": f"{base}/x/2",
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "RETRY_BACKOFF_BASE": 0.1,
        "RETRY_BACKOFF_MAX": 1.0,
        "RETRY_TIMES": 2,
    }


def sandbox_environment(base: str) -> list[str]:
    """``REPMON_..._ENDPOINT=URL`` for each API endpoint: what points a ``repmon crawl`` run in
    another shell at this sandbox (the settings of the same names, without the test speed-ups)."""
    endpoints = {k: v for k, v in scrapy_settings(base).items() if k.endswith("_ENDPOINT")}
    return [f"REPMON_{name}={url}" for name, url in endpoints.items()]


def scrapy_args(base: str) -> list[str]:
    """The same settings as `-s NAME=VALUE` arguments for `scrapy crawl`."""
    args: list[str] = []
    for name, value in scrapy_settings(base).items():
        args += ["-s", f"{name}={value}"]
    return args
