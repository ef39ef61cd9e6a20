"""Alert emails: the context a person needs to judge an alert, enqueued in the outbox."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reputation.alertrules import Transition
from reputation.classify import CLASSIFIER_VERSION
from reputation.models import Alert, Classification, Physician, Practice, Recipient, Review
from reputation.outbox import enqueue, sender_domain
from reputation.render import render_mail
from reputation.settings import Settings

__all__ = ["alert_context", "enqueue_alert_mail"]

CATEGORY_WORDS = {
    "bedside_manner": "bedside-manner",
    "service": "service",
    "clinical_skill": "clinical-skill",
    "all": "negative-review",
}
MAX_REVIEWS = 8


def _entity(session: Session, entity: str) -> dict[str, str]:
    kind, _, ident = entity.partition(":")
    name = ident
    if kind == "physician" and ident.isdigit():
        physician = session.get(Physician, int(ident))
        name = physician.name if physician else f"physician #{ident}"
    elif kind == "practice" and ident.isdigit():
        practice = session.get(Practice, int(ident))
        name = practice.name if practice else f"practice #{ident}"
    return {"type": kind, "name": name}


def _reviews(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = session.execute(
        select(Review, Classification)
        .outerjoin(
            Classification,
            (Classification.review_id == Review.id)
            & (Classification.classifier_version == CLASSIFIER_VERSION),
        )
        .where(Review.id.in_(ids[:MAX_REVIEWS]))
        .order_by(Review.published_at.desc())
    )
    result = []
    for review, c in rows:
        evidence = []
        for category in c.detail.get("categories", []) if c else []:
            evidence.extend(category.get("evidence", []))
        text = review.text or review.title
        evidence = [e for e in evidence if 0 <= e["start"] < e["end"] <= len(text)]
        result.append(
            {
                "id": review.id,
                "source": review.source,
                "stars": review.rating,
                "published_at": review.published_at,
                "author": review.author,
                "text": text,
                "url": review.url,
                "evidence": evidence,
            }
        )
    return result


def _describe(session: Session, move: Transition, row: Alert) -> dict[str, Any]:
    notes = row.annotations
    labels = row.labels
    entity = _entity(session, labels.get("entity", ""))
    who = entity["name"]
    kind = row.kind
    numbers = None
    if kind == "cluster":
        word = CATEGORY_WORDS.get(labels.get("category", "all"), labels.get("category", ""))
        title = f"Cluster of {word} complaints: {who}"
        numbers = {
            "observed": notes["observed"],
            "expected": notes["expected"],
            "ratio": notes["ratio"],
            "p": notes["p_value"],
            "q": notes["q_value"],
            "window_days": int(labels.get("window", "0d").rstrip("d") or 0),
        }
        summary = (
            f"{notes['observed']} negative reviews from {notes['distinct_reviewers']} "
            f"different reviewers in {numbers['window_days']} days, where about "
            f"{notes['expected']:.1f} were expected from this {entity['type']}'s volume "
            f"and the organisation's usual rate."
        )
    elif kind == "immediate":
        kind = labels.get("category", "harm")
        title = (
            f"Alleged patient harm in a review of {who}"
            if kind == "harm"
            else f"Legal threat in a review of {who}"
        )
        summary = (
            "A review alleges serious harm attributed to care. Route it to risk "
            "management; do not reply publicly with any patient detail."
            if kind == "harm"
            else "A review mentions a lawsuit, malpractice or a complaint to a board."
        )
    elif kind == "rating_drop":
        title = f"Rating drop: {who} ({notes['prior_mean']:.1f} → {notes['window_mean']:.1f})"
        summary = (
            f"The average of {notes['window_count']} recent reviews is "
            f"{notes['drop']:.1f} stars below the {notes['prior_count']} before them."
        )
    elif kind == "unanswered":
        title = f"Unanswered negative review of {who} ({notes['age_days']:.0f} days)"
        summary = "Patients expect a reply within hours; this one has had none."
    else:
        title = f"Crawl problem: {who} {labels.get('category', '')}"
        summary = (
            f"Since {str(notes.get('since', ''))[:10]}: {notes.get('detail', '')}. "
            "Until this is fixed, 'no new reviews' from this source means nothing."
        )
    if move.event == "resolved":
        title = "Resolved: " + title
    inhibited = sorted(
        {
            f"{_entity(session, i.get('entity', ''))['name']} "
            f"({CATEGORY_WORDS.get(i.get('category', ''), i.get('category', ''))}, "
            f"{i.get('window', '')})"
            for i in notes.get("inhibited", [])
        }
    )
    return {
        "kind": kind,
        "state": "resolved" if move.event == "resolved" else "firing",
        "title": title,
        "summary": summary,
        "entity": entity,
        "numbers": numbers,
        "categories": notes.get("category_split", {}),
        "reviews": _reviews(session, list(notes.get("review_ids", []))),
        "inhibited": inhibited,
        "first_seen": row.started_at,
    }


def alert_context(
    session: Session,
    recipient_id: int,
    moves: list[tuple[Transition, Alert]],
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """The template context of one recipient's alert email (see templates/alert.html)."""
    recipient = session.get(Recipient, recipient_id)
    assert recipient is not None
    return {
        "recipient": {"name": recipient.name, "email": recipient.email},
        "now": now,
        "tz": recipient.timezone or str(settings["timezone"]),
        "alerts": [_describe(session, move, row) for move, row in moves],
        "sender": str(settings["mail.sender"]),
    }


def enqueue_alert_mail(
    session: Session,
    recipient_id: int,
    moves: list[tuple[Transition, Alert]],
    context: dict[str, Any],
    now: datetime,
) -> bool:
    """Enqueue one email for these alert transitions; threads follow-ups under the first."""
    recipient = session.get(Recipient, recipient_id)
    assert recipient is not None
    key_src = "|".join(sorted(f"{m.fingerprint}:{m.event}" for m, _ in moves))
    digest = hashlib.sha256(key_src.encode()).hexdigest()[:24]
    dedup_key = f"alert:{recipient_id}:{now.isoformat()}:{digest}"
    roots = [row.thread_message_id for _, row in moves if row.thread_message_id]
    message = enqueue(
        session,
        dedup_key=dedup_key,
        kind="alert",
        to_addr=recipient.email,
        recipient_id=recipient_id,
        rendered=render_mail("alert", context),
        now=now,
        thread_root=roots[0] if roots else None,
        domain=sender_domain(str(context.get("sender", ""))),
    )
    if message is None:
        return False
    for _, row in moves:
        if not row.thread_message_id:
            row.thread_message_id = message.message_id
    return True
