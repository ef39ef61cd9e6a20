"""Stand-ins for what the storing pipeline and `repmon crawl` provide, used by e2e tests.

They show the wiring: a KnownIds pipeline tells spiders which reviews are stored, and the
REPMON_TARGETS setting names a callable that lists the targets of a run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from spiders.base import KnownIds, Target

ID_COLUMNS = {"google", "yelp"}


class KnownIdsPipeline(KnownIds):
    """Marks the ids listed in the KNOWN_IDS_FILE setting as already stored."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        path = crawler.settings.get("KNOWN_IDS_FILE", "")
        self.known = set(json.loads(Path(path).read_text())) if path else set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> KnownIdsPipeline:
        return cls(crawler)

    def known_ids(self, external_ids: Sequence[str]) -> set[str]:
        return self.known & set(external_ids)

    def process_item(self, item: Any) -> Any:
        return item


def roster_targets(source: str, npi: str | None, settings: Any) -> Iterable[Target]:
    """Targets of `source` from the sandbox roster at the SANDBOX_BASE setting."""
    base = settings.get("SANDBOX_BASE")
    with urlopen(f"{base}/_sandbox/roster.csv", timeout=10) as resp:
        rows = list(csv.DictReader(io.StringIO(resp.read().decode())))
    for row in rows:
        if npi and row["npi"] != npi:
            continue
        aliases = tuple(a for a in row["aliases"].split(";") if a)
        if source in ("reddit", "x"):
            yield Target(
                npi=row["npi"], name=row["name"], aliases=aliases, practice=row["practice"]
            )
        elif row.get(source):
            yield Target(url=row[source], npi=row["npi"], name=row["name"])
