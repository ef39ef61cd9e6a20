"""Test data written for the tests: rosters and reviews (no third-party text)."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from alerts.clusters import ReviewEvent
from alerts.kinds import ClusterAlert
from alerts.simulation import SimulatedHistory, generate_history
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.imports.npi import with_check_digit
from reputation.storage.db import Database
from reputation.storage.models import Classification, Physician, Practice, Review
from reputation.vocabulary import CATEGORIES

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gia", "Hugo", "Ines", "Jon", "Kai", "Lena"]
LAST = ["Abara", "Brandt", "Castillo", "Dimitrov", "Eriksen", "Fontaine", "Gupta", "Halvorsen"]
PRACTICES = [
    ("Riverside Cardiology", "St Example Hospital"),
    ("North Clinic", "St Example Hospital"),
    ("Lakeside Family Medicine", "Example Health System"),
]


def npi(i: int) -> str:
    """The i-th valid test NPI."""
    return with_check_digit(f"{100000000 + i:09d}")


def roster_csv(n: int, broken: dict[int, tuple[str, str]] | None = None) -> str:
    """A roster of n physicians; `broken` maps a row index to (column, bad value)."""
    out = io.StringIO()
    cols = ["npi", "name", "specialty", "practice", "hospital", "aliases", "ratemds", "google"]
    writer = csv.DictWriter(out, fieldnames=cols)
    writer.writeheader()
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        practice, hospital = PRACTICES[i % len(PRACTICES)]
        row = {
            "npi": npi(i),
            "name": f"Dr. {first} {last} {i}",
            "specialty": "Cardiology",
            "practice": practice,
            "hospital": hospital,
            "aliases": f"{first} {last};Dr {last}",
            "ratemds": f"https://www.ratemds.example/doctor-ratings/{i}/dr-{last.lower()}",
            "google": f"place{i:06d}",
        }
        for index, (column, value) in (broken or {}).items():
            if index == i:
                row[column] = value
        writer.writerow(row)
    return out.getvalue()


PHRASES = [
    "Very kind and explained everything.",
    "Waited two hours past my appointment.",
    "The front desk never called back.",
    "Listened carefully and took her time.",
    "Rushed through the visit and seemed annoyed.",
    "Billing charged me twice.",
]


def review_records(
    n: int, physicians: int, seed: int = 7, start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
) -> list[dict[str, object]]:
    """n synthetic review records spread over `physicians` roster entries."""
    return list(iter_review_records(n, physicians, seed, start))


def iter_review_records(
    n: int, physicians: int, seed: int = 7, start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
) -> Iterator[dict[str, object]]:
    """The same records one at a time, for files larger than memory should hold."""
    rng = random.Random(seed)
    for i in range(n):
        published = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 600))
        yield {
            "source": "ratemds",
            "external_id": f"r{i}",
            "npi": npi(i % physicians),
            "author": f"patient{rng.randrange(10_000)}",
            "rating": rng.randint(1, 5),
            "rating_scale": 5,
            "title": "",
            "text": f"{rng.choice(PHRASES)} (visit {i})",
            "published_at": published.isoformat(),
            "subratings": {"staff": rng.randint(1, 5), "knowledge": rng.randint(1, 5)},
        }


def write_jsonl(path: Path, records: Iterable[dict[str, object]]) -> Path:
    """Write records as JSON lines."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


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


def store_history(
    db: Database,
    history: SimulatedHistory,
    events: Sequence[ReviewEvent],
    harm: Collection[int] = (),
) -> None:
    """Store a simulated roster and events as reviews with their classification (fast, bulk).

    Reviews are first seen six hours after publication; review ids in `harm` carry the flag.
    """
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
                "harm": e.review_id in harm,
            }
            for e in events
        )
        for batch in chunks(classifications):
            conn.execute(insert(Classification), batch)
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


@contextmanager
def scratch_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A URL of a new, empty PostgreSQL schema on the server; the schema is dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def simulated_history(physicians: int, reviews: int, months: int = 24) -> SimulatedHistory:
    """A synthetic history of about `reviews` reviews (a little over), practices of ~25."""
    per_month = max(1, math.ceil(2.1 * reviews / (physicians * months)) - 1)
    return generate_history(
        seed=1,
        physicians=physicians,
        months=months,
        per_month=(1, per_month),
        practices=max(1, physicians // 25),
    )


def cluster_alert(entity_id: int = 7, observed: int = 5, **kw: object) -> ClusterAlert:
    """A physician's 14-day cluster alert with plausible numbers; `kw` overrides fields."""
    base: dict[str, object] = {
        "entity_kind": "physician",
        "entity_id": entity_id,
        "category": "all",
        "window_days": 14,
        "observed": observed,
        "expected": 0.25,
        "p_value": 1e-6,
        "q_value": 0.01,
        "n_reviews": 6,
        "distinct_reviewers": observed,
    }
    base.update(kw)
    return ClusterAlert(**base)  # type: ignore[arg-type]
