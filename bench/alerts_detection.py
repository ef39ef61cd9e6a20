"""Cluster detection on generated histories: planted clusters caught, other alerts raised.

Usage: .venv/bin/python bench/alerts_detection.py [--seeds 1-10] [--planted 10] [--months 12]

Each seed generates 200 physicians for `--months` months, each with their own rate of 1-6
reviews a month (Poisson), 15% negative, 8 practices; then plants `--planted` clusters of 5
negatives from 5 reviewers within 13 days on distinct physicians, after day 60. The cluster
detector with the lifecycle replays every day from day 60 (alerts.backtest). Per seed:
planted clusters caught within a day of their last review (an alert naming the physician:
its own, or a practice alert that holds its finding or leads with it), the busy ones among
them (60+ reviews a year), and the other cluster alerts: their count, and per year = count x
365 / days replayed (12 months less the first 60 days: 305 days, so 1 alert = 1.20 a year).
Repeats: pages about a planted cluster beyond its first (not counted among the others).

Parameters are chosen on seeds 101-140 only; seeds 1-10 are the test set (issue 14 item 3:
>= 95% caught, mean <= 1 other alert a year, none above 2). Seeds 101-140 (400 planted):
  plug-in Poisson mean, unweighted windows, q 0.03 (before)     382 caught, busy 70/81, 43 others
  + volume posterior in the tail (predictive NB)                380 caught, busy 68/81, 32 others
  + window weights 14:2,30:1,90:0.5, q 0.03                     392 caught, busy 77/81, 36 others
  + the same at q 0.025 (the defaults)                          390 caught, busy 74/81, 24 others
  binomial test of the window's negative share (no volume)      101 caught, busy 17/81, 10 others
The others at the chosen point are chance streaks with p 1e-5 to 2e-4, the same as a busy
physician's planted cluster (5 negatives against ~0.4 expected in 14 days: p ~ 6e-5), so a
threshold catching the one admits the other: fewer others cost busy clusters (q 0.02: 380,
busy 67/81, 22 others).

Session 6, tuning seeds 101-200 (1,000 planted). Of the other alerts, 55 of 63 are single
physicians' 14- or 30-day chance streaks, 4 are 90-day windows and 4 practice alerts; none
is the same entity paging twice, and they are not bunched early in the replay. Repeat pages
were a lifecycle bug: a streak paged in its 14-day window paged again as the 90-day window's
finding once the first alert resolved. A new cluster alert at least half of whose negatives
an alert about the same entity already named now fires without paging (continued_share):
repeats 75 -> 36, others 64 -> 63, caught 974 -> 974 (busy 198/218). The remaining repeats
are practice alerts a few days after a member's page that hold the member's finding (not
significant without the member). Others per seed at the defaults: 7 of 100 seeds with 3+,
so "none above 2 in 10 seeds" holds with ~0.93^10 = 48% chance. The q trade-off on the
same seeds (repeats in brackets): q 0.025 974 caught, 63 others, 7 seeds 3+ (36); q 0.02
951, 43, 2 (32); q 0.015 925, 35, 2 (25); q 0.01 869, 21, 0 (15): no q meets both targets
with a margin, so the defaults stay. Test seeds 1-10, run once after: 96/100 caught (busy
12/15), 4 others = 0.48 a year, seed 2 has 3 (3.6 a year): the max-per-seed target is missed.

Session 7, tuning seeds 101-200. Of the 63 others, 59 were single physicians' streaks and 4
practice alerts, one of them eight days after a member's own page over 4 of its negatives. A
practice finding must now also be significant without whichever member matters most
(intersection-union test), else it is that member's context (or nothing): caught 974 -> 977,
others 63 -> 58, none on practices, seeds with 3+ others 7 -> 5, repeats 36 -> 4. The 58 are
single physicians' streaks (46 14-day, 9 30-day, 3 90-day windows; p 9e-6 to 2e-4), none
overlapping a planted cluster or another alert. q again, with the share of 10-seed sets
resampled from these 100 seeds (20,000 draws) meeting all three targets: q 0.025 977 caught, 58
others, 5 seeds 3+ (0.57); q 0.02 953, 39, 2 (0.55); q 0.015 929, 33, 2 (0.22); q 0.01 873, 19,
0 (0.01). Chosen: q 0.025. Test seeds 1-10, run once after: 96/100 (busy 12/15), 4 others = 0.48
a year, seed 2 has 3.

Session 9, tuning seeds only (101-300), not adopted. Family-wise control per evaluation (the
family stage at q / entities, as Benjamini-Bogomolov with one family selected, so a real
cluster no longer relaxes everyone's threshold) against the shipped family FDR: seeds 101-200
q 0.03 975 caught, 51 others, 3 seeds 3+ (share meeting all targets 0.69); q 0.025 959, 41, 1
(0.68); FDR q 0.025 977, 58, 5 (0.57). Seeds 201-300: family-wise q 0.03 958, 38, 2 (0.60);
FDR q 0.025 964, 49, 3 (0.62); FDR q 0.02 945, 40, 2 (0.40). At equal catch about a tenth
fewer others, within the seed-to-seed spread (caught 97.7% on 101-200, 96.4% on 201-300 at
the same settings): the same frontier, so the FDR stays. Of the 52 others at family-wise q
0.03 (101-200), 32 have 5 negatives (28 of them on physicians with 55-81 reviews a year): the
planted cluster exactly, so no rule on these counts separates them; 7 have 4, 12 have 6-12.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.backtest import BacktestAlert, DetectorSet, backtest
from alerts.clusters import ClusterConfig, EventIndex
from alerts.simulation import PlantedCluster, generate_history, plant_clusters
from reputation.settings import parse_window_weights


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


@dataclass(frozen=True)
class SeedResult:
    """One seed's outcome."""

    planted: int
    caught: int
    busy: int
    busy_caught: int
    others: int
    days_replayed: int
    repeats: int = 0  # pages about a planted cluster beyond its first
    practice_others: int = 0  # other alerts on practices (the rest are on physicians)

    @property
    def others_a_year(self) -> float:
        """Other cluster alerts x 365 / days replayed."""
        return self.others * 365 / self.days_replayed


def run_seed(seed: int, planted_n: int, months: int, config: ClusterConfig) -> SeedResult:
    """Planted and caught clusters (all, busy) and other cluster alerts for one seed."""
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
    caught, busy, busy_caught, repeats = 0, 0, 0, 0
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
        # Any alert about the planted physician while its cluster is in a window is explained;
        # so is a practice alert while a planted member's cluster is in its windows.
        practice = history.practice_of.get(p.physician_id)
        mine = {
            i
            for i, a in enumerate(clusters)
            if (
                f"physician:{p.physician_id}" in _about(a)
                or a.labels["entity"] == f"practice:{practice}"
            )
            and p.started_at <= a.at <= p.completed_at + timedelta(days=90)
        }
        repeats += max(len(mine - explained) - 1, 0)
        explained.update(mine)
    others = len(clusters) - len(explained)
    on_practices = sum(
        1
        for i, a in enumerate(clusters)
        if i not in explained and a.labels["entity"].startswith("practice:")
    )
    days = (history.end - start).days
    return SeedResult(len(planted), caught, busy, busy_caught, others, days, repeats, on_practices)


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
    parser.add_argument("--window-weights", default=None, help="days:weight pairs, e.g. 14:2,30:1")
    args = parser.parse_args()
    config = ClusterConfig()
    if args.categories is not None:
        config = replace(config, categories=tuple(c for c in args.categories.split(",") if c))
    if args.fdr_q is not None:
        config = replace(config, fdr_q=args.fdr_q)
    if args.window_weights is not None:
        config = replace(config, window_weights=parse_window_weights(args.window_weights))
    if args.min_negatives is not None:
        config = replace(config, min_negatives=args.min_negatives)
    print(f"config: {config}")
    head = ("seed", "planted", "caught", "busy", "busy ok", "others", "days", "others/yr")
    head = (*head, "repeats", "practice")
    print(" ".join(f"{h:>9}" for h in head))
    rows = []
    t0 = time.perf_counter()
    for seed in _seeds(args.seeds):
        r = run_seed(seed, args.planted, args.months, config)
        rows.append(r)
        cells = (seed, r.planted, r.caught, r.busy, r.busy_caught, r.others, r.days_replayed)
        tail = f"{r.others_a_year:>9.2f} {r.repeats:>9} {r.practice_others:>9}"
        print(" ".join(f"{c:>9}" for c in cells), tail)
    n, ok = sum(r.planted for r in rows), sum(r.caught for r in rows)
    busy, busy_ok = sum(r.busy for r in rows), sum(r.busy_caught for r in rows)
    quiet, quiet_ok = n - busy, ok - busy_ok
    others, days = sum(r.others for r in rows), sum(r.days_replayed for r in rows)
    worst = max(rows, key=lambda r: r.others_a_year)
    many = sum(r.others >= 3 for r in rows)
    print(
        f"caught {ok}/{n} = {ok / max(n, 1):.1%} (busy {busy_ok}/{busy}, not busy {quiet_ok}/"
        f"{quiet}); other cluster alerts: {others} in {days} seed-days replayed = "
        f"{others} x 365 / {days} = {others * 365 / max(days, 1):.2f} a year; most in one seed "
        f"{worst.others} in {worst.days_replayed} days = {worst.others_a_year:.2f} a year; "
        f"seeds with 3+ others {many}/{len(rows)}; on practices "
        f"{sum(r.practice_others for r in rows)}; repeats {sum(r.repeats for r in rows)} "
        f"({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
