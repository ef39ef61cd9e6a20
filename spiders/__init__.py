"""Scrapy project: spiders that turn review sites and APIs into items, and a local sandbox."""

__all__ = ["items", "parsers", "sandbox", "settings", "sites"]
