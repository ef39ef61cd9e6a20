"""Alert kinds: one closed list of dataclasses, each with identity labels and annotations.

Identity is a fingerprint of labels (kind, entity, category, window); numbers are annotations.
Pure values: imports nothing of the project's storage, mail or scheduler.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

__all__ = [
    "ClusterAlert",
    "CrawlHealthAlert",
    "Detection",
    "FlagBacklogAlert",
    "ImmediateAlert",
    "RatingDropAlert",
    "UnansweredAlert",
    "entity_label",
    "fingerprint",
    "parse_entity",
]


def entity_label(kind: str, ident: int | str) -> str:
    """An alert's `entity` label: 'physician:7', 'practice:2', 'source:yelp'."""
    return f"{kind}:{ident}"


def parse_entity(label: str) -> tuple[str, str]:
    """('physician', '7') from 'physician:7'; the id part is '' when the label has none."""
    kind, _, ident = label.partition(":")
    return kind, ident


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 64-hex identity of a label set (order-independent)."""
    blob = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


class _Kind:
    """Mixin: every alert kind has labels (identity) and annotations (numbers)."""

    kind: ClassVar[str]

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        raise NotImplementedError

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Stable identity over the labels only."""
        return fingerprint(self.labels())


@dataclass(frozen=True)
class ClusterAlert(_Kind):
    """Negative reviews on one physician or practice beyond what chance explains."""

    kind: ClassVar[str] = "cluster"
    entity_kind: Literal["physician", "practice"]
    entity_id: int
    category: str
    window_days: int
    observed: int
    expected: float
    p_value: float
    q_value: float
    n_reviews: int
    distinct_reviewers: int
    category_split: tuple[tuple[str, int], ...] = ()
    review_ids: tuple[int, ...] = ()
    inhibited: tuple[ClusterAlert, ...] = ()
    mention_ids: tuple[int, ...] = ()  # negatives that are social posts, not reviews
    members: tuple[tuple[int, int], ...] = ()  # a practice's negatives per physician

    @property
    def ratio(self) -> float:
        """Observed over expected negatives."""
        return self.observed / self.expected if self.expected > 0 else float("inf")

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": entity_label(self.entity_kind, self.entity_id),
            "category": self.category,
            "window": f"{self.window_days}d",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {
            "observed": self.observed,
            "expected": round(self.expected, 3),
            "ratio": round(self.ratio, 2),
            "p_value": self.p_value,
            "q_value": self.q_value,
            "n_reviews": self.n_reviews,
            "distinct_reviewers": self.distinct_reviewers,
            "category_split": dict(self.category_split),
            "review_ids": list(self.review_ids),
            "mention_ids": list(self.mention_ids),
            "members": {entity_label("physician", p): n for p, n in self.members},
            "inhibited": [
                {"entity": a.labels()["entity"], **a.labels(), **a.annotations()}
                for a in self.inhibited
            ],
        }


@dataclass(frozen=True)
class ImmediateAlert(_Kind):
    """A review or social post flagged harm or legal, new to the world: alerts at once."""

    kind: ClassVar[str] = "immediate"
    review_id: int
    physician_id: int
    flag: str
    published_at: datetime
    social: bool = False  # review_id is then the id of a social post (mention)

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": entity_label("physician", self.physician_id),
            "category": self.flag,
            "window": f"{'mention' if self.social else 'review'}:{self.review_id}",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        ids = [self.review_id]
        return {
            "review_ids": [] if self.social else ids,
            "mention_ids": ids if self.social else [],
            "published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True)
class FlagBacklogAlert(_Kind):
    """Harm or legal flags on reviews that are old news: published long before we first saw
    them (a first crawl, a history import). One summary per flag, not one page per review."""

    kind: ClassVar[str] = "flag_backlog"
    flag: str
    review_ids: tuple[int, ...]
    physician_counts: tuple[tuple[int, int], ...]  # (physician id, reviews), most first
    oldest: datetime
    newest: datetime

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {"kind": self.kind, "entity": "organisation", "category": self.flag, "window": ""}

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        word = "allege harm" if self.flag == "harm" else "mention legal action"
        return {
            "summary": f"{len(self.review_ids)} older reviews {word}",
            "count": len(self.review_ids),
            "review_ids": list(self.review_ids),
            "physicians": {entity_label("physician", p): n for p, n in self.physician_counts},
            "oldest": self.oldest.isoformat(),
            "newest": self.newest.isoformat(),
        }


@dataclass(frozen=True)
class RatingDropAlert(_Kind):
    """A physician's mean rating over the window fell against the prior period."""

    kind: ClassVar[str] = "rating_drop"
    physician_id: int
    window_days: int
    window_mean: float
    prior_mean: float
    window_count: int
    prior_count: int
    review_ids: tuple[int, ...] = ()
    p_value: float = 0.0

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": entity_label("physician", self.physician_id),
            "category": "all",
            "window": f"{self.window_days}d",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {
            "window_mean": round(self.window_mean, 2),
            "prior_mean": round(self.prior_mean, 2),
            "drop": round(self.prior_mean - self.window_mean, 2),
            "window_count": self.window_count,
            "prior_count": self.prior_count,
            "p_value": self.p_value,
            "review_ids": list(self.review_ids),
        }


@dataclass(frozen=True)
class UnansweredAlert(_Kind):
    """A negative review without an owner response past the deadline."""

    kind: ClassVar[str] = "unanswered"
    review_id: int
    physician_id: int
    published_at: datetime
    age_days: float

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": entity_label("physician", self.physician_id),
            "category": "all",
            "window": f"review:{self.review_id}",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {"review_ids": [self.review_id], "age_days": round(self.age_days, 1)}


@dataclass(frozen=True)
class CrawlHealthAlert(_Kind):
    """A source blocked, broken or failing, or silent for longer than expected."""

    kind: ClassVar[str] = "crawl_health"
    source: str
    problem: str
    since: datetime
    detail: str = ""

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": entity_label("source", self.source),
            "category": self.problem,
            "window": "",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {"since": self.since.isoformat(), "detail": self.detail}


# Any alert a detector finds (a stored alert is a reputation.storage.models.Alert row).
Detection = (
    ClusterAlert
    | ImmediateAlert
    | FlagBacklogAlert
    | RatingDropAlert
    | UnansweredAlert
    | CrawlHealthAlert
)
