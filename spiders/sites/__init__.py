"""The spiders, one module each; their `name` is the contract (`scrapy crawl NAME`)."""

__all__ = ["google", "healthgrades", "ratemds", "reddit", "schemaorg", "x", "yelp"]
