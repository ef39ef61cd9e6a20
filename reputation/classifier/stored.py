"""Classifying stored reviews and mentions: new ones, edited ones, and all on a new version."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from reputation.classifier.classify import CLASSIFIER_VERSION, ClassifierResult, classify
from reputation.storage.db import Database
from reputation.storage.models import Classification as Row
from reputation.storage.models import Mention, Review
from reputation.vocabulary import CATEGORIES, FLAGS

__all__ = ["classify_stored", "evidence_spans", "to_row_values"]

BATCH = 500


def evidence_spans(detail: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The evidence of every category in a stored classification's `detail` JSON, as
    {"text", "start", "end"} dicts; malformed entries are skipped."""
    spans = []
    for category in (detail or {}).get("categories", []):
        for ev in category.get("evidence", []) if isinstance(category, dict) else []:
            if (
                isinstance(ev, dict)
                and isinstance(ev.get("text"), str)
                and isinstance(ev.get("start"), int)
                and isinstance(ev.get("end"), int)
            ):
                spans.append(ev)
    return spans


def to_row_values(result: ClassifierResult) -> dict[str, object]:
    """The Classification table's columns for one classifier result."""
    names = set(result.category_names())
    values: dict[str, object] = {
        "classifier_version": result.classifier_version,
        "compound": result.sentiment.compound,
        "label": result.sentiment.label,
        "negative": result.sentiment.label == "negative",
        "unspecified": result.unspecified,
        "detail": result.to_dict(),
    }
    values.update({name: name in names for name in CATEGORIES})
    values.update({flag: flag in result.flags for flag in FLAGS})
    return values


def _pending_reviews(session: Session) -> list[Review]:
    current = (
        select(Row.review_id, Row.content_hash)
        .where(Row.classifier_version == CLASSIFIER_VERSION, Row.review_id.is_not(None))
        .subquery()
    )
    stmt = (
        select(Review)
        .outerjoin(current, current.c.review_id == Review.id)
        .where((current.c.review_id.is_(None)) | (current.c.content_hash != Review.content_hash))
        .order_by(Review.id)
        .limit(BATCH)
    )
    return list(session.scalars(stmt))


def _pending_mentions(session: Session) -> list[Mention]:
    current = (
        select(Row.mention_id)
        .where(Row.classifier_version == CLASSIFIER_VERSION, Row.mention_id.is_not(None))
        .subquery()
    )
    stmt = (
        select(Mention)
        .outerjoin(current, current.c.mention_id == Mention.id)
        .where(current.c.mention_id.is_(None))
        .order_by(Mention.id)
        .limit(BATCH)
    )
    return list(session.scalars(stmt))


def classify_stored(
    db: Database, now: datetime, progress: Callable[[int], None] | None = None
) -> int:
    """Classify every review and mention lacking a current result; returns how many."""
    done = 0
    while True:
        with db.transaction() as session:
            reviews = _pending_reviews(session)
            for review in reviews:
                values = to_row_values(classify(review.text or review.title, review.rating))
                existing = session.scalar(
                    select(Row).where(
                        and_(
                            Row.review_id == review.id, Row.classifier_version == CLASSIFIER_VERSION
                        )
                    )
                )
                if existing is None:
                    session.add(
                        Row(
                            review_id=review.id,
                            content_hash=review.content_hash,
                            created_at=now,
                            **values,
                        )
                    )
                else:
                    for key, value in values.items():
                        setattr(existing, key, value)
                    existing.content_hash, existing.created_at = review.content_hash, now
            mentions = _pending_mentions(session)
            for mention in mentions:
                values = to_row_values(classify(f"{mention.title}\n{mention.text}".strip(), None))
                session.add(
                    Row(
                        mention_id=mention.id,
                        content_hash=mention.content_hash,
                        created_at=now,
                        **values,
                    )
                )
        done += len(reviews) + len(mentions)
        if progress:
            progress(done)
        if not reviews and not mentions:
            return done
