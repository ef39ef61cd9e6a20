"""The one storing pipeline: validate, normalise, upsert; page items become crawl health.

Enabled with the Scrapy setting REPMON_STORE=1 (`repmon crawl` sets it). Without it, spiders
run without a database, e.g. `scrapy crawl ratemds -a url=... -O out.jsonl`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from reputation.crawls.runs import CrawlCounts, finish_run, record_process, start_run
from reputation.imports.incoming import Rejected, ReviewIn, validate_review
from reputation.imports.normalize import normalise_url
from reputation.mentions import Candidate, candidates, store_mention
from reputation.storage.db import Database
from reputation.storage.models import CrawlRun
from reputation.storage.store import (
    Attachments,
    Tally,
    known_external_ids,
    mark_complete,
    mark_deleted,
    record_public_rating,
    upsert_reviews,
)
from spiders.base import KnownIds
from spiders.config import repmon_settings
from spiders.items import MentionItem, PageItem, ReviewItem
from spiders.unreachable import UNREACHABLE_STAT

__all__ = ["StorePipeline"]

log = logging.getLogger(__name__)
BATCH = 100
FLUSH_SECONDS = 5.0


@dataclass
class _Profile:
    """What the run saw of one profile, for deletion marking."""

    seen: set[str] = field(default_factory=set)
    complete: bool = False  # a full pass reached the last page: deletions can be marked
    reached_end: bool = False  # the last page, or pages already stored: nothing was skipped
    partial: bool = False
    refused: bool = False
    first_ok: bool = False  # page 1 was read: a later page lost makes the profile cut short
    cut: bool = False
    expected: int = 0  # reviews page 1 announces
    rating: float | None = None  # the site's own rating page 1 shows


def crawl_now(value: str | None) -> datetime:
    """The crawl's clock: REPMON_NOW when replaying or crawling the sandbox, else the clock."""
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class StorePipeline(KnownIds):
    """Stores reviews and mentions through reputation.storage.store and records the CrawlRun."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("REPMON_STORE"):
            raise NotConfigured  # without a message: a crawl with -O logs no warning for it
        self.crawler = crawler
        self.db = Database(settings.get("REPMON_DATABASE_URL") or repmon_settings().database_url)
        self.db.ensure_schema()
        self.run_id: int | None = settings.getint("REPMON_RUN_ID") or None
        now_setting = settings.get("REPMON_NOW")
        self.now = crawl_now(now_setting)
        self.replay = bool(now_setting)
        self.tally = Tally()
        self.buffer: list[ReviewIn] = []
        self.profiles: dict[str, _Profile] = {}
        self.pages = Counter[str]()
        self.expected = 0
        self.mentions_new = 0
        self.problems: list[str] = []
        self.cands: list[Candidate] | None = None
        self.flushed = time.monotonic()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Build from the crawl's settings; not configured unless REPMON_STORE is on."""
        return cls(crawler)

    @property
    def spider(self) -> Spider:
        """The crawl's spider (Scrapy no longer passes it to pipeline methods)."""
        spider = self.crawler.spider
        assert spider is not None, "the pipeline is used before the spider opened"
        return spider

    def open_spider(self) -> None:
        """Start (or adopt) the CrawlRun."""
        spider = self.spider
        with self.db.transaction() as session:
            if self.run_id is None:
                args = {
                    k: v
                    for k, v in vars(spider).items()
                    if k in ("url", "physician", "practice", "full")
                }
                run = start_run(session, spider.name, spider.name, args, self.now)
                self.run_id = run.id
            run = session.get_one(CrawlRun, self.run_id)
            record_process(run, socket.gethostname(), os.getpid())

    def known_ids(self, external_ids: Iterable[str]) -> set[str]:
        """Which of these reviews are stored from a completed crawl (the spider stops on all).

        Reviews of a profile whose last crawl was killed are not "known": the next crawl
        goes past them to the pages the killed one never reached.
        """
        ids = list(external_ids)
        if not ids:
            return set()
        with self.db.session() as session:
            return known_external_ids(session, self._source, ids, complete_only=True)

    @property
    def _source(self) -> str:
        return str(self.spider.name)

    def process_item(self, item: Any) -> Any:
        """Validate and buffer a review, store a mention, or count a page."""
        if isinstance(item, PageItem):
            self._page(item)
            return item
        if isinstance(item, MentionItem):
            self._mention(item)
            return item
        if not isinstance(item, ReviewItem):
            return item
        try:
            review = validate_review(asdict(item), self.now)
        except Rejected as exc:
            self.tally.reject(exc.field)
            self.crawler.stats.inc_value(f"repmon/rejected/{exc.field}")
            if len(self.problems) < 20:
                self.problems.append(f"rejected {item.external_id}: {exc}")
            raise DropItem(f"invalid review {item.external_id}: {exc}") from None
        key = normalise_url(item.profile_url)
        self.profiles.setdefault(key, _Profile()).seen.add(review.external_id)
        self.buffer.append(review)
        # Commit every BATCH reviews or every few seconds: progress shows, a kill loses little.
        if len(self.buffer) >= BATCH or time.monotonic() - self.flushed > FLUSH_SECONDS:
            self._flush()
        return item

    def _page(self, page: PageItem) -> None:
        profile = self.profiles.setdefault(normalise_url(page.profile_url), _Profile())
        if page.page > 1 and page.status != "ok" and profile.first_ok:
            profile.cut = True  # counted as a partial profile, not as a failed source
            self.pages["cut"] += 1
        else:
            self.pages[page.status] += 1
        if page.page == 1 and page.status == "ok":
            profile.first_ok = True
            profile.expected = page.aggregate_count or 0
            rating = page.aggregate_rating  # parsers bound it; an item built elsewhere may not
            profile.rating = rating if rating is not None and 0 < rating <= 5 else None
        if page.aggregate_count:
            self.expected = max(self.expected, page.aggregate_count)
        profile.partial = profile.partial or page.partial
        profile.refused = profile.refused or page.status != "ok"
        if page.full and page.last_page and page.status == "ok":
            profile.complete = True
        if page.status == "ok" and (page.last_page or page.stopped_early):
            profile.reached_end = True
        self.problems.extend(page.problems[: max(0, 20 - len(self.problems))])

    def _mention(self, item: MentionItem) -> None:
        with self.db.transaction() as session:
            if self.cands is None:
                self.cands = candidates(session)
            try:
                if store_mention(session, asdict(item), self.cands, self.now):
                    self.mentions_new += 1
                    self.tally.new += 1
                else:
                    self.tally.unchanged += 1
            except ValueError as exc:
                self.tally.reject("mention")
                self.problems.append(str(exc))

    def _flush(self) -> None:
        if not self.buffer:
            return
        with self.db.transaction() as session:
            attach = Attachments(session)
            for outcome in upsert_reviews(session, self.buffer, self.now, attach):
                self.tally.add(outcome)
            self._save_counts(session.get(CrawlRun, self.run_id))
        self.buffer.clear()
        self.flushed = time.monotonic()

    def _save_counts(self, run: CrawlRun | None) -> None:
        if run is None:
            return
        run.new, run.updated = self.tally.new, self.tally.updated
        run.unchanged, run.rejected = self.tally.unchanged, self.tally.rejected
        run.reject_reasons = dict(self.tally.reasons)
        run.pages = sum(self.pages.values())

    def close_spider(self) -> None:
        """Store what is left; the run is finished on spider_closed, once Scrapy says why."""
        self._flush()

    def spider_closed(self, reason: str) -> None:
        """Mark deletions after complete passes and finish the CrawlRun with the close reason.

        Pipelines close before Scrapy records its finish_reason stat: a crawl cut short
        (timeout, shutdown) would otherwise be recorded as finished.
        """
        spider = self.spider
        stats = self.crawler.stats
        reason = str(stats.get_value("repmon/stopped") or reason)
        errors = int(stats.get_value("log_count/ERROR") or 0)
        items = self.tally.new + self.tally.updated + self.tally.unchanged + self.tally.rejected
        with self.db.transaction() as session:
            run = session.get(CrawlRun, self.run_id)
            assert run is not None, "the crawl run row disappeared"
            deleted = 0
            attach = Attachments(session)
            now = self.now if self.replay else crawl_now(None)
            for url, profile in self.profiles.items():
                profile_id = attach.profile_for(spider.name, url)
                if profile_id is not None and profile.rating is not None:
                    count = profile.expected or None
                    record_public_rating(session, profile_id, profile.rating, count, now)
                if profile_id is None or profile.refused:
                    continue
                if profile.complete and not profile.partial:
                    deleted += mark_deleted(session, spider.name, profile_id, profile.seen, now)
                if profile.reached_end and reason == "finished":
                    mark_complete(session, profile_id, now)
            self._save_counts(run)
            run.deleted = deleted
            counts = CrawlCounts(
                pages=sum(self.pages.values()),
                items=items,
                blocked_pages=self.pages["blocked"],
                broken_pages=self.pages["broken"],
                failed_pages=self.pages["failed"],
                expected_reviews=self.expected,
                errors=errors,
                finish_reason=reason,
                cut_profiles=sum(p.cut for p in self.profiles.values()),
                cut_found=sum(len(p.seen) for p in self.profiles.values() if p.cut),
                cut_expected=sum(p.expected for p in self.profiles.values() if p.cut),
                unreachable=tuple(stats.get_value(UNREACHABLE_STAT) or ()),
            )
            finish_run(run, counts, self.now if self.replay else crawl_now(None), self.problems)
            log.info("crawl run %s: %s %s", run.id, run.status, run.errors[:1])
        self.db.dispose()
