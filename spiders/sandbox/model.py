"""The sandbox's data model: practices, physicians, reviews with a life, social posts."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

__all__ = [
    "CLUSTER_INDEX",
    "HARM_INDEX",
    "Physician",
    "Post",
    "Practice",
    "SandboxReview",
    "World",
    "make_source_id",
]

# Which of the 24 physicians carry the planted cluster and the planted harm review.
CLUSTER_INDEX = 9
HARM_INDEX = 17


@dataclass(frozen=True)
class Practice:
    """A group practice of the sandbox hospital."""

    slug: str
    name: str
    hospital: str
    city: str
    state: str


@dataclass(frozen=True)
class Physician:
    """A physician and the ids of their profiles on each source ("" when absent)."""

    index: int
    npi: str
    first: str
    middle: str
    last: str
    specialty: str
    practice: Practice
    aliases: tuple[str, ...]
    ratemds_id: int
    hg_code: str
    google_place: str
    yelp_id: str

    @property
    def name(self) -> str:
        """Name as the roster holds it."""
        return f"{self.first} {self.middle}. {self.last}"

    @property
    def sources(self) -> tuple[str, ...]:
        """Sources this physician has a profile on."""
        out = ["ratemds", "healthgrades", "schemaorg"]
        out += ["google"] if self.google_place else []
        out += ["yelp"] if self.yelp_id else []
        return tuple(out)


@dataclass(frozen=True)
class SandboxReview:
    """One review on one source, with its life: edit, owner response, deletion."""

    source: str
    source_id: str
    physician: int
    author: str
    rating: int
    subratings: dict[str, int]
    title: str
    text: str
    published: datetime
    response_text: str = ""
    response_at: datetime | None = None
    edited_at: datetime | None = None
    edited_text: str = ""
    edited_rating: int | None = None
    deleted_at: datetime | None = None
    tags: tuple[str, ...] = ()

    def visible(self, now: datetime) -> bool:
        """Published and not (yet) deleted at `now`."""
        return self.published <= now and (self.deleted_at is None or now < self.deleted_at)

    def at(self, now: datetime) -> SandboxReview:
        """The review as the site shows it at `now` (edits and responses applied)."""
        shown = self
        if self.edited_at is not None and self.edited_at <= now:
            rating = self.edited_rating or self.rating
            subs = {k: rating for k in self.subratings}
            shown = replace(shown, text=self.edited_text, rating=rating, subratings=subs)
        if self.response_at is not None and self.response_at > now:
            shown = replace(shown, response_text="", response_at=None)
        return shown


@dataclass(frozen=True)
class Post:
    """A Reddit or X post that may mention a physician (`physician` -1: nobody of ours)."""

    source: str
    source_id: str
    physician: int
    author: str
    title: str
    text: str
    published: datetime
    subreddit: str = ""


@dataclass
class World:
    """Everything the sandbox serves."""

    seed: int
    anchor: datetime
    practices: list[Practice]
    physicians: list[Physician]
    reviews: list[SandboxReview]
    posts: list[Post]
    truth: dict[str, object] = field(default_factory=dict)

    def reviews_of(self, physician: int, source: str, now: datetime) -> list[SandboxReview]:
        """Visible reviews of one profile at `now`, newest first."""
        rows = [
            r.at(now)
            for r in self.reviews
            if r.physician == physician and r.source == source and r.visible(now)
        ]
        return sorted(rows, key=lambda r: (r.published, r.source_id), reverse=True)


def make_source_id(rng: random.Random, source: str, seq: int) -> str:
    """A source-shaped review id (RateMDs number, Healthgrades UUID, Google/Yelp token)."""
    if source == "ratemds":
        return str(4000000 + seq * 7 + rng.randrange(7))
    if source == "healthgrades":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if source == "google":
        return "Ch" + uuid.UUID(int=rng.getrandbits(128)).hex[:22]
    if source == "yelp":
        return uuid.UUID(int=rng.getrandbits(128)).hex[:22]
    return f"rev-{seq}"
