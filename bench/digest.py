"""Weekly digests for a large roster: load, build, render and enqueue, timed separately.

Usage: .venv/bin/python bench/digest.py [--physicians 5000] [--reviews-per 12]

Creates a synthetic roster (practices of ~25 physicians, one subscriber per physician and one
manager per practice), reviews with classifications over 12 weeks, crawl runs and alerts in a
temporary SQLite database, then times each stage of `repmon digest --send`. Baseline in the same
run: loading each scope with its own queries (what a per-physician job would do), extrapolated
from a sample, next to the one bulk pass.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from reputation.digests.build import IsoWeek, build_digest
from reputation.digests.load import load_digest_data
from reputation.digests.plan import DigestOptions, plan_digests, render_digest
from reputation.mail.outbox import enqueue
from reputation.storage.db import Database
from reputation.storage.models import (
    Alert,
    Classification,
    CrawlRun,
    Physician,
    Practice,
    Profile,
    Recipient,
    Review,
    Subscription,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WEEK = IsoWeek(2026, 47)
SOURCES = ("ratemds", "google", "yelp", "healthgrades")
TEXTS = (
    "Kind and thorough, explained everything.",
    "Waited two hours past my appointment.",
    "The front desk never called back.",
    "Rushed and dismissive, did not listen.",
)


def populate(db: Database, physicians: int, per: int, seed: int = 7) -> None:
    """The synthetic roster, reviews, classifications, subscriptions, crawl runs and alerts."""
    rng = random.Random(seed)
    practices = max(1, physicians // 25)
    with db.transaction() as s:
        s.execute(
            insert(Practice),
            [{"id": i + 1, "name": f"Practice {i}", "hospital": "H"} for i in range(practices)],
        )
        s.execute(
            insert(Physician),
            [
                {
                    "id": i + 1,
                    "npi": f"{1000000000 + i}",
                    "name": f"Dr. Bench {i}",
                    "aliases": [],
                    "specialty": "Cardiology",
                    "practice_id": i % practices + 1,
                }
                for i in range(physicians)
            ],
        )
        s.execute(
            insert(Profile),
            [
                {"physician_id": i + 1, "source": src, "url": f"https://{src}.example/{i}"}
                for i in range(physicians)
                for src in SOURCES[: 1 + i % 4]
            ],
        )
        reviews, classes = [], []
        n = 0
        for i in range(physicians):
            for _ in range(per):
                n += 1
                published = NOW - timedelta(minutes=rng.randrange(60 * 24 * 7 * 13))
                rating = float(rng.randint(1, 5))
                text = rng.choice(TEXTS)
                answered = rng.random() < 0.4
                reviews.append(
                    {
                        "id": n,
                        "source": SOURCES[n % 4],
                        "external_id": f"x{n}",
                        "physician_id": i + 1,
                        "rating": rating,
                        "text": text,
                        "title": "",
                        "published_at": published,
                        "first_seen_at": published,
                        "last_seen_at": published,
                        "content_hash": f"{n:064d}",
                        "subratings": {},
                        "url": f"https://ratemds.example/r/{n}",
                        "response_text": "Thank you." if answered else None,
                        "response_at": published + timedelta(hours=30) if answered else None,
                    }
                )
                classes.append(
                    {
                        "review_id": n,
                        "classifier_version": "bench",
                        "content_hash": "h",
                        "created_at": published,
                        "compound": 0.0,
                        "label": "negative" if rating <= 2 else "positive",
                        "negative": rating <= 2,
                        "bedside_manner": "dismissive" in text,
                        "service": "front desk" in text or "Waited" in text,
                        "clinical_skill": False,
                        "unspecified": False,
                        "harm": False,
                        "legal": False,
                        "phi": False,
                        "detail": {
                            "categories": [
                                {
                                    "name": "service",
                                    "evidence": [{"text": text, "start": 0, "end": len(text)}],
                                }
                            ]
                        },
                    }
                )
        s.execute(insert(Review), reviews)
        s.execute(insert(Classification), classes)
        s.execute(
            insert(Recipient),
            [
                {
                    "id": i + 1,
                    "email": f"r{i}@example.org",
                    "name": f"Reader {i}",
                    "timezone": ("America/Chicago", "America/Los_Angeles", "")[i % 3],
                }
                for i in range(physicians + practices)
            ],
        )
        s.execute(
            insert(Subscription),
            [
                {
                    "recipient_id": i + 1,
                    "topic": "digest",
                    "scope_type": "physician",
                    "scope_id": i + 1,
                }
                for i in range(physicians)
            ]
            + [
                {
                    "recipient_id": physicians + j + 1,
                    "topic": "digest",
                    "scope_type": "practice",
                    "scope_id": j + 1,
                }
                for j in range(practices)
            ],
        )
        for k, src in enumerate(SOURCES):
            for day in range(20):
                start = NOW - timedelta(days=day, hours=2)
                s.add(
                    CrawlRun(
                        source=src,
                        spider=src,
                        started_at=start,
                        finished_at=start + timedelta(minutes=30),
                        status="blocked" if k == 2 and day < 5 else "ok",
                    )
                )
        for i in range(0, physicians, 50):
            s.add(
                Alert(
                    fingerprint=f"a{i}",
                    kind="cluster",
                    state="firing",
                    physician_id=i + 1,
                    annotations={"title": "Cluster of service complaints"},
                    labels={},
                    started_at=NOW,
                    fired_at=NOW,
                    last_seen_at=NOW,
                )
            )


def main() -> None:
    """Print seconds per stage, per-digest ms, and bulk vs per-scope loading."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--physicians", type=int, default=5000)
    parser.add_argument("--reviews-per", type=int, default=12)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    options = DigestOptions("UTC", 3, 7, "Repmon <repmon@example.org>", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.ensure_schema()
        t = time.perf_counter()
        populate(db, args.physicians, args.reviews_per)
        print(
            f"setup: {args.physicians} physicians, {args.physicians * args.reviews_per} "
            f"reviews in {time.perf_counter() - t:.1f} s"
        )
        with db.transaction() as session:
            t0 = time.perf_counter()
            jobs = plan_digests(session, WEEK, NOW, options.timezone)
            scopes = [(j.scope, j.scope_id) for j in jobs]
            data = load_digest_data(session, scopes, [WEEK], NOW, "bench", "UTC")
            t1 = time.perf_counter()
            built = [
                (j, build_digest(data[j.scope, j.scope_id], j.week, j.tz, NOW, 3, 7)) for j in jobs
            ]
            t2 = time.perf_counter()
            mails = [(j, render_digest(j, d, NOW)) for j, d in built]
            t3 = time.perf_counter()
            for j, mail in mails:
                enqueue(
                    session,
                    dedup_key=j.dedup_key,
                    kind="digest",
                    to_addr=j.to_addr,
                    recipient_id=j.recipient_id,
                    rendered=mail,
                    now=NOW,
                )
            t4 = time.perf_counter()
            sample = scopes[: args.sample]
            for scope in sample:
                load_digest_data(session, [scope], [WEEK], NOW, "bench", "UTC")
            per_scope = (time.perf_counter() - t4) / len(sample) * len(scopes)
        total = t4 - t0
        n = len(jobs)
        print(f"digests: {n} ({args.physicians} physician + {n - args.physicians} practice)")
        for name, secs in (
            ("load (plan + bulk)", t1 - t0),
            ("build", t2 - t1),
            ("render", t3 - t2),
            ("enqueue", t4 - t3),
            ("total", total),
        ):
            print(f"  {name:<20} {secs:8.2f} s   {1000 * secs / n:7.2f} ms/digest")
        print(
            f"baseline: loading each scope on its own would take ~{per_scope:.1f} s "
            f"(extrapolated from {len(sample)}); bulk is {per_scope / (t1 - t0):.1f}x faster"
        )
        db.dispose()


if __name__ == "__main__":
    main()
