"""Crawl runs: what to crawl and how a finished crawl went (runs), and crawl health in words
for people (health: "Yelp: blocked since Tuesday").

health is pure; runs reads and writes CrawlRun rows through reputation.storage. Spiders and the
CLI's crawl processes import this package, never the reverse.
"""

__all__ = ["health", "runs"]
