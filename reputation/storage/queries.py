"""Read-side queries shared by the CLI, alerts and digests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from reputation.errors import NotFound
from reputation.storage.models import Alert, Classification, Mention, Physician, Practice, Review
from reputation.vocabulary import CATEGORIES, FLAGS

__all__ = [
    "ReviewFilter",
    "alert_as_dict",
    "classified",
    "count_reviews",
    "find_physician",
    "find_practice",
    "iter_reviews",
    "review_row",
    "select_alerts",
]


def classified(version: str, *, mention: bool = False) -> ColumnElement[bool]:
    """The join condition from a review (or, with `mention`, a social post) to its
    classification by classifier `version`: the one spelling of "the current classification"."""
    owner = (
        Classification.mention_id == Mention.id
        if mention
        else Classification.review_id == Review.id
    )
    return owner & (Classification.classifier_version == version)


@dataclass(frozen=True)
class ReviewFilter:
    """Which reviews to list."""

    physician_npi: str | None = None
    practice: str | None = None
    since: datetime | None = None
    category: str | None = None
    negative: bool = False
    unanswered: bool = False  # no owner response yet
    include_deleted: bool = False


def find_physician(session: Session, npi: str) -> Physician:
    """The physician with this NPI, or NotFound saying so."""
    physician = session.scalar(select(Physician).where(Physician.npi == npi))
    if physician is None:
        raise NotFound(f"no physician with NPI {npi} (see `repmon roster list`)")
    return physician


def find_practice(session: Session, key: str) -> Practice:
    """The practice with this id or name, or NotFound saying so."""
    condition = Practice.name == key
    if key.isdigit():
        condition = or_(condition, Practice.id == int(key))
    practice = session.scalar(select(Practice).where(condition))
    if practice is None:
        raise NotFound(f"no practice {key!r} (give its id or exact name; see `repmon roster list`)")
    return practice


def _statement(
    session: Session, f: ReviewFilter, version: str
) -> Select[Review, Physician, Classification]:
    stmt = (
        select(Review, Physician, Classification)
        .outerjoin(Physician, Review.physician_id == Physician.id)
        .outerjoin(Classification, classified(version))
        .order_by(Review.published_at.desc(), Review.id.desc())
    )
    if f.physician_npi:
        stmt = stmt.where(Review.physician_id == find_physician(session, f.physician_npi).id)
    if f.practice:
        stmt = stmt.where(Physician.practice_id == find_practice(session, f.practice).id)
    if f.since:
        stmt = stmt.where(Review.published_at >= f.since)
    if f.category:
        if f.category not in CATEGORIES:
            raise NotFound(f"unknown category {f.category!r} (one of {', '.join(CATEGORIES)})")
        # a complaint of that category: praise that names the same thing is not one
        praise = (Classification.label == "positive") & Classification.negative.is_(False)
        stmt = stmt.where(getattr(Classification, f.category).is_(True), ~praise)
    if f.negative:
        stmt = stmt.where(Classification.negative.is_(True))
    if f.unanswered:
        stmt = stmt.where(
            Review.response_at.is_(None),
            or_(Review.response_text.is_(None), Review.response_text == ""),
        )
    if not f.include_deleted:
        stmt = stmt.where(Review.deleted_at.is_(None))
    return stmt


def _published(review: Review) -> str:
    """ISO 8601; a date with no time of day as the date alone, so it imports back as one."""
    if review.published_at is None:
        return ""
    if review.published_date_only:
        return review.published_at.date().isoformat()
    return review.published_at.isoformat()


def review_row(
    review: Review, physician: Physician | None, c: Classification | None
) -> dict[str, Any]:
    """A review as a flat dict for listing and export."""
    return {
        "id": review.id,
        "source": review.source,
        "external_id": review.external_id,
        "npi": physician.npi if physician else "",
        "physician": physician.name if physician else "",
        "published_at": _published(review),
        "rating": review.rating,
        "author": review.author,
        "title": review.title,
        "text": review.text,
        "url": review.url,
        "response_text": review.response_text or "",
        "response_at": review.response_at.isoformat() if review.response_at else "",
        "sentiment": c.label if c else "",
        "categories": [name for name in CATEGORIES if c and getattr(c, name)],
        "flags": [f for f in FLAGS if c and getattr(c, f)],
        "deleted": review.deleted_at is not None,
    }


def iter_reviews(session: Session, f: ReviewFilter, version: str) -> Iterator[dict[str, Any]]:
    """Stream matching reviews as dicts, newest first."""
    result = session.execute(_statement(session, f, version).execution_options(yield_per=500))
    for review, physician, classification in result:
        yield review_row(review, physician, classification)


def count_reviews(session: Session, f: ReviewFilter, version: str) -> int:
    """How many reviews match."""
    stmt = select(func.count()).select_from(
        _statement(session, f, version).order_by(None).subquery()
    )
    return session.scalar(stmt) or 0


def select_alerts(state: str | None = None) -> Select[Alert]:
    """Stored alerts, newest first; of one state if given."""
    stmt = select(Alert).order_by(Alert.started_at.desc(), Alert.id.desc())
    return stmt.where(Alert.state == state) if state else stmt


def alert_as_dict(a: Alert) -> dict[str, object]:
    """A stored alert as JSON-ready values (`repmon alerts list|show --json`)."""
    return {
        "id": a.id,
        "fingerprint": a.fingerprint,
        "kind": a.kind,
        "state": a.state,
        "labels": a.labels,
        "annotations": a.annotations,
        "started_at": a.started_at.isoformat(),
        "fired_at": a.fired_at.isoformat() if a.fired_at else None,
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
        "last_seen_at": a.last_seen_at.isoformat(),
    }


@dataclass(frozen=True)
class ReviewToAnswer:
    """A review with what a reply needs: its classification and the names it may use."""

    review: Review
    classification: Classification | None
    physician: str
    practice: str


def review_to_answer(session: Session, review_id: int, version: str) -> ReviewToAnswer:
    """Review `review_id` with its classification (by `version`, else the latest) and the
    names of its physician and practice; NotFound names the id."""
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(f"no review with id {review_id} (see `repmon reviews`)")
    c = session.scalars(
        select(Classification)
        .where(Classification.review_id == review_id)
        .order_by((Classification.classifier_version == version).desc(), Classification.id.desc())
    ).first()
    physician = session.get(Physician, review.physician_id) if review.physician_id else None
    practice = (
        session.get(Practice, physician.practice_id)
        if physician and physician.practice_id
        else None
    )
    return ReviewToAnswer(
        review, c, physician.name if physician else "", practice.name if practice else ""
    )
