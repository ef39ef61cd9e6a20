"""Alert evaluation from the database: `alerts.evaluate.evaluate` end to end, SQLite and PostgreSQL.

Usage: .venv/bin/python bench/alerts_db.py [--physicians 10000] [--reviews 1000000]
                                           [--postgres URL]

bench/alerts.py times the pure detectors; this one times what the daemon runs: load the
classified history from the database, run every detector, apply the lifecycle and write the
alert rows, in one transaction. A synthetic two-year history (reputation.simulate) is written
as reviews and classifications (not timed), at 10% and at 100% of --reviews, so the time ratio
of the two sizes shows how evaluation grows. Each size is evaluated twice: the first creates
the alerts, the second is the steady state the daemon sees every hour.
PostgreSQL is measured when --postgres or REPMON_TEST_POSTGRES_URL is given.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

from alerts.evaluate import evaluate, load_history
from reputation.classify import CLASSIFIER_VERSION
from reputation.clusters import CATEGORIES, ReviewEvent
from reputation.db import Database
from reputation.models import Classification, Physician, Practice, Review
from reputation.settings import load_settings
from reputation.simulate import History, generate_history

CHUNK = 10_000


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most CHUNK rows."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def write(db: Database, history: History, events: list[ReviewEvent]) -> None:
    """Store the roster and the events as reviews with their classification."""
    practices = sorted({p for p in history.practice_of.values() if p is not None})
    with db.engine.begin() as conn:
        conn.execute(insert(Practice), [{"id": p, "name": f"Practice {p}"} for p in practices])
        conn.execute(
            insert(Physician),
            [
                {"id": pid, "npi": f"{pid:010d}", "name": f"Physician {pid}", "practice_id": prac}
                for pid, prac in sorted(history.practice_of.items())
            ],
        )
        reviews = (
            {
                "id": e.review_id,
                "source": "ratemds",
                "external_id": str(e.review_id),
                "physician_id": e.physician_id,
                "author": e.reviewer_key,
                "rating": 1.5 if e.negative else 4.5,
                "text": "",
                "published_at": e.published_at,
                "first_seen_at": e.published_at + timedelta(hours=6),
                "last_seen_at": e.published_at + timedelta(hours=6),
                "content_hash": "bench",
            }
            for e in events
        )
        for batch in chunks(reviews):
            conn.execute(insert(Review), batch)
        classifications = (
            {
                "review_id": e.review_id,
                "classifier_version": CLASSIFIER_VERSION,
                "content_hash": "bench",
                "created_at": e.published_at,
                "compound": -0.6 if e.negative else 0.6,
                "label": "negative" if e.negative else "positive",
                "negative": e.negative,
                **{name: name in e.categories for name in CATEGORIES},
                "unspecified": e.negative and not e.categories,
            }
            for e in events
        )
        for batch in chunks(classifications):
            conn.execute(insert(Classification), batch)
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def measure(url: Callable[[int], str], history: History, sizes: list[int], data_dir: Path) -> None:
    """Write each size into a fresh schema/file and time two evaluations."""
    events = sorted(history.events, key=lambda e: e.published_at)
    step = {n: max(1, len(events) // n) for n in sizes}
    now = history.end
    base: float | None = None
    print(
        f"  {'reviews':>10} {'load s':>7} {'evaluate s':>10} {'again s':>8} {'time x':>7} "
        f"{'firing':>6} {'peak RSS':>9}"
    )
    for n in sizes:
        subset = events[:: step[n]][:n]
        db_url = url(n)
        db = Database(db_url)
        db.ensure_schema()
        write(db, history, subset)
        settings = load_settings(None, {"REPMON_DATABASE_URL": db_url}, data_dir)
        with db.session() as session:
            t0 = time.perf_counter()
            load_history(session, now)
            load = time.perf_counter() - t0
        t1 = time.perf_counter()
        report = evaluate(db, settings, now, notify=False)
        t2 = time.perf_counter()
        evaluate(db, settings, now + timedelta(hours=1), notify=False)
        t3 = time.perf_counter()
        base = base or (t3 - t2)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {len(subset):>10,} {load:>7.1f} {t2 - t1:>10.1f} {t3 - t2:>8.1f} "
            f"{(t3 - t2) / base:>7.2f} {report.firing:>6} {peak:>7.0f} MB"
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
    per_month = max(1, math.ceil(2.1 * args.reviews / (args.physicians * months)) - 1)
    history = generate_history(
        seed=1,
        physicians=args.physicians,
        months=months,
        per_month=(1, per_month),
        practices=max(1, args.physicians // 25),
    )
    sizes = [args.reviews // 10, args.reviews]
    print(
        f"machine: {os.cpu_count()} cores; {args.physicians:,} physicians, "
        f"{len(history.events):,} generated reviews over {months} months; sizes {sizes}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite:")
        measure(lambda n: f"sqlite:///{tmp}/alerts-{n}.db", history, sizes, Path(tmp))
        if not args.postgres:
            print("PostgreSQL: skipped (no --postgres URL and no REPMON_TEST_POSTGRES_URL)")
            return
        admin = create_engine(args.postgres)
        schemas: list[str] = []

        def schema_url(n: int) -> str:
            schema = f"bench_alerts_{n}_{uuid.uuid4().hex[:6]}"
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            schemas.append(schema)
            sep = "&" if "?" in args.postgres else "?"
            return f"{args.postgres}{sep}options=-csearch_path%3D{schema}"

        print("PostgreSQL:")
        try:
            measure(schema_url, history, sizes, Path(tmp))
        finally:
            with admin.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
