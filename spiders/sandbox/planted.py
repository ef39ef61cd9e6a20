"""The planted events: the cluster, the harm review, an edited and a deleted review."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import spiders.sandbox.texts as texts
from spiders.sandbox.model import (
    CLUSTER_INDEX,
    HARM_INDEX,
    Physician,
    SandboxReview,
    make_source_id,
)

__all__ = ["near_misses", "plant"]


def plant(
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
            source_id=make_source_id(rng, source, seq),
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
        source_id=make_source_id(rng, "healthgrades", seq),
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


def near_misses(
    rng: random.Random, physicians: list[Physician], reviews: list[SandboxReview], anchor: datetime
) -> dict[str, object]:
    """Add natural bad luck that must not alert; describe it.

    A busy physician (about 12 reviews a month) has an unlucky month: four negatives from
    four patients in the 30 days before the anchor, about what their volume makes likely
    now and then. One angry patient posts the same complaint on three sites within two days.
    Both are in practices other than the planted cluster's, so they cannot feed it.
    """
    cluster_practice = physicians[CLUSTER_INDEX].practice
    others = [
        p
        for p in physicians
        if p.practice != cluster_practice and p.index not in (CLUSTER_INDEX, HARM_INDEX)
    ]
    # From the end of the roster: tests crawl the first physicians' pages as the sandbox
    # generated them before near misses existed.
    busy = others[-1]
    angry = next(p for p in reversed(others[:-1]) if "google" in p.sources)
    seq = 9_000_000
    start = anchor - timedelta(days=300)
    when = start
    while when < anchor + timedelta(days=120):
        when += timedelta(days=rng.expovariate(10.0 / 30.0), hours=rng.uniform(0, 8))
        seq += 1
        source = rng.choice(
            ("ratemds", "healthgrades", "google")
            if busy.google_place
            else ("ratemds", "healthgrades")
        )
        reviews.append(_review(rng, busy, source, seq, when, rng.choice((4, 5, 5)), tags=("busy",)))
    for k in range(4):
        seq += 1
        when = anchor - timedelta(days=27 - 7.5 * k, hours=rng.uniform(0, 12))
        review = _review(rng, busy, "ratemds" if k % 2 else "healthgrades", seq, when, 2)
        reviews.append(replace(review, tags=("busy", "near_miss")))
    author = f"{rng.choice(texts.REVIEWER_FIRST)} {chr(65 + rng.randrange(26))}."
    text = texts.review_text(rng, angry.last, 1)
    for k, source in enumerate(("ratemds", "healthgrades", "google")):
        seq += 1
        when = anchor - timedelta(days=9 - 0.8 * k, hours=rng.uniform(0, 6))
        review = _review(rng, angry, source, seq, when, 1)
        reviews.append(replace(review, author=author, text=text, tags=("angry", "near_miss")))
    return {
        "busy": {"npi": busy.npi, "name": busy.name},
        "angry": {"npi": angry.npi, "name": angry.name, "author": author},
    }


def _review(
    rng: random.Random,
    doc: Physician,
    source: str,
    seq: int,
    when: datetime,
    rating: int,
    tags: tuple[str, ...] = (),
) -> SandboxReview:
    subs = {k: rating for k in ("staff", "punctuality", "helpfulness", "knowledge")}
    return SandboxReview(
        source=source,
        source_id=make_source_id(rng, source, seq),
        physician=doc.index,
        author=f"{rng.choice(texts.REVIEWER_FIRST)} {chr(65 + rng.randrange(26))}.",
        rating=rating,
        subratings=subs if source == "ratemds" else {},
        title="",
        text=texts.review_text(rng, doc.last, rating),
        published=when.replace(microsecond=0),
        tags=tags,
    )


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
