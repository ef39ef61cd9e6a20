"""The weekly digest as a pure function of loaded facts, the week, the timezone and `now`."""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from reputation.crawls.health import (
    CrawlFact,
    CrawlHealth,
    duration,
    source_health,
    source_label,
)
from reputation.isoweek import IsoWeek, zone
from reputation.mail.render import flag_spans
from reputation.published import local_published
from reputation.vocabulary import RISK_FLAGS
from reputation.wording import day_label, shorten

__all__ = [
    "RESPONSE_TARGET_PCT",
    "AlertFact",
    "CrawlFact",
    "CrawlHealth",
    "Digest",
    "DigestData",
    "IsoWeek",
    "MentionFact",
    "MentionItem",
    "MixRow",
    "ResponseStats",
    "ReviewFact",
    "ReviewItem",
    "SiteRating",
    "Tile",
    "WeekPoint",
    "build_digest",
    "site_ratings",
    "source_label",
]

TREND_WEEKS = 12
CATEGORY_LABELS = {
    "bedside_manner": "Bedside manner",
    "service": "Service",
    "clinical_skill": "Clinical skill",
}
# Harm and legal reviews show the one risk banner instead (reputation.mail.render.RISK_ROUTED).
FLAG_LABELS = {"phi": "Contains health info"}
RESPONSE_TARGET_PCT = 90  # of negative reviews answered within the response deadline
MAX_MENTIONS = 10
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
    positive: bool = False  # the sentiment is positive: praise, whatever aspects it names
    practice_name: str = ""
    published_date_only: bool = False  # the site gave a date, no time of day

    def published_in(self, tz: tzinfo) -> datetime:
        """When it was published, in `tz` (reputation.published: a date alone is that date)."""
        return local_published(self.published_at, self.published_date_only, tz)


@dataclass(frozen=True)
class AlertFact:
    """An alert that is firing; `summary` is one plain sentence (reputation.findings)."""

    kind: str
    summary: str
    fired_at: datetime
    physician_name: str = ""
    url: str = ""  # the newest review behind it
    rank: int = 9  # safety first (reputation.findings.Finding.rank)


@dataclass(frozen=True)
class MentionFact:
    """A social media post matched to a physician, with how sure the match is."""

    id: int
    source: str
    physician_name: str
    published_at: datetime
    text: str
    url: str
    confidence: float
    categories: tuple[str, ...] = ()
    negative: bool = False


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
    site_ratings: tuple[tuple[str, float, int], ...] = ()  # source, mean stars, reviews
    # source, the site's own stars, its rating count (None when the site gives none)
    public_ratings: tuple[tuple[str, float, int | None], ...] = ()
    mentions: tuple[MentionFact, ...] = ()


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
    risk: bool = False  # harm or legal: routed to risk management, no reply, no deadline
    draft: str | None = None  # the approved, PHI-checked reply
    overdue_days: int = 0


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
    """A theme of the trend period: complaints (count, share, organisation share) and praise."""

    label: str
    count: int  # negative reviews naming it
    pct: int  # ... as a share of all reviews
    org_pct: int
    praised: int = 0  # positive reviews naming it
    total: int = 0  # all reviews of the period


@dataclass(frozen=True)
class Tile:
    """A headline number with its change against the prior period."""

    label: str
    value: str
    note: str
    change: str  # "+2 vs last week", "▼ 1.3 vs prior 12 weeks", "" when not comparable
    bad: bool = False  # the change is for the worse


@dataclass(frozen=True)
class SiteRating:
    """A site's star rating for this scope: the site's own, else the mean of reviews we hold."""

    source: str
    stars: float
    count: int | None  # the site's rating count, or how many reviews we hold
    public: bool = False  # `stars` is what the site shows the public

    @property
    def note(self) -> str:
        """Where the figure comes from: "(128 ratings)", or "from the 5 reviews we hold"."""
        if self.public:
            return "" if self.count is None else f"({_plural(self.count, 'rating')})"
        return f"from the {_plural(self.count or 0, 'review')} we hold"


def site_ratings(
    held: Iterable[tuple[str, float, int]], public: Iterable[tuple[str, float, int | None]]
) -> tuple[SiteRating, ...]:
    """Each site's public rating where known, else the mean of the reviews held from it."""
    out = {s: SiteRating(source_label(s), round(mean, 1), n) for s, mean, n in held if n}
    for s, stars, count in public:
        out[s] = SiteRating(source_label(s), round(stars, 1), count, public=True)
    return tuple(sorted(out.values(), key=lambda r: (-(r.count or 0), r.source)))


@dataclass(frozen=True)
class MentionItem:
    """A social post as shown."""

    source: str
    physician_name: str
    when: str
    text: str
    url: str
    confidence_pct: int
    categories: tuple[str, ...]


@dataclass(frozen=True)
class ResponseStats:
    """Responses to the reviews of the trend period."""

    total: int
    responded: int
    rate_pct: int | None
    median: str
    target_pct: int = RESPONSE_TARGET_PCT
    negatives: int = 0  # negative reviews of the period ...
    negatives_answered: int = 0  # ... and how many of them were answered in time
    negative_pct: int | None = None


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
    findings: tuple[str, ...] = ()
    tiles: tuple[Tile, ...] = ()
    site_ratings: tuple[SiteRating, ...] = ()
    mentions: tuple[MentionItem, ...] = ()
    mentions_total: int = 0
    routed_total: int = 0  # of unanswered_total: routed to risk management, no public reply


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


def _alleging(r: ReviewFact) -> tuple[str, ...]:
    """The sentences alleging harm or a legal threat: what a risk review highlights."""
    return tuple(r.text[a:b] for f in RISK_FLAGS if f in r.flags for a, b in flag_spans(r.text, f))


def _item(
    r: ReviewFact,
    tz: str,
    now: datetime,
    deadline_days: int,
    drafts: Callable[[ReviewFact], str | None] | None = None,
) -> ReviewItem:
    local = r.published_in(zone(tz))
    age = max(0, (now - local).days)
    risk = bool(set(r.flags).intersection(RISK_FLAGS))
    praise = r.positive and not r.negative  # praise gets no complaint chips or highlighting
    return ReviewItem(
        id=r.id,
        source=source_label(r.source),
        physician_name=r.physician_name,
        when=day_label(local) + ("" if r.published_date_only else f", {local:%H:%M}"),
        rating=r.rating,
        stars=_stars(r.rating),
        chips=() if praise else tuple(CATEGORY_LABELS.get(c, c) for c in r.categories),
        flags=tuple(FLAG_LABELS[f] for f in r.flags if f in FLAG_LABELS),
        segments=_segments(r.text, (risk and _alleging(r)) or (() if praise else r.evidence)),
        url=r.url,
        negative=r.negative,
        age_days=age,
        overdue=age > deadline_days and not risk,
        risk=risk,
        draft=None if risk or drafts is None or not r.negative else drafts(r),
        overdue_days=0 if risk else max(0, age - deadline_days),
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _findings(
    alerts: tuple[AlertFact, ...],
    trend: tuple[float | None, float | None, int],
    waiting: list[ReviewItem],
    deadline_days: int,
    mentions: int,
    crawls: tuple[CrawlHealth, ...],
) -> tuple[str, ...]:
    """The news, one sentence each, most urgent first."""
    out = [a.summary.rstrip(".") + "." for a in sorted(alerts, key=lambda a: (a.rank, a.fired_at))]
    prior, mean, count = trend
    dropped = any(a.kind == "rating_drop" for a in alerts)  # already says it, with numbers
    if prior is not None and mean is not None and abs(mean - prior) >= 0.5 and not dropped:
        verb = "fell" if mean < prior else "rose"
        out.append(
            f"The 12-week average rating {verb} from {prior:.1f} to {mean:.1f} stars "
            f"({_plural(count, 'review')})."
        )
    late = [r for r in waiting if r.overdue]
    if late:
        oldest = max(r.overdue_days for r in late)
        out.append(
            f"{_plural(len(late), 'negative review')} waited past the {deadline_days}-day "
            f"response target (the oldest by {_plural(oldest, 'day')})."
        )
    if mentions:
        out.append(f"{_plural(mentions, 'social media post')} mentioned this week.")
    bad = [c.text for c in crawls if c.level == "bad"]
    out += [f"Crawling: {text}." for text in bad]
    return tuple(out)


def _change(now: float | None, before: float | None, unit: str, period: str) -> tuple[str, bool]:
    """'▲ 0.4 vs last week' / '▼ 3 vs ...' / 'same as ...'; '' when either is missing."""
    if now is None or before is None:
        return "", False
    delta = round(now - before, 1)
    if abs(delta) < 0.05:
        return f"same as {period}", False
    arrow = "▲" if delta > 0 else "▼"
    number = f"{abs(delta):.1f}" if unit == "★" else f"{abs(delta):.0f}"
    return f"{arrow} {number}{unit} vs {period}", delta < 0


def _listed(facts: list[ReviewFact], tz: tzinfo) -> list[ReviewFact]:
    """At most MAX_LISTED reviews (in time order), negatives first."""
    if len(facts) <= MAX_LISTED:
        return facts
    chosen = sorted(facts, key=lambda r: (not r.negative, r.published_in(tz)))[:MAX_LISTED]
    return sorted(chosen, key=lambda r: r.published_in(tz))


def _mix(window: list[ReviewFact], org: dict[str, int], org_total: int) -> tuple[MixRow, ...]:
    rows = []
    for name, label in CATEGORY_LABELS.items():
        complaints = sum(1 for r in window if name in r.categories and r.negative)
        praised = sum(1 for r in window if name in r.categories and r.positive and not r.negative)
        rows.append(
            MixRow(
                label,
                complaints,
                round(100 * complaints / len(window)) if window else 0,
                round(100 * org.get(name, 0) / org_total),
                praised,
                len(window),
            )
        )
    return tuple(rows)


def _response(window: list[ReviewFact], deadline_days: int, target_pct: int) -> ResponseStats:
    answered = [r for r in window if r.responded or r.response_at is not None]
    # Stored times, not local ones: a site that dates a review alone dates its reply alone too
    # (both 00:00 UTC), so the difference is the days between them.
    hours = [
        (r.response_at - r.published_at).total_seconds() / 3600
        for r in answered
        if r.response_at is not None
    ]
    negatives = [r for r in window if r.negative]
    in_time = [
        r
        for r in negatives
        if r.response_at is not None
        and (r.response_at - r.published_at) <= timedelta(days=deadline_days)
    ]
    return ResponseStats(
        len(window),
        len(answered),
        round(100 * len(answered) / len(window)) if window else None,
        duration(max(0.0, statistics.median(hours))) if hours else "",
        target_pct=target_pct,
        negatives=len(negatives),
        negatives_answered=len(in_time),
        negative_pct=round(100 * len(in_time) / len(negatives)) if negatives else None,
    )


def _mentions(data: DigestData, start: datetime, end: datetime, tz: str) -> list[MentionItem]:
    found = sorted(
        (m for m in data.mentions if start <= m.published_at < end),
        key=lambda m: (-m.confidence, m.published_at),
    )
    return [
        MentionItem(
            source=source_label(m.source),
            physician_name=m.physician_name,
            when=day_label(m.published_at.astimezone(zone(tz))),
            text=shorten(m.text, _EXCERPT),
            url=m.url,
            confidence_pct=round(100 * m.confidence),
            categories=tuple(CATEGORY_LABELS.get(c, c) for c in m.categories),
        )
        for m in found
    ]


def build_digest(
    data: DigestData,
    week: IsoWeek,
    tz: str,
    now: datetime,
    min_reviews: int,
    deadline_days: int = 7,
    drafts: Callable[[ReviewFact], str | None] | None = None,
    target_pct: int = RESPONSE_TARGET_PCT,
) -> Digest:
    """The digest of one scope for one ISO week, in timezone `tz` (pure).

    `drafts` gives the approved reply offered beside each unanswered negative review.
    """
    weeks = [week.shift(i - 2 * TREND_WEEKS + 1) for i in range(2 * TREND_WEEKS)]
    starts = [w.bounds(tz)[0] for w in weeks]
    end = week.bounds(tz)[1]
    buckets: list[list[ReviewFact]] = [[] for _ in weeks]
    local = zone(tz)
    for r in data.reviews:
        at = r.published_in(local)
        if starts[0] <= at < end:
            buckets[bisect.bisect_right(starts, at) - 1].append(r)
    prior_buckets, buckets = buckets[:TREND_WEEKS], buckets[TREND_WEEKS:]
    weeks = weeks[TREND_WEEKS:]
    window = [r for bucket in buckets for r in bucket]
    before = [r for bucket in prior_buckets for r in bucket]
    new = sorted(buckets[-1], key=lambda r: r.published_in(local))
    last_week = buckets[-2] if len(buckets) > 1 else []
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
    mix = _mix(window, dict(data.org_mix), max(data.org_reviews, 1))
    response = _response(window, deadline_days, target_pct)
    prior_response = _response(before, deadline_days, target_pct)
    waiting = sorted(
        (
            r
            for r in data.unanswered
            if not r.responded and r.response_at is None and r.published_in(local) < end
        ),
        key=lambda r: r.published_in(local),
    )
    items = [_item(r, tz, now, deadline_days, drafts) for r in waiting]
    overdue = sum(1 for r in items if r.overdue)
    routed = sum(1 for r in items if r.risk)
    crawls = source_health(data.crawls, data.sources, now, tz)
    trend_mean = _mean([r.rating for r in window if r.rating is not None], min_reviews)
    prior_mean = _mean([r.rating for r in before if r.rating is not None], min_reviews)
    week_mean = _mean([r.rating for r in new if r.rating is not None], min_reviews)
    last_mean = _mean([r.rating for r in last_week if r.rating is not None], min_reviews)
    alerts = tuple(sorted(data.alerts, key=lambda a: (a.rank, a.fired_at)))
    local_end = (end - timedelta(seconds=1)).astimezone(local)
    period = f"{day_label(week.monday(), year=False)} – {day_label(local_end)}"
    mentions = _mentions(data, week.bounds(tz)[0], end, tz)
    change_new = _change(len(new), len(last_week), "", "last week")
    change_week = _change(week_mean, last_mean, "★", "last week")
    change_trend = _change(trend_mean, prior_mean, "★", "prior 12 weeks")
    # a change of a percentage is in points: 60% -> 38% is "22 points", not "22%"
    change_rate = _change(
        response.negative_pct, prior_response.negative_pct, " points", "prior 12 weeks"
    )
    negatives = response.negatives
    tiles = (
        Tile("New reviews", str(len(new)), "this week", change_new[0]),
        Tile(
            "Week average",
            f"{week_mean:.1f}★" if week_mean is not None else "–",
            _plural(len(new), "review")
            if week_mean is not None
            else f"fewer than {min_reviews} reviews",
            *change_week,
        ),
        Tile(
            "12-week average",
            f"{trend_mean:.1f}★" if trend_mean is not None else "–",
            _plural(len(window), "review"),
            *change_trend,
        ),
        Tile(
            f"Negatives answered in {deadline_days} days",
            f"{response.negative_pct}%" if response.negative_pct is not None else "–",
            f"{response.negatives_answered} of {negatives} · target {response.target_pct}%"
            if negatives
            else "no negative reviews",
            *change_rate,
        ),
    )
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
        new_reviews=tuple(_item(r, tz, now, deadline_days) for r in _listed(new, local)),
        new_total=len(new),
        week_mean=week_mean,
        trend=tuple(points),
        trend_mean=trend_mean,
        trend_count=len(window),
        mix=mix,
        unanswered=tuple(items[:MAX_LISTED]),
        unanswered_total=len(waiting),
        overdue_total=overdue,
        routed_total=routed,
        deadline_days=deadline_days,
        response=response,
        alerts=alerts,
        crawls=crawls,
        min_reviews=min_reviews,
        findings=_findings(
            alerts,
            (prior_mean, trend_mean, len(window)),
            items,
            deadline_days,
            len(mentions),
            crawls,
        ),
        tiles=tiles,
        site_ratings=site_ratings(data.site_ratings, data.public_ratings),
        mentions=tuple(mentions[:MAX_MENTIONS]),
        mentions_total=len(mentions),
    )
