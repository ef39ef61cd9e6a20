"""Replay stored history day by day: every alert that would have fired, with its day and numbers.

The events are indexed once (sorted with cumulative counts), so each day's evaluation costs
O(entities x log events) rather than a pass over all events.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.clusters import ClusterConfig, EventIndex, ReviewEvent
from alerts.detectors import (
    IMMEDIATE_LOOKBACK,
    UNANSWERED_MAX_AGE,
    CrawlRunFacts,
    ReviewFacts,
    Thresholds,
    run_detectors,
)
from alerts.lifecycle import AlertState, LifecyclePolicy, expand, step
from alerts.ratingdrop import RatingSeries

__all__ = ["BacktestAlert", "DetectorSet", "backtest", "per_month"]


@dataclass(frozen=True)
class BacktestAlert:
    """One alert that would have fired."""

    at: datetime
    kind: str
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, object]

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict (for `repmon alerts backtest --json`)."""
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "labels": self.labels,
            "annotations": self.annotations,
        }


@dataclass(frozen=True)
class DetectorSet:
    """Which detectors the replay runs, with their thresholds (None: not run)."""

    clusters: ClusterConfig | None = field(default_factory=ClusterConfig)
    rating_drop: dict[str, float] | None = None  # min_drop, min_count
    unanswered_days: float | None = None
    immediate: bool = False
    stale_days: float | None = None  # crawl health

    @classmethod
    def everything(cls, t: Thresholds) -> DetectorSet:
        """Every detector the evaluation runs, with its thresholds."""
        return cls(
            clusters=t.clusters,
            rating_drop={"min_drop": t.rating_drop, "min_count": t.rating_min_count},
            unanswered_days=t.unanswered_days,
            immediate=True,
            stale_days=t.stale_days,
        )

    def plan(self, policy: LifecyclePolicy) -> tuple[Thresholds, frozenset[str]]:
        """The thresholds and detector kinds for run_detectors."""
        default = Thresholds()
        drop = self.rating_drop or {}
        thresholds = Thresholds(
            clusters=self.clusters or default.clusters,
            policy=policy,
            rating_drop=float(drop.get("min_drop", default.rating_drop)),
            rating_min_count=int(drop.get("min_count", default.rating_min_count)),
            unanswered_days=default.unanswered_days
            if self.unanswered_days is None
            else self.unanswered_days,
            stale_days=default.stale_days if self.stale_days is None else self.stale_days,
        )
        on = {
            "cluster": self.clusters is not None,
            "rating_drop": self.rating_drop is not None,
            "unanswered": self.unanswered_days is not None,
            "immediate": self.immediate,
            "crawl_health": self.stale_days is not None,
        }
        return thresholds, frozenset(kind for kind, wanted in on.items() if wanted)


@dataclass(frozen=True)
class _Day:
    """The evidence of one replayed day: reviews known by then, in the detectors' lookback."""

    index: EventIndex
    ratings: RatingSeries
    facts: Sequence[ReviewFacts]
    runs: Sequence[CrawlRunFacts]


def backtest(
    events: Sequence[ReviewEvent],
    start: datetime,
    end: datetime,
    detectors: DetectorSet | None = None,
    policy: LifecyclePolicy | None = None,
    reviews: Sequence[ReviewFacts] = (),
    step_size: timedelta = timedelta(days=1),
    index: EventIndex | None = None,
    runs: Sequence[CrawlRunFacts] = (),
) -> list[BacktestAlert]:
    """Evaluate at start, start + step, ... < end and return every alert as it fires.

    Each day runs alerts.detectors.run_detectors, as the evaluation does; only the reviews
    published within the longest per-review lookback are handed to it (the detectors bound
    time themselves, so this is only to keep a long replay fast).
    """
    detectors = detectors or DetectorSet()
    policy = policy or LifecyclePolicy()
    thresholds, kinds = detectors.plan(policy)
    index = index or EventIndex.build(events)
    facts = sorted(reviews, key=lambda r: r.published_at)
    keys = [r.published_at for r in facts]
    ratings = RatingSeries.from_facts(facts)
    lookback = max(IMMEDIATE_LOOKBACK, UNANSWERED_MAX_AGE)
    states: dict[str, AlertState] = {}
    raised: list[BacktestAlert] = []
    now = start
    while now < end:
        known = facts[bisect.bisect_left(keys, now - lookback) : bisect.bisect_right(keys, now)]
        day = _Day(index, ratings, known, runs)  # crawl health bounds time itself
        findings = run_detectors(day, now, thresholds, kinds)
        result = step(states, findings, now, policy)
        states = result.states
        alerts, _ = expand(findings)
        for move in result.transitions:
            if move.event == "fired" and move.notify:
                a = alerts[move.fingerprint]
                raised.append(
                    BacktestAlert(now, a.kind, move.fingerprint, a.labels(), a.annotations())
                )
        now += step_size
    return raised


def per_month(alerts: Sequence[BacktestAlert]) -> dict[str, dict[str, int]]:
    """Counts of fired alerts per month (YYYY-MM) per kind."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for a in alerts:
        table[f"{a.at:%Y-%m}"][a.kind] += 1
    return {month: dict(sorted(c.items())) for month, c in sorted(table.items())}
