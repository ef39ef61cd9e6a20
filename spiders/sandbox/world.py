"""The sandbox's world: practices, physicians, reviews and posts, generated from a seed.

Everything is a pure function of (seed, anchor). `anchor` is the default demo clock: the
planted cluster lies 8-19 days and the harm review 11 days before it; reviews continue
for 120 days after it so the world grows as the sandbox clock advances.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from reputation.npi import with_check_digit
from spiders.sandbox import texts

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "Physician",
    "Post",
    "Practice",
    "SandboxReview",
    "World",
    "build_world",
]

DEFAULT_SEED = 20261123
DEFAULT_ANCHOR = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 300
FUTURE_DAYS = 120
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


_HOSPITAL = "Riverside Regional Health"
_PRACTICES = [
    Practice("riverside-family", "Riverside Family Medicine", _HOSPITAL, "Riverton", "OH"),
    Practice("lakeview-heart", "Lakeview Heart & Vascular", _HOSPITAL, "Riverton", "OH"),
    Practice("northgate-surgical", "Northgate Surgical Associates", _HOSPITAL, "Maple Falls", "OH"),
    Practice("cedar-womens", "Cedar Women's Health", _HOSPITAL, "Maple Falls", "OH"),
]
_SPECIALTIES = {
    "riverside-family": ["Family Medicine", "Internal Medicine", "Pediatrics"],
    "lakeview-heart": ["Cardiology", "Vascular Surgery", "Internal Medicine"],
    "northgate-surgical": ["General Surgery", "Orthopedic Surgery", "Urology"],
    "cedar-womens": ["Obstetrics & Gynecology", "Endocrinology", "Family Medicine"],
}
_SOURCE_WEIGHT = {"ratemds": 35, "healthgrades": 30, "google": 20, "yelp": 7, "schemaorg": 8}


def _physicians(rng: random.Random) -> list[Physician]:
    firsts = rng.sample(texts.FIRST_NAMES, 24)
    lasts = rng.sample(texts.LAST_NAMES, 24)
    out = []
    for i in range(24):
        practice = _PRACTICES[i // 6]
        specialty = rng.choice(_SPECIALTIES[practice.slug])
        if i == HARM_INDEX:
            specialty = "General Surgery"
        middle = chr(ord("A") + rng.randrange(26))
        aliases: tuple[str, ...] = (f"Dr. {lasts[i]}", f"{firsts[i]} {lasts[i]}")
        if i % 5 == 0:
            aliases += (f"{firsts[i][0]}. {lasts[i]}",)
        out.append(
            Physician(
                index=i,
                npi=with_check_digit("1" + f"{rng.randrange(10**8):08d}"),
                first=firsts[i],
                middle=middle,
                last=lasts[i],
                specialty=specialty,
                practice=practice,
                aliases=aliases,
                ratemds_id=3000000 + rng.randrange(900000),
                hg_code="".join(rng.choice("BCDFGHJKLMNPQRSTVWXYZ23456789") for _ in range(5)),
                google_place=("ChIJ" + uuid.UUID(int=rng.getrandbits(128)).hex[:23])
                if i % 3 != 2 or i in (CLUSTER_INDEX, HARM_INDEX)
                else "",
                yelp_id=f"dr-{firsts[i]}-{lasts[i]}-{practice.city}".lower().replace(" ", "-")
                if i % 3 == 0
                else "",
            )
        )
    return out


def _rating(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.15:
        return rng.choice((1, 1, 2))
    if roll < 0.22:
        return 3
    return rng.choice((4, 5, 5, 5))


def _subratings(rng: random.Random, rating: int) -> dict[str, int]:
    return {
        k: max(1, min(5, rating + rng.choice((-1, 0, 0, 0, 1))))
        for k in ("staff", "punctuality", "helpfulness", "knowledge")
    }


def _source_id(rng: random.Random, source: str, seq: int) -> str:
    if source == "ratemds":
        return str(4000000 + seq * 7 + rng.randrange(7))
    if source == "healthgrades":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if source == "google":
        return "Ch" + uuid.UUID(int=rng.getrandbits(128)).hex[:22]
    if source == "yelp":
        return uuid.UUID(int=rng.getrandbits(128)).hex[:22]
    return f"rev-{seq}"


def _too_many_negatives(times: list[datetime], when: datetime) -> bool:
    """Would a negative at `when` make 3 within 45 days? (No background clusters.)"""
    near = [t for t in times if abs((t - when).days) <= 45]
    return len(near) >= 2


def build_world(seed: int = DEFAULT_SEED, anchor: datetime = DEFAULT_ANCHOR) -> World:
    """The whole sandbox world for a seed; identical for identical arguments."""
    rng = random.Random(seed)
    physicians = _physicians(rng)
    start = anchor - timedelta(days=HISTORY_DAYS)
    end = anchor + timedelta(days=FUTURE_DAYS)
    reviews: list[SandboxReview] = []
    negatives: dict[int, list[datetime]] = {p.index: [] for p in physicians}
    cluster_lo = anchor - timedelta(days=70)
    seq = 0
    for p in physicians:
        monthly = rng.uniform(1.5, 4.0)
        when = start + timedelta(hours=rng.uniform(0, 240))
        while when < end:
            when += timedelta(days=rng.expovariate(monthly / 30.0), hours=rng.uniform(0, 8))
            if when >= end:
                break
            rating = _rating(rng)
            planted = p.index in (CLUSTER_INDEX, HARM_INDEX)
            quiet = planted and cluster_lo <= when <= anchor + timedelta(days=40)
            if rating <= 2 and (quiet or _too_many_negatives(negatives[p.index], when)):
                rating = 5
            if rating <= 2:
                negatives[p.index].append(when)
            weights = [_SOURCE_WEIGHT[s] for s in p.sources]
            source = rng.choices(p.sources, weights)[0]
            seq += 1
            subs = _subratings(rng, rating) if source == "ratemds" else {}
            if subs:
                rating = max(1, min(5, round(sum(subs.values()) / 4)))
            response_text, response_at = "", None
            if source in ("ratemds", "healthgrades") and rng.random() < (
                0.45 if rating <= 2 else 0.08
            ):
                response_at = when + timedelta(days=rng.uniform(1, 9))
                response_text = (
                    "Thank you for your feedback. We are sorry your visit fell short; please "
                    "call our patient liaison so we can make this right."
                    if rating <= 3
                    else "Thank you for taking the time to share your experience!"
                )
            author = f"{rng.choice(texts.REVIEWER_FIRST)} {chr(65 + rng.randrange(26))}."
            reviews.append(
                SandboxReview(
                    source=source,
                    source_id=_source_id(rng, source, seq),
                    physician=p.index,
                    author=author,
                    rating=rating,
                    subratings=subs,
                    title=("Great care" if rating >= 4 else "Could be better")
                    if source == "schemaorg"
                    else "",
                    text=texts.review_text(rng, p.last, rating),
                    published=when.replace(microsecond=0),
                    response_text=response_text,
                    response_at=response_at.replace(microsecond=0) if response_at else None,
                )
            )
    truth = _plant(rng, physicians, reviews, anchor, seq)
    posts = _posts(rng, physicians, start, end, anchor)
    return World(seed, anchor, list(_PRACTICES), physicians, reviews, posts, truth)


def _plant(
    rng: random.Random,
    physicians: list[Physician],
    reviews: list[SandboxReview],
    anchor: datetime,
    seq: int,
) -> dict[str, object]:
    """Add the cluster, the harm review, an edited and a deleted review; describe them."""
    doc = physicians[CLUSTER_INDEX]
    cluster_sources = ["ratemds", "healthgrades", "ratemds", "google", "healthgrades", "ratemds"]
    authors = ["Renee K.", "Marcus T.", "Ola P.", "Grant W.", "Ines V.", "Harold B."]
    cluster_ids = []
    for k, (source, text) in enumerate(zip(cluster_sources, texts.CLUSTER_TEXTS, strict=True)):
        seq += 1
        when = anchor - timedelta(days=19 - 2.2 * k, hours=rng.uniform(0, 6))
        rating = 1 if k % 2 == 0 else 2
        review = SandboxReview(
            source=source,
            source_id=_source_id(rng, source, seq),
            physician=doc.index,
            author=authors[k],
            rating=rating,
            subratings={"staff": 2, "punctuality": 1, "helpfulness": rating, "knowledge": 2}
            if source == "ratemds"
            else {},
            title="",
            text=text.format(last=doc.last),
            published=when.replace(microsecond=0),
            tags=("cluster",),
        )
        if source == "ratemds":
            review = replace(review, rating=round(sum(review.subratings.values()) / 4))
        reviews.append(review)
        cluster_ids.append(f"{source}:{review.source_id}")
    surgeon = physicians[HARM_INDEX]
    seq += 1
    harm = SandboxReview(
        source="healthgrades",
        source_id=_source_id(rng, "healthgrades", seq),
        physician=surgeon.index,
        author="Dolores M.",
        rating=1,
        subratings={},
        title="",
        text=texts.HARM_TEXT.format(last=surgeon.last),
        published=(anchor - timedelta(days=11, hours=3)).replace(microsecond=0),
        tags=("harm",),
    )
    reviews.append(harm)
    edited_i = _pick(reviews, "ratemds", anchor - timedelta(days=60), anchor - timedelta(days=30))
    old = reviews[edited_i]
    reviews[edited_i] = replace(
        old,
        rating=2,
        subratings={"staff": 2, "punctuality": 2, "helpfulness": 2, "knowledge": 2},
        text="Charged twice for the same visit and nobody at the billing office answers.",
        edited_at=anchor - timedelta(days=6),
        edited_text=texts.EDITED_TEXT.format(last=physicians[old.physician].last),
        edited_rating=4,
        tags=("edited",),
    )
    lo, hi = anchor - timedelta(days=90), anchor - timedelta(days=45)
    deleted_i = _pick(reviews, "healthgrades", lo, hi)
    reviews[deleted_i] = replace(
        reviews[deleted_i], deleted_at=anchor - timedelta(days=4), tags=("deleted",)
    )
    return {
        "anchor": anchor.isoformat(),
        "cluster": {
            "npi": doc.npi,
            "name": doc.name,
            "practice": doc.practice.name,
            "reviews": cluster_ids,
            "from": min(r.published for r in reviews if "cluster" in r.tags).isoformat(),
            "to": max(r.published for r in reviews if "cluster" in r.tags).isoformat(),
        },
        "harm": {
            "npi": surgeon.npi,
            "name": surgeon.name,
            "review": f"healthgrades:{harm.source_id}",
            "published": harm.published.isoformat(),
        },
        "edited": {
            "review": f"ratemds:{old.source_id}",
            "npi": physicians[old.physician].npi,
            "edited_at": (anchor - timedelta(days=6)).isoformat(),
        },
        "deleted": {
            "review": f"healthgrades:{reviews[deleted_i].source_id}",
            "npi": physicians[reviews[deleted_i].physician].npi,
            "deleted_at": (anchor - timedelta(days=4)).isoformat(),
        },
    }


def _pick(reviews: list[SandboxReview], source: str, lo: datetime, hi: datetime) -> int:
    """Index of the first plain positive review of `source` published within [lo, hi]
    whose physician has no negative review within 60 days of it (so that turning it
    negative for a while cannot make a cluster)."""
    for i, r in enumerate(reviews):
        plain = not r.tags and r.rating >= 4 and r.physician not in (CLUSTER_INDEX, HARM_INDEX)
        if not (r.source == source and lo <= r.published <= hi and plain):
            continue
        near = [
            o
            for o in reviews
            if o.physician == r.physician
            and o.rating <= 2
            and abs((o.published - r.published).days) <= 60
        ]
        if not near:
            return i
    raise AssertionError(f"no {source} review between {lo} and {hi} to plant into")


def _posts(
    rng: random.Random,
    physicians: list[Physician],
    start: datetime,
    end: datetime,
    anchor: datetime,
) -> list[Post]:
    """Social posts: most about our physicians, some about namesakes elsewhere, some noise."""
    posts: list[Post] = []
    span = (end - start).total_seconds()
    for k in range(60):
        when = (start + timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)
        source = "reddit" if k % 2 == 0 else "x"
        if source == "x" and k < 16:
            # X recent search only reaches back 7 days: keep some posts near the anchor.
            when = (anchor - timedelta(days=rng.uniform(0.3, 6.5))).replace(microsecond=0)
        author = f"{rng.choice(texts.REVIEWER_FIRST).lower()}_{rng.randrange(10, 999)}"
        if k % 6 == 5:
            # A namesake: same surname as one of ours, another city and practice.
            p = rng.choice(physicians)
            first = rng.choice([f for f in texts.FIRST_NAMES if f != p.first])
            text = (
                texts.mention_text(
                    rng,
                    first,
                    p.last,
                    "Harbor Point Clinic",
                    "dermatology",
                    rng.choice(("good", "bad", "ask")),
                )
                + " (over in Port Alden)"
            )
            target = -1
        else:
            p = rng.choice(physicians)
            tone = rng.choices(("good", "bad", "ask"), (6, 2, 2))[0]
            text = texts.mention_text(rng, p.first, p.last, p.practice.name, p.specialty, tone)
            target = p.index
        title = text.split(". ")[0][:80] if source == "reddit" else ""
        posts.append(
            Post(
                source=source,
                source_id=f"{rng.getrandbits(40):x}"
                if source == "reddit"
                else str(1800000000000000000 + rng.getrandbits(56)),
                physician=target,
                author=author,
                title=title,
                text=text,
                published=when,
                subreddit=rng.choice(("AskDocs", "Riverton", "MapleFalls", "medical")),
            )
        )
    return posts
