"""The sandbox's world: practices, physicians, reviews and posts, generated from a seed.

Everything is a pure function of (seed, anchor). `anchor` is the default demo clock: the
planted cluster lies 8-19 days and the harm review 11 days before it; reviews continue
for 120 days after it so the world grows as the sandbox clock advances.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import spiders.sandbox.texts as texts
from reputation.imports.npi import with_check_digit
from spiders.sandbox.model import (
    CLUSTER_INDEX,
    HARM_INDEX,
    Physician,
    Post,
    Practice,
    SandboxReview,
    World,
    make_source_id,
)
from spiders.sandbox.planted import near_misses, plant
from spiders.sandbox.posts import make_posts

__all__ = [
    "CLUSTER_INDEX",
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "HARM_INDEX",
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
                    source_id=make_source_id(rng, source, seq),
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
    truth = plant(rng, physicians, reviews, anchor, seq)
    # Its own random stream: the rest of the world stays what it was before near misses.
    truth["near_misses"] = near_misses(random.Random(seed * 7919 + 1), physicians, reviews, anchor)
    posts = make_posts(rng, physicians, start, end, anchor)
    return World(seed, anchor, list(_PRACTICES), physicians, reviews, posts, truth)
