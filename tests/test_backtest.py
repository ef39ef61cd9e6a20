"""Backtest replay, and the alerts acceptance test on generated histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.backtest import BacktestAlert, DetectorSet, backtest, per_month
from alerts.clusters import EventIndex, find_clusters
from alerts.detectors import ReviewFacts
from alerts.simulation import generate_history, plant_clusters

NULL_SEEDS = range(5)
PLANT_SEEDS = range(4)
DAY = timedelta(days=1)


def involves(alert: BacktestAlert, physician_id: int) -> bool:
    """The alert is about the physician, or holds the physician's finding (inhibition)."""
    entity = f"physician:{physician_id}"
    held = alert.annotations.get("inhibited", [])
    assert isinstance(held, list)
    return alert.labels["entity"] == entity or any(h["entity"] == entity for h in held)


@pytest.mark.parametrize("seed", NULL_SEEDS)
def test_acceptance_null_history_raises_at_most_two_clusters_a_year(seed: int) -> None:
    history = generate_history(seed)
    raised = backtest(history.events, history.start, history.end)
    clusters = [a for a in raised if a.kind == "cluster"]
    assert len(clusters) <= 2, [(a.at, a.labels, a.annotations["q_value"]) for a in clusters]


def test_acceptance_planted_clusters_are_caught_within_a_day() -> None:
    caught, delays, total = 0, [], 0
    for seed in PLANT_SEEDS:
        history = generate_history(1000 + seed)
        history, planted = plant_clusters(history, 5, seed=seed)
        raised = backtest(history.events, history.start, history.end)
        for cluster in planted:
            total += 1
            hits = [
                a.at
                for a in raised
                if involves(a, cluster.physician_id)
                and cluster.started_at <= a.at <= cluster.completed_at + DAY
            ]
            if hits:
                caught += 1
                delays.append(min(hits) - cluster.completed_at)
    assert total == 20
    assert caught >= 18, f"caught {caught} of {total}"
    assert max(delays) <= DAY


def test_backtest_agrees_with_direct_evaluation_and_summarises() -> None:
    history = generate_history(11)
    history, planted = plant_clusters(history, 2, seed=5)
    start, end = history.start + 100 * DAY, history.end
    raised = backtest(history.events, start, end)
    index = EventIndex.build(history.events)
    for alert in raised:
        direct = find_clusters(index, alert.at)
        assert alert.fingerprint in {a.fingerprint() for a in direct}
    months = per_month(raised)
    assert sum(sum(row.values()) for row in months.values()) == len(raised)
    assert all(len(month) == 7 for month in months)
    record = raised[0].as_json()
    assert set(record) == {"at", "kind", "fingerprint", "labels", "annotations"}
    assert planted and isinstance(record["annotations"], dict)


def test_backtest_runs_the_other_detectors_on_review_facts() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    facts = [
        ReviewFacts(1, 7, start + 3.25 * DAY, rating=1.0, negative=True, flags=frozenset({"harm"})),
    ]
    detectors = DetectorSet(clusters=None, immediate=True, unanswered_days=7.0)
    raised = backtest([], start, start + 20 * DAY, detectors, reviews=facts)
    assert [(a.kind, a.at - start) for a in raised] == [
        ("immediate", 4 * DAY),
        ("unanswered", 11 * DAY),
    ]
