"""The weekly digest as a pure function of loaded facts, the week, the timezone and `now`."""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reputation.crawlhealth import (
    CrawlFact,
    CrawlHealth,
    crawl_health,
    duration,
    source_label,
)
from reputation.isoweek import IsoWeek, zone

__all__ = [
    "AlertFact",
    "CrawlFact",
    "CrawlHealth",
    "Digest",
    "DigestData",
    "IsoWeek",
    "MixRow",
    "ResponseStats",
    "ReviewFact",
    "ReviewItem",
    "WeekPoint",
    "build_digest",
    "source_label",
]

TREND_WEEKS = 12
CATEGORY_LABELS = {
    "bedside_manner": "Bedside manner",
    "service": "Service",
    "clinical_skill": "Clinical skill",
}
FLAG_LABELS = {"harm": "Possible harm", "legal": "Legal threat", "phi": "Contains health info"}
_EXCERPT = 600
MAX_LISTED = 25  # reviews listed per section; the rest are counted


@dataclass(frozen=True)
class ReviewFact:
    """One stored review with its classification, as the digest needs it."""

    id: int
    physician_name: str
    source: str
    rating: float | None
    published_at: datetime
    text: str
    url: str
    response_at: datetime | None
    negative: bool
    responded: bool = False
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertFact:
    """An alert that is firing."""

    kind: str
    summary: str
    fired_at: datetime
    physician_name: str = ""


@dataclass(frozen=True)
class DigestData:
    """Everything loaded for one scope: a physician, or a practice roll-up."""

    scope: str  # physician | practice
    scope_id: int
    name: str
    context: str
    reviews: tuple[ReviewFact, ...]
    unanswered: tuple[ReviewFact, ...]
    alerts: tuple[AlertFact, ...]
    crawls: tuple[CrawlFact, ...]
    sources: tuple[str, ...]
    org_mix: tuple[tuple[str, int], ...]
    org_reviews: int


@dataclass(frozen=True)
class ReviewItem:
    """A review as shown: local time, stars, chips, text cut into (piece, highlighted) parts."""

    id: int
    source: str
    physician_name: str
    when: str
    rating: float | None
    stars: str
    chips: tuple[str, ...]
    flags: tuple[str, ...]
    segments: tuple[tuple[str, bool], ...]
    url: str
    negative: bool
    age_days: int = 0
    overdue: bool = False


@dataclass(frozen=True)
class WeekPoint:
    """One week of the rating trend; `mean` is None below the minimum count."""

    label: str
    count: int
    mean: float | None
    height: int  # bar height in px (0 when no mean)
    current: bool


@dataclass(frozen=True)
class MixRow:
    """Share of reviews mentioning a category, for this scope and the organisation."""

    label: str
    count: int
    pct: int
    org_pct: int


@dataclass(frozen=True)
class ResponseStats:
    """Responses to the reviews of the trend period."""

    total: int
    responded: int
    rate_pct: int | None
    median: str


@dataclass(frozen=True)
class Digest:
    """One weekly digest, ready for the templates."""

    scope: str
    scope_id: int
    name: str
    context: str
    week: IsoWeek
    period: str
    tz: str
    summary: str
    new_reviews: tuple[ReviewItem, ...]
    new_total: int
    week_mean: float | None
    trend: tuple[WeekPoint, ...]
    trend_mean: float | None
    trend_count: int
    mix: tuple[MixRow, ...]
    unanswered: tuple[ReviewItem, ...]
    unanswered_total: int
    overdue_total: int
    deadline_days: int
    response: ResponseStats
    alerts: tuple[AlertFact, ...]
    crawls: tuple[CrawlHealth, ...]
    min_reviews: int


def _stars(rating: float | None) -> str:
    if rating is None:
        return ""
    full = round(rating)
    return "★" * full + "☆" * (5 - full)


def _segments(text: str, evidence: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """Cut text into parts, marking the evidence sentences; long text is cut around them."""
    spans = sorted((start, start + len(e)) for e in evidence if e and (start := text.find(e)) >= 0)
    begin, end = 0, len(text)
    if len(text) > _EXCERPT:
        begin = max(0, min(spans[0][0] - 80, len(text) - _EXCERPT)) if spans else 0
        end = min(len(text), begin + _EXCERPT)
    parts: list[tuple[str, bool]] = [("…", False)] if begin else []
    pos = begin
    for start, stop in spans:
        start, stop = max(start, pos), min(stop, end)
        if start >= stop:
            continue
        parts += [(text[pos:start], False), (text[start:stop], True)]
        pos = stop
    parts.append((text[pos:end] + ("…" if end < len(text) else ""), False))
    return tuple(p for p in parts if p[0])


def _item(r: ReviewFact, tz: str, now: datetime, deadline_days: int) -> ReviewItem:
    local = r.published_at.astimezone(zone(tz))
    age = max(0, (now - r.published_at).days)
    return ReviewItem(
        id=r.id,
        source=source_label(r.source),
        physician_name=r.physician_name,
        when=local.strftime("%a %d %b %Y, %H:%M"),
        rating=r.rating,
        stars=_stars(r.rating),
        chips=tuple(CATEGORY_LABELS.get(c, c) for c in r.categories),
        flags=tuple(FLAG_LABELS.get(f, f) for f in r.flags),
        segments=_segments(r.text, r.evidence),
        url=r.url,
        negative=r.negative,
        age_days=age,
        overdue=age > deadline_days,
    )


def _mean(ratings: list[float], min_reviews: int) -> float | None:
    return round(statistics.fmean(ratings), 1) if ratings and len(ratings) >= min_reviews else None


def _summary(
    d_new: int,
    mean: float | None,
    negatives: int,
    overdue: int,
    alerts: int,
    crawls: tuple[CrawlHealth, ...],
) -> str:
    bad = [c.source for c in crawls if c.level != "ok"]
    if d_new:
        parts = [
            f"{d_new} new review{'s' if d_new != 1 else ''}"
            + (f" (average {mean:.1f}★)" if mean is not None else "")
        ]
        if negatives:
            parts.append(f"{negatives} negative")
    else:
        parts = [
            "No new reviews this week"
            + (f" (all {len(crawls)} sources crawled ok)" if crawls and not bad else "")
        ]
    if overdue:
        parts.append(
            f"{overdue} negative review{'s' if overdue != 1 else ''} unanswered past the deadline"
        )
    if alerts:
        parts.append(f"{alerts} open alert{'s' if alerts != 1 else ''}")
    if bad:
        parts.append("check crawling: " + ", ".join(bad))
    return "; ".join(parts) + "."


def _listed(facts: list[ReviewFact]) -> list[ReviewFact]:
    """At most MAX_LISTED reviews, negatives first, in time order."""
    if len(facts) <= MAX_LISTED:
        return facts
    chosen = sorted(facts, key=lambda r: (not r.negative, r.published_at))[:MAX_LISTED]
    return sorted(chosen, key=lambda r: r.published_at)


def build_digest(
    data: DigestData,
    week: IsoWeek,
    tz: str,
    now: datetime,
    min_reviews: int,
    deadline_days: int = 7,
) -> Digest:
    """The digest of one scope for one ISO week, in timezone `tz` (pure)."""
    weeks = [week.shift(i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    starts = [w.bounds(tz)[0] for w in weeks]
    end = week.bounds(tz)[1]
    buckets: list[list[ReviewFact]] = [[] for _ in weeks]
    for r in data.reviews:
        if starts[0] <= r.published_at < end:
            buckets[bisect.bisect_right(starts, r.published_at) - 1].append(r)
    window = [r for bucket in buckets for r in bucket]
    new = sorted(buckets[-1], key=lambda r: r.published_at)
    points = []
    for w, bucket in zip(weeks, buckets, strict=True):
        mean = _mean([r.rating for r in bucket if r.rating is not None], min_reviews)
        points.append(
            WeekPoint(
                w.monday().strftime("%d %b"),
                len(bucket),
                mean,
                round(mean / 5 * 80) if mean is not None else 0,
                w == week,
            )
        )
    org_total = max(data.org_reviews, 1)
    org = dict(data.org_mix)
    mix = []
    for name, label in CATEGORY_LABELS.items():
        count = sum(1 for r in window if name in r.categories)
        mix.append(
            MixRow(
                label,
                count,
                round(100 * count / len(window)) if window else 0,
                round(100 * org.get(name, 0) / org_total),
            )
        )
    answered = [r for r in window if r.responded or r.response_at is not None]
    hours = [
        (r.response_at - r.published_at).total_seconds() / 3600
        for r in answered
        if r.response_at is not None
    ]
    response = ResponseStats(
        len(window),
        len(answered),
        round(100 * len(answered) / len(window)) if window else None,
        duration(max(0.0, statistics.median(hours))) if hours else "",
    )
    waiting = sorted(
        (
            r
            for r in data.unanswered
            if not r.responded and r.response_at is None and r.published_at < end
        ),
        key=lambda r: r.published_at,
    )
    overdue = sum(1 for r in waiting if (now - r.published_at).days > deadline_days)
    crawls = crawl_health(data.crawls, data.sources, now, tz)
    all_ratings = [r.rating for r in window if r.rating is not None]
    week_mean = _mean([r.rating for r in new if r.rating is not None], min_reviews)
    alerts = tuple(sorted(data.alerts, key=lambda a: a.fired_at))
    local_end = (end - timedelta(seconds=1)).astimezone(zone(tz))
    period = f"{week.monday():%a %d %b} – {local_end:%a %d %b %Y}"
    return Digest(
        scope=data.scope,
        scope_id=data.scope_id,
        name=data.name,
        context=data.context,
        week=week,
        period=period,
        tz=tz,
        summary=_summary(
            len(new), week_mean, sum(r.negative for r in new), overdue, len(alerts), crawls
        ),
        new_reviews=tuple(_item(r, tz, now, deadline_days) for r in _listed(new)),
        new_total=len(new),
        week_mean=week_mean,
        trend=tuple(points),
        trend_mean=_mean(all_ratings, min_reviews),
        trend_count=len(window),
        mix=tuple(mix),
        unanswered=tuple(_item(r, tz, now, deadline_days) for r in waiting[:MAX_LISTED]),
        unanswered_total=len(waiting),
        overdue_total=overdue,
        deadline_days=deadline_days,
        response=response,
        alerts=alerts,
        crawls=crawls,
        min_reviews=min_reviews,
    )
