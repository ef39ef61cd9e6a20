"""Alert evaluation from the database: `alerts.evaluate.evaluate` end to end, SQLite and PostgreSQL.

Usage: .venv/bin/python bench/alerts_db.py [--physicians 10000] [--reviews 1000000]
                                           [--postgres URL]

bench/alerts.py times the pure detectors; this one times what the daemon and the CLI run: load
the classified history from the database, run every detector, apply the lifecycle and write
the alert rows, in one transaction. A synthetic two-year history (alerts.simulation) is
written as reviews and classifications, at 10% and at 100% of --reviews, so the time ratio
of the two sizes shows how evaluation grows. Per size:
  store s    writing the history (bulk inserts; the change-log triggers fire on every row);
             at the first size also into a copy without the triggers, for their cost
  scan s     same-run baseline: one plain SELECT of the reviews' ids, authors and publication
             times joined to their classification, fetched through the driver (the floor any
             loader pays on this machine at that moment; the machine is shared, so absolute
             times drift between runs)
  full s     load_history without cache or snapshot: what an evaluation reads without a
             usable cache or snapshot
  first s    the first evaluation ever (no snapshot yet): reads every review, stores the snapshot
  process s  a new process's first evaluation an hour later (a fresh HistoryCache, as the CLI
             has): the snapshot plus what the change log names since
  hour s     the same process an hour later, nothing changed
  day s      the same process a day later (the window moved), nothing changed
  new s      the same process after 0.1% more reviews arrived with their classifications
  new+proc s a new process after those reviews (the snapshot plus the new reviews)
  roster s   the same process after 1% of the physicians moved to another practice
  CLI s      `repmon alerts evaluate` in a new OS process, interpreter start and imports included
  time x     process s at this size over process s at the first size
  full reads the evaluations after `first` that read every review (should be 0)
PostgreSQL is measured when --postgres or REPMON_TEST_POSTGRES_URL is given.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from sqlalchemy import insert, select, text, update

from alerts.clusters import ReviewEvent
from alerts.detectors import Thresholds, history_horizon
from alerts.evaluate import EvaluationReport, evaluate
from alerts.history import HistoryCache, load_history
from alerts.simulation import SimulatedHistory
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database
from reputation.storage.models import Classification, Physician, Review
from tests.factories import scratch_schema, simulated_history, store_history

SCAN = (
    "SELECT review.id, review.author, review.published_at, classification.negative FROM review "
    "JOIN classification ON classification.review_id = review.id"
)


def add_reviews(db: Database, events: list[ReviewEvent]) -> None:
    """Store reviews of known physicians with their classification, as a crawl and the
    classifier would (bulk, like tests.factories.store_history)."""
    with db.engine.begin() as conn:
        conn.execute(
            insert(Review),
            [
                {
                    "id": e.review_id,
                    "source": "google",
                    "external_id": f"new-{e.review_id}",
                    "physician_id": e.physician_id,
                    "author": e.reviewer_key,
                    "rating": 1.5 if e.negative else 4.5,
                    "published_at": e.published_at,
                    "first_seen_at": e.published_at + timedelta(hours=6),
                    "last_seen_at": e.published_at + timedelta(hours=6),
                    "content_hash": "bench",
                }
                for e in events
            ],
        )
        conn.execute(
            insert(Classification),
            [
                {
                    "review_id": e.review_id,
                    "classifier_version": CLASSIFIER_VERSION,
                    "content_hash": "bench",
                    "created_at": e.published_at + timedelta(hours=7),
                    "compound": -0.6 if e.negative else 0.6,
                    "label": "negative" if e.negative else "positive",
                    "negative": e.negative,
                }
                for e in events
            ],
        )


def drop_triggers(db: Database) -> None:
    """Drop every trigger (the change log's): to time storing without them."""
    if db.dialect == "sqlite":
        query = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
        )
    with db.engine.begin() as conn:
        for name, table in conn.execute(text(query)).all():
            on = f" ON {table}" if db.dialect == "postgresql" else ""
            conn.execute(text(f"DROP TRIGGER {name}{on}"))


def move_physicians(db: Database, share: float) -> None:
    """Move every 1/share-th physician to the next practice (a roster import)."""
    with db.engine.begin() as conn:
        rows = conn.execute(select(Physician.id, Physician.practice_id)).all()
        practices = sorted({p for _, p in rows if p is not None})
        for pid, practice in rows[:: round(1 / share)]:
            if practice is not None:
                moved = practices[(practices.index(practice) + 1) % len(practices)]
                conn.execute(update(Physician).where(Physician.id == pid).values(practice_id=moved))


def timed(
    db: Database, settings: Settings, now: datetime, cache: HistoryCache
) -> tuple[float, EvaluationReport]:
    """Seconds one evaluation at `now` takes with this cache, and its report."""
    t = time.perf_counter()
    report = evaluate(db, settings, now, notify=False, cache=cache)
    return time.perf_counter() - t, report


def cli_seconds(db_url: str, now: datetime, data_dir: Path) -> float:
    """Wall time of `repmon alerts evaluate` in a new OS process (interpreter start included)."""
    env = {**os.environ, "REPMON_DATABASE_URL": db_url}
    repmon = Path(sys.executable).with_name("repmon")
    command = [str(repmon), "alerts", "evaluate", "--no-notify", "--now", now.isoformat()]
    t = time.perf_counter()
    subprocess.run(command, env=env, cwd=data_dir, check=True, capture_output=True)
    return time.perf_counter() - t


def measure(
    url: Callable[[int], str], history: SimulatedHistory, sizes: list[int], data_dir: Path
) -> None:
    """Write each size into a fresh schema/file and time the evaluations a process meets."""
    events = sorted(history.events, key=lambda e: e.published_at)
    step = {n: max(1, len(events) // n) for n in sizes}
    now = history.end
    base: float | None = None
    columns = (
        f"  {'reviews':>10} {'store s':>7} {'scan s':>7} {'full s':>7} {'first s':>8} "
        f"{'process s':>9} {'hour s':>6} {'day s':>6} {'new s':>6} {'new+proc s':>10} "
        f"{'roster s':>8} {'CLI s':>6} {'time x':>7} {'full reads':>10} {'firing':>6} "
        f"{'peak RSS':>9}"
    )
    print(columns)
    for n in sizes:
        subset = events[:: step[n]][:n]
        later = events[:: step[n]][n : n + max(1, n // 1000)]
        if n == sizes[0]:  # the triggers' cost: the same rows into a store without them
            plain = Database(url(-n))
            plain.ensure_schema()
            drop_triggers(plain)
            t = time.perf_counter()
            store_history(plain, history, subset)
            print(
                f"  storing {n:,} reviews without the change-log triggers: "
                f"{time.perf_counter() - t:.2f} s"
            )
            plain.dispose()
        db_url = url(n)
        db = Database(db_url)
        db.ensure_schema()
        t = time.perf_counter()
        store_history(db, history, subset)
        store = time.perf_counter() - t
        settings = load_settings(None, {"REPMON_DATABASE_URL": db_url}, data_dir)
        with db.session() as session:
            t = time.perf_counter()
            session.connection().exec_driver_sql(SCAN).fetchall()
            scan = time.perf_counter() - t
            t = time.perf_counter()
            load_history(session, now, since=now - history_horizon(Thresholds()))
            load = time.perf_counter() - t
        hour, day = timedelta(hours=1), timedelta(days=1)
        first, report = timed(db, settings, now, HistoryCache())  # no snapshot yet: reads all
        cache = HistoryCache()  # a new process: the snapshot and what changed since
        process, _ = timed(db, settings, now + hour, cache)
        assert cache.restored and cache.full_loads == 0, "the snapshot was not used"
        steady, _ = timed(db, settings, now + 2 * hour, cache)
        next_day, _ = timed(db, settings, now + day + 2 * hour, cache)
        add_reviews(db, later)
        new, _ = timed(db, settings, now + day + 3 * hour, cache)
        changed = cache.changed
        fresh = HistoryCache()
        new_process, _ = timed(db, settings, now + day + 4 * hour, fresh)
        move_physicians(db, 0.01)
        roster, _ = timed(db, settings, now + day + 5 * hour, cache)
        cli = cli_seconds(db_url, now + day + 6 * hour, data_dir)
        base = base or process
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {len(subset):>10,} {store:>7.2f} {scan:>7.2f} {load:>7.2f} {first:>8.2f} "
            f"{process:>9.2f} {steady:>6.2f} {next_day:>6.2f} {new:>6.2f} {new_process:>10.2f} "
            f"{roster:>8.2f} {cli:>6.2f} {process / base:>7.2f} "
            f"{cache.full_loads + fresh.full_loads:>10} {report.firing:>6} {peak:>7.0f} MB  "
            f"(new: {changed} read)"
        )
        db.dispose()


def main() -> None:
    """Generate once, measure on SQLite and (when given) PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--physicians", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("REPMON_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    months = 24
    history = simulated_history(args.physicians, args.reviews, months)
    # The generated history is millions of Python objects only the bench holds (the daemon's
    # columns are numpy arrays): unfrozen, each full collection (2-3 s at 1M) lands on
    # whichever evaluation runs then.
    gc.freeze()
    sizes = [args.reviews // 10, args.reviews]
    print(
        f"machine: {os.cpu_count()} cores; {args.physicians:,} physicians, "
        f"{len(history.events):,} generated reviews over {months} months; sizes {sizes}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite:")
        measure(lambda n: f"sqlite:///{tmp}/alerts{n}.db", history, sizes, Path(tmp))
        if not args.postgres:
            print("PostgreSQL: skipped (no --postgres URL and no REPMON_TEST_POSTGRES_URL)")
            return
        print("PostgreSQL:")
        with ExitStack() as schemas:
            url = args.postgres
            measure(
                lambda n: schemas.enter_context(
                    scratch_schema(url, f"bench_alerts_{n}".replace("-", "plain"))
                ),
                history,
                sizes,
                Path(tmp),
            )


if __name__ == "__main__":
    main()
