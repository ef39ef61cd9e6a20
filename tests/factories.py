"""Test data written for the tests: rosters and reviews (no third-party text)."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reputation.npi import with_check_digit

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
