"""Scrapy settings of the repmon spiders: polite by default.

Endpoints of the APIs are settings (and `REPMON_<SOURCE>_ENDPOINT` environment variables,
the names `repmon config` uses) so a crawl can point at the local sandbox. API keys are
NOT settings: Scrapy logs its overridden settings, so spiders read keys from the
environment (GOOGLE_API_KEY, YELP_API_KEY, X_BEARER_TOKEN) when they build a request.
"""

from __future__ import annotations

import os

BOT_NAME = "repmon"
SPIDER_MODULES = ["spiders.sites"]
NEWSPIDER_MODULE = "spiders.sites"

# Who to contact about this crawler; `repmon crawl` passes the `crawl.contact` setting.
CRAWLER_CONTACT = os.environ.get("REPMON_CRAWL_CONTACT", "reputation-office@example.org")
USER_AGENT = f"repmon/0.1 (hospital reputation monitor; +mailto:{CRAWLER_CONTACT})"

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

GOOGLE_ENDPOINT = os.environ.get("REPMON_GOOGLE_ENDPOINT", "https://places.googleapis.com/v1")
GOOGLE_LEGACY_ENDPOINT = os.environ.get(
    "REPMON_GOOGLE_LEGACY_ENDPOINT", "https://maps.googleapis.com/maps/api/place/details/json"
)
# "new" (Places API New) or "legacy" (Place Details) for place ids given without a URL.
GOOGLE_API = os.environ.get("REPMON_GOOGLE_API", "new")
YELP_ENDPOINT = os.environ.get("REPMON_YELP_ENDPOINT", "https://api.yelp.com/v3")
REDDIT_ENDPOINT = os.environ.get("REPMON_REDDIT_ENDPOINT", "https://www.reddit.com")
X_ENDPOINT = os.environ.get("REPMON_X_ENDPOINT", "https://api.x.com/2")
