"""The planted events: the cluster, the harm review, an edited and a deleted review."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from spiders.sandbox import texts
from spiders.sandbox.model import (
    CLUSTER_INDEX,
    HARM_INDEX,
    Physician,
    SandboxReview,
    make_source_id,
)

__all__ = ["plant"]


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
