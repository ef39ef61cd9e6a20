"""Our Scrapy components use the current API: no deprecation warning, no spider patching.

Warnings Scrapy raises about our components are errors here (and every subprocess crawl of
the spider tests fails on a DeprecationWarning in its log: tests/crawling.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.pipelines import ItemPipelineManager
from scrapy.utils.test import get_crawler

from spiders.base import KnownIds
from spiders.middlewares import RetryAfterMiddleware
from spiders.pipelines import StorePipeline
from spiders.sites.ratemds import RateMDsSpider

pytestmark = pytest.mark.filterwarnings("error::scrapy.exceptions.ScrapyDeprecationWarning")


def test_pipeline_and_middleware_are_built_without_deprecation_warnings(tmp_path: Path) -> None:
    crawler = get_crawler(
        RateMDsSpider,
        {
            "REPMON_STORE": True,
            "REPMON_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
            "ITEM_PIPELINES": {StorePipeline: 300},
            "DOWNLOADER_MIDDLEWARES": {RetryAfterMiddleware: 560},
        },
    )
    pipelines = ItemPipelineManager.from_crawler(crawler)
    store = pipelines.middlewares[0]
    assert isinstance(store, StorePipeline) and store.crawler is crawler
    assert isinstance(store, KnownIds)  # spiders find it with crawler.get_item_pipeline
    middlewares = DownloaderMiddlewareManager.from_crawler(crawler)
    assert any(isinstance(m, RetryAfterMiddleware) for m in middlewares.middlewares)
    store.db.dispose()


def test_the_pipeline_does_not_patch_the_spider() -> None:
    assert "known_ids" in vars(KnownIds) and "open_spider" in vars(StorePipeline)
    assert StorePipeline.open_spider.__code__.co_argcount == 1  # no spider argument
    assert StorePipeline.process_item.__code__.co_argcount == 2
    assert StorePipeline.close_spider.__code__.co_argcount == 1
