"""Scrapy settings of the repmon spiders: polite by default.

The User-Agent contact, the API endpoints and the Retry-After cap come from repmon's one
settings table (reputation.settings: TOML file and REPMON_* environment variables; see
`repmon config show`) through the add-on spiders.config.RepmonAddon, which reads it once per
process; `-s NAME=VALUE` overrides them, e.g. to point a crawl at the local sandbox. API keys
are NOT Scrapy settings (Scrapy logs its overridden settings): spiders read them from the
same table (spiders.config.secret) when they build a request.
"""

from __future__ import annotations

BOT_NAME = "repmon"
SPIDER_MODULES = ["spiders.sites"]
NEWSPIDER_MODULE = "spiders.sites"
ADDONS = {"spiders.config.RepmonAddon": 0}
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

# Retries: Scrapy's RetryMiddleware re-sends 429/5xx. Before it, RetryAfterMiddleware pauses
# the whole download slot (the site) for as long as the server's Retry-After asks, else
# backs off exponentially (RETRY_BACKOFF_BASE * 2**attempt, at most RETRY_BACKOFF_MAX); a
# Retry-After above REPMON_RETRY_AFTER_MAX (crawl.retry_after_max) stops the crawl: blocked.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.RetryAfterMiddleware": 560,
    "spiders.unreachable.UnreachableHostMiddleware": 570,  # sees a refusal before the retry
}
# A host that refused (or could not be resolved) this many times in a row is given up.
REPMON_UNREACHABLE_AFTER = 3

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
