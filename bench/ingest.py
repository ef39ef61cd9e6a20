"""Ingest benchmark: reviews/s and peak memory for `repmon ingest` into SQLite and PostgreSQL.

    python bench/ingest.py [--reviews 50000] [--postgres URL]

PostgreSQL is measured when --postgres or REPMON_TEST_POSTGRES_URL is given (scripts/postgres.sh
starts one on 127.0.0.1). Baseline in the same run: plain json.loads of the same file, i.e.
the cost of reading the input at all.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.storage.db import Database
from tests.factories import iter_review_records, roster_csv, scratch_schema, write_jsonl

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, path: Path, n: int, physicians: int) -> None:
    db = Database(url)
    db.ensure_schema()
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(physicians)))
    for attempt in ("first", "again"):
        t0 = time.perf_counter()
        report = ingest_file(db, path, NOW)
        dt = time.perf_counter() - t0
        t = report.tally
        print(
            f"  {attempt:6} {n / dt:9.0f} reviews/s  ({dt:6.1f} s; new {t.new}, "
            f"unchanged {t.unchanged}, rejected {t.rejected}; peak RSS {peak_mb():.0f} MB)"
        )
    size = stored_bytes(db)
    print(f"  stored: {size / 2**20:.0f} MB with indexes, {size / n:.0f} bytes a review")
    db.dispose()


def stored_bytes(db: Database) -> int:
    """Bytes the database takes on disk (SQLite: the file; PostgreSQL: the schema's tables)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(text("VACUUM"))
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            return int(pages) * int(conn.execute(text("PRAGMA page_size")).scalar_one())
        conn.execute(text("VACUUM ANALYZE"))
        return int(
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--physicians", type=int, default=2_000)
    parser.add_argument("--postgres", default=os.environ.get("REPMON_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_jsonl(
            Path(tmp) / "reviews.jsonl", iter_review_records(args.reviews, args.physicians)
        )
        t0 = time.perf_counter()
        with path.open() as handle:
            for line in handle:
                json.loads(line)
        base = args.reviews / (time.perf_counter() - t0)
        print(
            f"machine: {os.cpu_count()} cores; {args.reviews} reviews, {args.physicians} physicians"
        )
        print(f"baseline json.loads: {base:.0f} lines/s")
        print("SQLite:")
        measure(f"sqlite:///{tmp}/bench.db", path, args.reviews, args.physicians)
        if args.postgres:
            print("PostgreSQL:")
            with scratch_schema(args.postgres, "bench") as url:
                measure(url, path, args.reviews, args.physicians)
        else:
            print("PostgreSQL: skipped (no --postgres URL and no REPMON_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
