"""Scrapy settings of the repmon spiders: polite by default.

The User-Agent contact and the API endpoints come from repmon's one settings table
(reputation.settings: TOML file and REPMON_* environment variables; see `repmon config show`),
so a crawl can point at the local sandbox. API keys are NOT Scrapy settings: Scrapy logs
its overridden settings, so spiders read keys from the environment (GOOGLE_API_KEY,
YELP_API_KEY, X_BEARER_TOKEN) when they build a request.
"""

from __future__ import annotations

import os
from pathlib import Path

from reputation.settings import load_settings

_REPMON = load_settings(None, os.environ, Path.cwd())
BOT_NAME = "repmon"
SPIDER_MODULES = ["spiders.sites"]
NEWSPIDER_MODULE = "spiders.sites"

# Who to contact about this crawler: settings crawl.user_agent and crawl.contact.
CRAWLER_CONTACT = str(_REPMON["crawl.contact"])
USER_AGENT = _REPMON.user_agent

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DOWNLOAD_TIMEOUT = 30

# Retries: Scrapy's RetryMiddleware re-sends 429/5xx; RetryAfterMiddleware (it sees the
# response first) waits as long as the server's Retry-After asks, else backs off
# exponentially (RETRY_BACKOFF_BASE * 2**attempt), never longer than RETRY_BACKOFF_MAX.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.RetryAfterMiddleware": 560}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Where profiles come from when no `-a url=` is given: dotted path of a callable
# (source, npi_or_None, settings) -> iterable of spiders.base.Target: the roster in the database.
REPMON_TARGETS = "spiders.targets.from_database"
# The storing pipeline; it stays off (NotConfigured) unless REPMON_STORE=1 (`repmon crawl`).
ITEM_PIPELINES = {"spiders.pipelines.StorePipeline": 300}
REPMON_STORE = False
# Upper bound of pages followed per profile or query (a guard against pagination loops).
REPMON_MAX_PAGES = 50

GOOGLE_ENDPOINT = str(_REPMON["google.endpoint"])
GOOGLE_LEGACY_ENDPOINT = str(_REPMON["google.legacy_endpoint"])
# "new" (Places API New) or "legacy" (Place Details) for place ids given without a URL.
GOOGLE_API = str(_REPMON["google.api"])
YELP_ENDPOINT = str(_REPMON["yelp.endpoint"])
REDDIT_ENDPOINT = str(_REPMON["reddit.endpoint"])
X_ENDPOINT = str(_REPMON["x.endpoint"])
