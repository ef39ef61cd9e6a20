"""The detectors: `run_detectors` (one entry for the evaluation and the backtest), their
thresholds, the facts they read, and the simple detectors (immediate harm/legal, unanswered,
crawl health); the statistical ones live in alerts.clusters and alerts.ratingdrop.

Pure functions of values and `now`: no SQLAlchemy, no clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from alerts.clusters import ClusterConfig, EventIndex, find_clusters
from alerts.kinds import (
    CrawlHealthAlert,
    Detection,
    FlagBacklogAlert,
    ImmediateAlert,
    UnansweredAlert,
)
from alerts.lifecycle import LifecyclePolicy
from alerts.ratingdrop import (
    RATING_DROP_PRIOR_DAYS,
    RATING_DROP_WINDOW_DAYS,
    RatingSeries,
    rating_drop,
)
from reputation.settings import Settings
from reputation.vocabulary import ALERT_KINDS, RISK_FLAGS

__all__ = [
    "DETECTOR_KINDS",
    "IMMEDIATE_LOOKBACK",
    "UNANSWERED_MAX_AGE",
    "CrawlRunFacts",
    "Evidence",
    "ReviewFacts",
    "Thresholds",
    "crawl_health",
    "history_horizon",
    "immediate",
    "run_detectors",
    "unanswered",
]


@dataclass(frozen=True)
class ReviewFacts:
    """What the simple detectors need to know about one review."""

    review_id: int
    physician_id: int
    published_at: datetime
    rating: float | None = None
    negative: bool = False
    response_at: datetime | None = None
    flags: frozenset[str] = frozenset()
    first_seen_at: datetime | None = None
    watched_since: datetime | None = None  # first crawl of the review's profile
    social: bool = False  # a social post (mention); review_id is the mention id
    author: str = ""


@dataclass(frozen=True)
class CrawlRunFacts:
    """What crawl health needs to know about one crawl run."""

    source: str
    started_at: datetime
    status: str
    items: int = 0


# How far back the immediate detector looks (alerts.history loads that much), and the oldest
# negative review the unanswered detector still reports.
IMMEDIATE_LOOKBACK = timedelta(days=30)
UNANSWERED_MAX_AGE = timedelta(days=60)


def immediate(
    reviews: Iterable[ReviewFacts], now: datetime, lookback: timedelta = IMMEDIATE_LOOKBACK
) -> list[ImmediateAlert | FlagBacklogAlert]:
    """Harm/legal flags on reviews published, or first seen, within the lookback.

    A flag pages at once only when the review is new to the world: published at most
    `lookback` before we first saw it, or after its profile's first crawl. Older reviews that
    a first crawl or an import brings in go into one FlagBacklogAlert per flag. In a replay
    of history (first_seen_at after `now`) the publication date decides.
    """
    out: list[ImmediateAlert | FlagBacklogAlert] = []
    backlog: dict[str, list[ReviewFacts]] = defaultdict(list)
    for r in reviews:
        flags = sorted(r.flags.intersection(RISK_FLAGS))
        if not flags or r.published_at > now:
            continue
        seen = r.first_seen_at if r.first_seen_at is not None and r.first_seen_at <= now else None
        if seen is None or seen < now - lookback:
            new = now - lookback <= r.published_at
        else:
            late = r.watched_since is not None and r.published_at >= r.watched_since
            if not (late or r.published_at >= seen - lookback):
                for flag in flags:
                    backlog[flag].append(r)
                continue
            new = True
        if new:
            for flag in flags:
                out.append(
                    ImmediateAlert(r.review_id, r.physician_id, flag, r.published_at, r.social)
                )
    for flag, rows in sorted(backlog.items()):
        rows.sort(key=lambda r: (r.published_at, r.review_id))
        counts = Counter(r.physician_id for r in rows).most_common()
        out.append(
            FlagBacklogAlert(
                flag,
                tuple(r.review_id for r in rows),
                tuple(counts),
                rows[0].published_at,
                rows[-1].published_at,
            )
        )
    return out


def unanswered(
    reviews: Iterable[ReviewFacts],
    now: datetime,
    deadline: timedelta = timedelta(days=7),
    max_age: timedelta = UNANSWERED_MAX_AGE,
) -> list[UnansweredAlert]:
    """Negative reviews with no owner response older than the deadline (newer than max_age)."""
    out = []
    for r in reviews:
        age = now - r.published_at
        answered = r.response_at is not None and r.response_at <= now
        if r.negative and not answered and deadline <= age <= max_age:
            out.append(
                UnansweredAlert(
                    r.review_id, r.physician_id, r.published_at, age / timedelta(days=1)
                )
            )
    return out


def crawl_health(
    runs: Iterable[CrawlRunFacts],
    now: datetime,
    stale_after: timedelta = timedelta(days=14),
    bad_statuses: frozenset[str] = frozenset({"blocked", "broken", "failed"}),
) -> list[CrawlHealthAlert]:
    """Sources whose latest run is bad, or that used to yield reviews and have gone silent."""
    by_source: dict[str, list[CrawlRunFacts]] = defaultdict(list)
    for run in runs:
        if run.started_at <= now and run.status != "running":
            by_source[run.source].append(run)
    out = []
    for source, rows in sorted(by_source.items()):
        rows.sort(key=lambda r: r.started_at)
        latest = rows[-1]
        if latest.status in bad_statuses:
            since = latest.started_at
            for run in reversed(rows):
                if run.status != latest.status:
                    break
                since = run.started_at
            out.append(CrawlHealthAlert(source, latest.status, since, f"latest run {since:%F}"))
            continue
        productive = [r for r in rows if r.items > 0]
        if productive and now - productive[-1].started_at > stale_after and latest.items == 0:
            last = productive[-1].started_at
            idle = len(rows) - rows.index(productive[-1]) - 1
            detail = f"no reviews since {last:%F} in {idle} runs"
            out.append(CrawlHealthAlert(source, "stale", last, detail))
    return out


@dataclass(frozen=True)
class Thresholds:
    """Everything the detectors and the lifecycle take from the settings."""

    clusters: ClusterConfig = field(default_factory=ClusterConfig)
    policy: LifecyclePolicy = field(default_factory=LifecyclePolicy)
    rating_drop: float = 1.0
    rating_min_count: int = 5
    unanswered_days: float = 7.0
    stale_days: float = 14.0

    @classmethod
    def from_settings(cls, s: Settings) -> Thresholds:
        """Read the alerts.* settings."""
        return cls(
            clusters=ClusterConfig.from_settings(s),
            policy=LifecyclePolicy(
                for_={"cluster": timedelta(hours=float(s["alerts.cluster.for_hours"]))},
                resolve_after={
                    "cluster": timedelta(days=float(s["alerts.cluster.resolve_after_days"]))
                },
                default_resolve_after=timedelta(days=float(s["alerts.resolve_after_days"])),
                repeat_interval=timedelta(days=float(s["alerts.repeat_days"])),
                send_resolved=bool(s["alerts.send_resolved"]),
            ),
            rating_drop=float(s["alerts.rating_drop"]),
            rating_min_count=int(s["alerts.rating_min_count"]),
            unanswered_days=float(s["alerts.unanswered_days"]),
            stale_days=float(s["crawl.stale_after_days"]),
        )


def history_horizon(t: Thresholds) -> timedelta:
    """How far back the detectors look: the longest window plus its baseline, and a day."""
    clusters = max(t.clusters.windows, default=0) + t.clusters.baseline_days
    drop = RATING_DROP_WINDOW_DAYS + RATING_DROP_PRIOR_DAYS
    return timedelta(days=max(clusters, drop) + 1)


class Evidence(Protocol):
    """What the detectors read at `now` (alerts.history.History, or a backtest's day)."""

    @property
    def index(self) -> EventIndex: ...
    @property
    def ratings(self) -> RatingSeries: ...
    @property
    def facts(self) -> Sequence[ReviewFacts]: ...
    @property
    def runs(self) -> Sequence[CrawlRunFacts]: ...


# What run_detectors can run (the immediate detector also makes the flag_backlog summaries).
DETECTOR_KINDS = frozenset(ALERT_KINDS) - {"flag_backlog"}


def run_detectors(
    evidence: Evidence, now: datetime, t: Thresholds, kinds: frozenset[str] = DETECTOR_KINDS
) -> list[Detection]:
    """Run every detector named in `kinds` at `now` (pure): the evaluation runs all of them,
    a backtest those it replays; both take their thresholds and lookbacks from here."""
    found: list[Detection] = []
    if "cluster" in kinds:
        found.extend(find_clusters(evidence.index, now, t.clusters))
    if "immediate" in kinds:
        found.extend(immediate(evidence.facts, now))
    if "rating_drop" in kinds:
        found.extend(
            rating_drop(
                evidence.ratings,
                now,
                min_drop=t.rating_drop,
                min_count=t.rating_min_count,
                fdr_q=t.clusters.fdr_q,
            )
        )
    if "unanswered" in kinds:
        reviews = [f for f in evidence.facts if not f.social]
        found.extend(unanswered(reviews, now, timedelta(days=t.unanswered_days)))
    if "crawl_health" in kinds:
        found.extend(crawl_health(evidence.runs, now, timedelta(days=t.stale_days)))
    return found
