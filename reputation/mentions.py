"""Social mentions: match a post to a physician by name and place, never by force."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reputation.errors import NotFound
from reputation.imports.normalize import clean_text, content_hash, parse_when
from reputation.storage.dialect import insert_ignore
from reputation.storage.models import Classification, Mention, Physician, Practice
from reputation.storage.queries import classified, find_physician
from reputation.vocabulary import CATEGORIES, FLAGS

__all__ = [
    "Candidate",
    "MatchResult",
    "MentionFilter",
    "assign_mention",
    "candidates",
    "iter_mentions",
    "match_mention",
    "mention_row",
    "post_text",
    "store_mention",
]

# Below this confidence a mention is stored without a physician.
MIN_CONFIDENCE = 0.6
_TITLES = re.compile(r"^(dr\.?|doctor|prof\.?)\s+", re.I)


@dataclass(frozen=True)
class Candidate:
    """A physician a post may be about: names to look for and places that confirm it."""

    physician_id: int
    npi: str
    names: tuple[str, ...]
    last_name: str
    places: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    """The physician a post is about (or None), how sure, and what matched."""

    physician_id: int | None
    confidence: float
    matched_on: dict[str, str]


def post_text(title: str, text: str) -> str:
    """What a post says, for people: its text, led by its title unless the title is only the
    text's first words (as Reddit's often are)."""
    if title.rstrip(".… ") in text:
        return text
    return f"{title} {text}".strip()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and re.search(rf"\b{re.escape(needle)}\b", haystack) is not None


def _score(text: str, c: Candidate) -> tuple[float, dict[str, str]]:
    matched: dict[str, str] = {}
    score = 0.0
    for name in c.names:
        if _contains(text, name):
            matched["name"] = name
            score = 0.7
            break
    if not matched and _contains(text, f"dr {c.last_name}"):
        matched["name"] = f"dr {c.last_name}"
        score = 0.45
    if not matched:
        return 0.0, {}
    for place in c.places:
        if _contains(text, place):
            matched["place"] = place
            score += 0.25
            break
    return min(score, 0.99), matched


def match_mention(text: str, cands: list[Candidate]) -> MatchResult:
    """The best-matching physician; an ambiguous or weak match is left unassigned."""
    folded = _fold(text)
    scored = sorted(((*_score(folded, c), c) for c in cands), key=lambda t: -t[0])
    if not scored or scored[0][0] == 0:
        return MatchResult(None, 0.0, {})
    best_score, best_matched, best = scored[0]
    if len(scored) > 1 and scored[1][0] >= best_score - 0.05:
        # Two physicians match equally well (same surname, no place): do not guess.
        return MatchResult(None, round(best_score / 2, 2), {**best_matched, "ambiguous": "yes"})
    if best_score < MIN_CONFIDENCE:
        return MatchResult(None, round(best_score, 2), best_matched)
    return MatchResult(best.physician_id, round(best_score, 2), {**best_matched, "npi": best.npi})


def candidates(session: Session) -> list[Candidate]:
    """Every physician as a match candidate, with names, aliases and practice places."""
    rows = session.execute(select(Physician, Practice).outerjoin(Practice))
    result = []
    for physician, practice in rows:
        names = {_fold(_TITLES.sub("", n)) for n in [physician.name, *physician.aliases]}
        names = {n for n in names if len(n.split()) >= 2}
        last = _fold(_TITLES.sub("", physician.name)).split()[-1:] or [""]
        places = (
            tuple(_fold(p) for p in (practice.name, practice.hospital) if p) if practice else ()
        )
        result.append(Candidate(physician.id, physician.npi, tuple(sorted(names)), last[0], places))
    return result


def store_mention(
    session: Session, raw: dict[str, object], cands: list[Candidate], now: datetime
) -> bool:
    """Store a social post once (source + external id) with its match; True when new."""
    source, external_id = str(raw.get("source", "")), str(raw.get("external_id", ""))
    if not source or not external_id:
        raise ValueError("a mention needs source and external_id")
    title, text = clean_text(raw.get("title")), clean_text(raw.get("text"))
    try:
        published = parse_when(raw["published_at"], now) if raw.get("published_at") else None
    except ValueError:
        published = None
    match = match_mention(f"{title}\n{text}", cands)
    row = {
        "source": source,
        "external_id": external_id,
        "physician_id": match.physician_id,
        "confidence": match.confidence,
        "matched_on": match.matched_on,
        "author": clean_text(raw.get("author"))[:300],
        "title": title,
        "text": text,
        "url": str(raw.get("url") or "")[:2000],
        "published_at": published,
        "first_seen_at": now,
        "content_hash": content_hash(title, text, None),
    }
    # Stored once: a later crawl never rematches a post, so a person's assignment stays.
    return insert_ignore(session, Mention, [row], ("source", "external_id")) > 0


@dataclass(frozen=True)
class MentionFilter:
    """Which social posts to list."""

    physician_npi: str | None = None
    unmatched: bool = False  # no physician, and no person has said it is about none of ours
    negative: bool = False


def mention_row(
    m: Mention, physician: Physician | None, c: Classification | None
) -> dict[str, Any]:
    """A social post as a flat dict for listing and export."""
    status = "" if m.assigned_at is None else ("confirmed" if m.physician_id else "rejected")
    return {
        "id": m.id,
        "source": m.source,
        "external_id": m.external_id,
        "url": m.url,
        "published_at": m.published_at.isoformat() if m.published_at else "",
        "author": m.author,
        "title": m.title,
        "text": m.text,
        "npi": physician.npi if physician else "",
        "physician": physician.name if physician else "",
        "confidence": 1.0 if status == "confirmed" else m.confidence,
        "matched_on": ";".join(f"{k}={v}" for k, v in sorted(m.matched_on.items())),
        "assignment": status,
        "assigned_by": m.assigned_by,
        "sentiment": c.label if c else "",
        "categories": [name for name in CATEGORIES if c and getattr(c, name)],
        "flags": [f for f in FLAGS if c and getattr(c, f)],
    }


def iter_mentions(session: Session, f: MentionFilter, version: str) -> Iterator[dict[str, Any]]:
    """Matching social posts as dicts, newest first."""
    stmt = (
        select(Mention, Physician, Classification)
        .outerjoin(Physician, Mention.physician_id == Physician.id)
        .outerjoin(Classification, classified(version, mention=True))
        .order_by(Mention.published_at.desc(), Mention.id.desc())
    )
    if f.physician_npi:
        stmt = stmt.where(Mention.physician_id == find_physician(session, f.physician_npi).id)
    if f.unmatched:
        stmt = stmt.where(Mention.physician_id.is_(None), Mention.assigned_at.is_(None))
    if f.negative:
        stmt = stmt.where(Classification.negative.is_(True))
    for mention, physician, classification in session.execute(
        stmt.execution_options(yield_per=500)
    ):
        yield mention_row(mention, physician, classification)


def assign_mention(
    session: Session, mention_id: int, npi: str | None, now: datetime, by: str = ""
) -> Mention:
    """A person's decision: the post is about this physician (full confidence), or, with no
    NPI, about none of ours. Later crawls keep it."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"no social post {mention_id} (see `repmon mentions`)")
    physician = find_physician(session, npi) if npi else None
    mention.physician_id = physician.id if physician else None
    mention.confidence = 1.0 if physician else 0.0
    mention.assigned_at, mention.assigned_by = now, by[:200]
    mention.matched_on = {**mention.matched_on, "assigned": npi or "none"}
    return mention
