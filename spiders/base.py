"""What every repmon spider shares: arguments, targets, incremental stop, page health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from spiders.config import BRIDGED, is_local, preflight, repmon_settings
from spiders.items import MentionItem, PageItem, PageStatus, ReviewItem
from spiders.middlewares import SiteRefused
from spiders.parsers import ParseResult, detect_challenge
from spiders.parsers.result import load_json
from spiders.redact import install_log_redaction, redact_text, redact_url

__all__ = ["BaseSpider", "KnownIds", "Target", "page_status", "page_text", "targets_from_file"]

Item = ReviewItem | MentionItem | PageItem


@dataclass(frozen=True)
class Target:
    """One thing to crawl: a profile URL, a place/business id, or (social) a physician."""

    url: str = ""
    npi: str = ""
    name: str = ""
    aliases: tuple[str, ...] = ()
    practice: str = ""


class KnownIds:
    """An item pipeline that knows which reviews are stored: spiders stop paging on them.

    A spider finds it with `crawler.get_item_pipeline(KnownIds)`; without one, nothing is known.
    """

    def known_ids(self, external_ids: Sequence[str]) -> set[str]:
        """Which of these external ids are already stored."""
        return set()


def targets_from_file(source: str, npi: str | None, settings: Any) -> list[Target]:
    """Target provider reading REPMON_TARGETS_FILE: one `URL` or `NPI<TAB>URL` per line."""
    path = settings.get("REPMON_TARGETS_FILE")
    if not path:
        raise UsageError("REPMON_TARGETS_FILE is not set")
    targets = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.strip().split("\t")
            if not parts[0] or parts[0].startswith("#"):
                continue
            target = Target(url=parts[-1], npi=parts[0] if len(parts) > 1 else "")
            if not npi or target.npi == npi:
                targets.append(target)
    return targets


def page_text(response: Response) -> str:
    """The body as a browser decodes it: the declared charset or BOM, else UTF-8, else cp1252.

    Scrapy guesses an undeclared charset statistically, and reads a short latin-1 page in
    Spanish as cp1250 ("Núñez" becomes "Núńez"); browsers fall back to windows-1252.
    """
    if not isinstance(response, TextResponse):
        return ""
    body = response.body
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
    if read_bom(body)[0] or http_content_type_encoding(content_type):
        return response.text
    if html_body_declared_encoding(body):
        return response.text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def page_status(result: ParseResult, page: int) -> PageStatus:
    """ "broken" when a first page yields nothing but claims reviews or could not be read."""
    if result.found == 0 and page == 1 and (result.aggregate_count or result.problems):
        return "broken"
    return "ok"


class BaseSpider(scrapy.Spider):
    """Arguments: -a url=URL (one profile), -a physician=NPI, -a full=1."""

    # HTTP statuses that mean "the site is refusing us" rather than "something failed".
    blocked_statuses: frozenset[int] = frozenset({403, 429})
    # Sources that only ever show the newest few reviews (no deletion inference).
    partial = False
    handle_httpstatus_list = [401, 403, 404, 410, 429, 500, 502, 503, 504]

    def __init__(
        self,
        url: str | None = None,
        physician: str | None = None,
        full: str | bool | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.url = url or ""
        self.physician = physician or ""
        self.full = str(full).lower() in {"1", "true", "yes", "on"}
        install_log_redaction()

    def known_ids(self, external_ids: Sequence[str]) -> set[str]:
        """Which of these external ids are already stored: asks the KnownIds pipeline, if any."""
        pipeline = self.crawler.get_item_pipeline(KnownIds)
        return pipeline.known_ids(external_ids) if pipeline is not None else set()

    def start_targets(self) -> list[Target]:
        """Targets of this run: `-a url=`, else the REPMON_TARGETS provider (the database)."""
        if self.url:
            return [Target(url=self.url, npi=self.physician)]
        provider_path = self.settings.get("REPMON_TARGETS") if hasattr(self, "crawler") else ""
        if not provider_path:
            raise UsageError(
                f"spider {self.name}: no -a url=URL given and no target provider configured "
                "(REPMON_TARGETS); crawl profiles from the database with `repmon crawl`"
            )
        provider = load_object(provider_path)
        return list(provider(self.name, self.physician or None, self.settings))

    # -- request building -------------------------------------------------------------------

    def requests_for(self, target: Target) -> Iterable[scrapy.Request]:
        """First request(s) for one target; each spider implements this."""
        raise NotImplementedError

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Yield the first request of every target; none to a keyed API without its key."""
        given = {name: str(self.settings.get(name) or "") for name in BRIDGED}
        problem = preflight(self.name, repmon_settings(), given)
        for target in self.start_targets():
            for request in self.requests_for(target):
                if problem and not is_local(request.url):
                    self.logger.error("%s (not requested: %s)", problem, redact_url(request.url))
                    continue
                yield request

    @property
    def max_pages(self) -> int:
        """Guard against pagination loops."""
        return self.settings.getint("REPMON_MAX_PAGES", 50)

    def request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """A request whose download failures become a `failed` page item (never silence)."""
        return scrapy.Request(url, callback, errback=self.on_error, **kwargs)

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        """Connection errors, timeouts, robots.txt refusals (failed), a site's refusal (blocked)."""
        request = getattr(failure, "request", None)
        kwargs = request.cb_kwargs if request is not None else {}
        target = kwargs.get("target") or Target(url=request.url if request is not None else "")
        refused = isinstance(failure.value, SiteRefused)
        status: PageStatus = "blocked" if refused else "failed"
        self.crawler.stats.inc_value(f"repmon/pages_{status}")
        yield PageItem(
            source=self.name,
            url=redact_url(request.url) if request is not None else "",
            profile_url=target.url,
            status=status,
            http_status=0,
            page=int(kwargs.get("page", 1)),
            full=self.full,
            partial=self.partial,
            npi=target.npi,
            problems=[
                f"{failure.type.__name__ if failure.type else 'error'}: "
                f"{redact_text(failure.getErrorMessage())}"
            ],
        )

    # -- response handling ------------------------------------------------------------------

    def refused(self, response: Response, target: Target, page: int) -> PageItem | None:
        """A page item when the response is a block, challenge or error page, else None."""
        body = page_text(response)
        headers = {
            k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v
        }
        challenge = detect_challenge(response.status, body, headers)
        status: PageStatus | None = None
        problem = ""
        meta = response.request.meta if response.request is not None else {}
        if meta.get("retry_after_exceeded"):
            status, problem = "blocked", str(meta["retry_after_exceeded"])
        elif challenge:
            status, problem = "blocked", challenge
        elif response.status in self.blocked_statuses:
            status, problem = "blocked", f"HTTP {response.status} after retries"
        elif response.status >= 400:
            status, problem = "failed", f"HTTP {response.status}"
            if body.lstrip().startswith("{"):
                problem += ": " + " ".join(body.split())[:200]
        if status is None:
            return None
        self.crawler.stats.inc_value(f"repmon/pages_{status}")
        return self.page_item(response, target, page, status=status, problems=[problem])

    def page_item(self, response: Response, target: Target, page: int, **fields: Any) -> PageItem:
        """A PageItem for this response with the spider's common fields filled in."""
        return PageItem(
            source=self.name,
            url=redact_url(response.url),
            profile_url=target.url,
            http_status=response.status,
            page=page,
            full=self.full,
            partial=self.partial,
            npi=target.npi,
            **fields,
        )

    def emit(
        self,
        response: Response,
        result: ParseResult,
        target: Target,
        page: int,
        *,
        last_page: bool,
        stopped_early: bool = False,
    ) -> Iterator[Item]:
        """Yield the parsed reviews/mentions, then the page item describing this page."""
        for review in result.reviews:
            review.npi = review.npi or target.npi
            if target.url and not review.profile_url:
                review.profile_url = target.url
            yield review
        for mention in result.mentions:
            if target.npi and target.npi not in mention.physician_hints:
                mention.physician_hints.append(target.npi)
            yield mention
        status = page_status(result, page)
        if status != "ok":
            self.crawler.stats.inc_value(f"repmon/pages_{status}")
        yield self.page_item(
            response,
            target,
            page,
            status=status,
            reviews_found=result.found,
            aggregate_count=result.aggregate_count,
            aggregate_rating=result.aggregate_rating,
            last_page=last_page,
            stopped_early=stopped_early,
            physician_name=result.physician_name,
            specialty=result.specialty,
            locations=result.locations,
            problems=result.problems,
        )

    def go_on(self, result: ParseResult, page: int, has_next: bool) -> tuple[bool, bool]:
        """(fetch next page?, stopped early?) — stop when every id on the page is known."""
        if not has_next or page >= self.max_pages:
            return False, False
        if self.full:
            return True, False
        ids = [r.external_id for r in result.reviews] + [m.external_id for m in result.mentions]
        if ids and set(ids) <= self.known_ids(ids):
            return False, True
        return True, False

    @staticmethod
    def json_of(response: Response) -> Any:
        """Decoded JSON of a response, or None when it is not JSON (or nests too deeply)."""
        if not isinstance(response, TextResponse):
            return None
        return load_json(page_text(response))[0]
