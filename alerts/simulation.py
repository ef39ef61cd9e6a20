"""Seeded synthetic review histories (the alerts acceptance scenario) and planted clusters."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.clusters import ReviewEvent
from reputation.vocabulary import CATEGORIES

__all__ = [
    "PlantedCluster",
    "SimulatedHistory",
    "generate_history",
    "plant_cluster",
    "plant_clusters",
]

START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SimulatedHistory:
    """A generated history: events sorted by time, its date range and its practices."""

    events: tuple[ReviewEvent, ...]
    start: datetime
    end: datetime
    practice_of: dict[int, int | None]


@dataclass(frozen=True)
class PlantedCluster:
    """Negatives added on one physician between `started_at` and `completed_at`."""

    physician_id: int
    review_ids: tuple[int, ...]
    started_at: datetime
    completed_at: datetime


def _categories(rng: random.Random) -> frozenset[str]:
    picked = frozenset(c for c in CATEGORIES if rng.random() < 0.4)
    return picked if picked or rng.random() < 0.3 else frozenset({rng.choice(CATEGORIES)})


def generate_history(
    seed: int,
    physicians: int = 200,
    months: int = 12,
    per_month: tuple[int, int] = (1, 6),
    negative_rate: float = 0.15,
    practices: int = 8,
    start: datetime = START,
    repeat_reviewer_rate: float = 0.02,
    own_rate: bool = False,
) -> SimulatedHistory:
    """Each physician gets uniform(per_month) reviews a month, each negative with one rate.

    With `own_rate`, each physician instead has a monthly rate drawn once from uniform
    (per_month) and gets Poisson(rate) reviews a month: busy and quiet physicians side by side.
    """
    rng = random.Random(seed)
    rates = {pid: rng.uniform(*per_month) for pid in range(1, physicians + 1)} if own_rate else {}
    practice_of: dict[int, int | None] = {
        pid: (rng.randrange(practices) + 1 if rng.random() < 0.8 and practices else None)
        for pid in range(1, physicians + 1)
    }
    month = timedelta(days=365.25 / 12)
    events: list[ReviewEvent] = []
    for pid in range(1, physicians + 1):
        for m in range(months):
            n = _poisson(rng, rates[pid]) if own_rate else rng.randint(*per_month)
            for _ in range(n):
                when = start + month * m + timedelta(seconds=rng.random() * month.total_seconds())
                negative = rng.random() < negative_rate
                if rng.random() < 0.1:
                    who = ""
                elif events and rng.random() < repeat_reviewer_rate:
                    who = rng.choice(events).reviewer_key or f"s{seed}-r{len(events)}"
                else:
                    who = f"s{seed}-r{len(events)}"
                events.append(
                    ReviewEvent(
                        review_id=len(events) + 1,
                        physician_id=pid,
                        practice_id=practice_of[pid],
                        published_at=when,
                        negative=negative,
                        categories=_categories(rng) if negative else frozenset(),
                        reviewer_key=who,
                    )
                )
    events.sort(key=lambda e: e.published_at)
    return SimulatedHistory(tuple(events), start, start + month * months, practice_of)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (means of a few per month)."""
    n, t = 0, rng.expovariate(1.0)
    while t < mean:
        n, t = n + 1, t + rng.expovariate(1.0)
    return n


def plant_cluster(
    history: SimulatedHistory,
    physician_id: int,
    at: datetime,
    rng: random.Random,
    count: int = 5,
    span: timedelta = timedelta(days=13),
) -> tuple[SimulatedHistory, PlantedCluster]:
    """Add `count` negatives from different reviewers on one physician within `span` after `at`."""
    next_id = max((e.review_id for e in history.events), default=0) + 1
    seconds = span.total_seconds()
    offsets = [*sorted(rng.random() * seconds for _ in range(count - 1)), seconds]
    added = [
        ReviewEvent(
            review_id=next_id + i,
            physician_id=physician_id,
            practice_id=history.practice_of.get(physician_id),
            published_at=at + timedelta(seconds=off),
            negative=True,
            categories=_categories(rng),
            reviewer_key=f"planted-{next_id + i}",
        )
        for i, off in enumerate(offsets)
    ]
    events = tuple(sorted((*history.events, *added), key=lambda e: e.published_at))
    ids = tuple(e.review_id for e in added)
    planted = PlantedCluster(physician_id, ids, added[0].published_at, added[-1].published_at)
    return SimulatedHistory(events, history.start, history.end, history.practice_of), planted


def plant_clusters(
    history: SimulatedHistory, n: int, seed: int, earliest_day: int = 90, count: int = 5
) -> tuple[SimulatedHistory, list[PlantedCluster]]:
    """Plant n clusters on distinct random physicians at random times after `earliest_day`."""
    rng = random.Random(seed)
    ids = sorted(history.practice_of)
    chosen = rng.sample(ids, n)
    days = (history.end - history.start).days - earliest_day - 15
    planted = []
    for pid in chosen:
        at = history.start + timedelta(days=earliest_day + rng.random() * days)
        history, one = plant_cluster(history, pid, at, rng, count=count)
        planted.append(one)
    return history, planted
