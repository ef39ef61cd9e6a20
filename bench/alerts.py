"""Cluster evaluation at scale: 10,000 physicians, 100k to 1M reviews, timed and compared.

Usage: .venv/bin/python bench/alerts.py [--physicians 10000] [--reviews 1000000] [--days 30]

Generates a synthetic two-year history with alerts.simulation, then for 100k, 250k, 500k and
1M reviews (random subsets of the same history, so entities and time span stay fixed) times:
building the index (sort + cumulative counts), one evaluation at the end of the history, and a
replay of the last `--days` days on that index (the backtest). The baseline is the 100k row of
the same run; near-linear growth means time ratios close to the size ratios. Only the pure
evaluation is measured here; evaluation from the database (alerts.evaluate.evaluate, loading
included) is measured by bench/alerts_db.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.backtest import backtest
from alerts.clusters import EventIndex, find_clusters
from tests.factories import simulated_history


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--physicians", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30, help="days replayed by the backtest")
    args = parser.parse_args()
    months = 24
    t0 = time.perf_counter()
    history = simulated_history(args.physicians, args.reviews, months)
    events = list(history.events)
    print(
        f"generated {len(events):,} reviews for {args.physicians:,} physicians over {months} "
        f"months in {time.perf_counter() - t0:.1f} s (not part of the timings)"
    )
    sizes = [n for n in (100_000, 250_000, 500_000, 1_000_000) if n <= len(events)]
    if args.reviews not in sizes and args.reviews <= len(events):
        sizes.append(args.reviews)
    rng = random.Random(7)
    now = history.end
    base: tuple[int, float] | None = None
    print(
        f"{'reviews':>10} {'index s':>8} {'evaluate s':>10} {'replay s':>9} "
        f"{'total s':>8} {'size x':>7} {'time x':>7} {'findings':>8}"
    )
    for n in sizes:
        subset = sorted(rng.sample(events, n), key=lambda e: e.published_at)
        t1 = time.perf_counter()
        index = EventIndex.build(subset)
        t2 = time.perf_counter()
        found = find_clusters(index, now)
        t3 = time.perf_counter()
        backtest(subset, now - timedelta(days=args.days), now, index=index)
        t4 = time.perf_counter()
        total = t4 - t1
        base = base or (n, total)
        print(
            f"{n:>10,} {t2 - t1:>8.2f} {t3 - t2:>10.3f} {t4 - t3:>9.2f} {total:>8.2f} "
            f"{n / base[0]:>7.1f} {total / base[1]:>7.2f} {len(found):>8}"
        )
    print(
        f"replay = {args.days} daily evaluations with the lifecycle on the built index. "
        "Loading from the database is measured by bench/alerts_db.py."
    )


if __name__ == "__main__":
    main()
