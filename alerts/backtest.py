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

from alerts.clusters import ClusterConfig, EventIndex, ReviewEvent, find_clusters
from alerts.ratingdrop import RatingSeries, rating_drop
from alerts.rules import (
    Alert,
    AlertState,
    LifecyclePolicy,
    ReviewFacts,
    expand,
    immediate,
    step,
    unanswered,
)

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
    """Which detectors the replay runs, with their thresholds."""

    clusters: ClusterConfig | None = field(default_factory=ClusterConfig)
    rating_drop: dict[str, float] | None = None
    unanswered_days: float | None = None
    immediate: bool = False


def _since(
    rows: Sequence[ReviewFacts], keys: list[datetime], start: datetime
) -> Sequence[ReviewFacts]:
    return rows[bisect.bisect_left(keys, start) :]


def _until(
    rows: Sequence[ReviewFacts], keys: list[datetime], end: datetime
) -> Sequence[ReviewFacts]:
    return rows[: bisect.bisect_right(keys, end)]


def backtest(
    events: Sequence[ReviewEvent],
    start: datetime,
    end: datetime,
    detectors: DetectorSet | None = None,
    policy: LifecyclePolicy | None = None,
    reviews: Sequence[ReviewFacts] = (),
    step_size: timedelta = timedelta(days=1),
    index: EventIndex | None = None,
) -> list[BacktestAlert]:
    """Evaluate at start, start + step, ... < end and return every alert as it fires."""
    detectors = detectors or DetectorSet()
    policy = policy or LifecyclePolicy()
    index = index or EventIndex.build(events)
    facts = sorted(reviews, key=lambda r: r.published_at)
    keys = [r.published_at for r in facts]
    ratings = RatingSeries.from_facts(facts)
    states: dict[str, AlertState] = {}
    raised: list[BacktestAlert] = []
    now = start
    while now < end:
        known = _until(facts, keys, now)
        known_keys = keys[: len(known)]
        findings: list[Alert] = []
        if detectors.clusters is not None:
            findings.extend(find_clusters(index, now, detectors.clusters))
        if detectors.immediate:
            findings.extend(immediate(_since(known, known_keys, now - timedelta(days=30)), now))
        if detectors.unanswered_days is not None:
            recent = _since(known, known_keys, now - timedelta(days=60))
            findings.extend(unanswered(recent, now, timedelta(days=detectors.unanswered_days)))
        if detectors.rating_drop is not None:
            findings.extend(rating_drop(ratings, now, **detectors.rating_drop))  # type: ignore[arg-type]
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
