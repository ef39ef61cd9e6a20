"""Cluster detection on generated histories: planted clusters caught, other alerts raised.

Usage: .venv/bin/python bench/alerts_detection.py [--seeds 1-10] [--planted 10] [--months 12]

Each seed generates 200 physicians for `--months` months, each with their own rate of 1-6
reviews a month (Poisson), 15% negative, 8 practices; then plants `--planted` clusters of 5
negatives from 5 reviewers within 13 days on distinct physicians, after day 60. The cluster
detector with the lifecycle replays every day from day 60 (reputation.backtest). Per seed:
planted clusters caught within a day of their last review (an alert naming the physician:
its own, or a practice alert that holds its finding or leads with it), the busy ones among
them (60+ reviews a year), and the other cluster alerts, per year. Parameters were chosen
on seeds 101-110; seeds 1-10 are the test set (issue 14 item 3: >= 95% caught, mean <= 1
other alert a year, none above 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reputation.backtest import BacktestAlert, DetectorSet, backtest
from reputation.clusters import ClusterConfig, EventIndex
from reputation.simulate import PlantedCluster, generate_history, plant_clusters


def _about(alert: BacktestAlert) -> set[str]:
    """The entities an alert names: its own, those it holds (listed in it), and a practice
    alert's leading member."""
    names = {alert.labels["entity"]}
    held = alert.annotations.get("inhibited")
    if isinstance(held, list):
        names.update(str(h.get("entity")) for h in held if isinstance(h, dict))
    members = alert.annotations.get("members")
    if isinstance(members, dict) and members:
        top, n = max(members.items(), key=lambda kv: kv[1])
        if n * 2 >= int(str(alert.annotations.get("observed", 0))):
            names.add(top)
    return names


def run_seed(
    seed: int, planted_n: int, months: int, config: ClusterConfig
) -> tuple[int, int, int, int, float]:
    """(planted, caught, busy planted, busy caught, other alerts a year) for one seed."""
    history = generate_history(seed, physicians=200, months=months, own_rate=True)
    volume: dict[int, int] = {}
    for e in history.events:
        volume[e.physician_id] = volume.get(e.physician_id, 0) + 1
    history, planted = plant_clusters(history, planted_n, seed=seed + 1000, earliest_day=60)
    start = history.start + timedelta(days=60)
    alerts = backtest(
        history.events,
        start,
        history.end,
        DetectorSet(clusters=config),
        index=EventIndex.build(history.events),
    )
    clusters = [a for a in alerts if a.kind == "cluster"]
    caught, busy, busy_caught = 0, 0, 0
    explained: set[int] = set()

    def hit(p: PlantedCluster, a: BacktestAlert) -> bool:
        in_time = p.started_at <= a.at <= p.completed_at + timedelta(days=1)
        return in_time and f"physician:{p.physician_id}" in _about(a)

    for p in planted:
        found = [i for i, a in enumerate(clusters) if hit(p, a)]
        is_busy = volume.get(p.physician_id, 0) * 12 / months >= 60
        busy += is_busy
        if found:
            caught += 1
            busy_caught += is_busy
        # Any alert about the planted physician while its cluster is in a window is explained.
        explained.update(
            i
            for i, a in enumerate(clusters)
            if f"physician:{p.physician_id}" in _about(a)
            and p.started_at <= a.at <= p.completed_at + timedelta(days=90)
        )
        # A practice alert while a planted member's cluster is in its windows is explained too.
        practice = history.practice_of.get(p.physician_id)
        explained.update(
            i
            for i, a in enumerate(clusters)
            if a.labels["entity"] == f"practice:{practice}"
            and p.started_at <= a.at <= p.completed_at + timedelta(days=90)
        )
    others = len(clusters) - len(explained)
    years = (history.end - start).days / 365.25
    return len(planted), caught, busy, busy_caught, others / years


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main() -> None:
    """Print the per-seed table and the totals against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10", help="Seed range, e.g. 1-10 or 101-110.")
    parser.add_argument("--planted", type=int, default=10, help="Clusters planted per seed.")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--categories", default=None, help="Tested categories (comma list).")
    parser.add_argument("--fdr-q", type=float, default=None)
    parser.add_argument("--min-negatives", type=int, default=None)
    args = parser.parse_args()
    config = ClusterConfig()
    if args.categories is not None:
        config = replace(config, categories=tuple(c for c in args.categories.split(",") if c))
    if args.fdr_q is not None:
        config = replace(config, fdr_q=args.fdr_q)
    if args.min_negatives is not None:
        config = replace(config, min_negatives=args.min_negatives)
    print(f"config: {config}")
    print(f"{'seed':>5} {'planted':>7} {'caught':>6} {'busy':>4} {'busy ok':>7} {'others/yr':>9}")
    totals = [0, 0, 0, 0]
    rates = []
    t0 = time.perf_counter()
    for seed in _seeds(args.seeds):
        n, ok, busy, busy_ok, others = run_seed(seed, args.planted, args.months, config)
        print(f"{seed:>5} {n:>7} {ok:>6} {busy:>4} {busy_ok:>7} {others:>9.2f}")
        for i, v in enumerate((n, ok, busy, busy_ok)):
            totals[i] += v
        rates.append(others)
    n, ok, busy, busy_ok = totals
    print(
        f"caught {ok}/{n} = {ok / max(n, 1):.1%} (busy {busy_ok}/{busy}); other cluster alerts "
        f"a year: mean {sum(rates) / len(rates):.2f}, max {max(rates):.2f} "
        f"({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
