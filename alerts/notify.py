"""Alert emails, triaged: each safety alert and each cluster on its own, one reply queue.

An evaluation's notifiable transitions for one recipient become several emails
(`plan_mails`, pure): each harm/legal review alone, the clusters of one physician or practice
together, a rating drop alone, source problems together, and every unanswered negative review
in one reply queue grouped by physician, oldest first. Follow-ups thread per (recipient, alert).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.detectors import UNANSWERED_MAX_AGE
from alerts.kinds import parse_entity
from alerts.lifecycle import Transition
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.classifier.stored import evidence_spans
from reputation.findings import CATEGORY_WORDS, describe
from reputation.mail.message import sender_domain, unsubscribe_link
from reputation.mail.outbox import enqueue
from reputation.mail.render import doctor, flag_spans, one_line, render_mail, source_name
from reputation.mentions import post_text
from reputation.reply import draft_reply, load_templates
from reputation.settings import Settings
from reputation.storage.models import (
    Alert,
    AlertThread,
    Classification,
    Mention,
    Physician,
    Practice,
    Recipient,
    Review,
)
from reputation.storage.queries import classified, select_alerts
from reputation.vocabulary import CATEGORIES, RISK_FLAGS
from reputation.wording import shorten

__all__ = [
    "MAIL_ORDER",
    "PlannedMail",
    "alert_as_text",
    "alert_context",
    "alert_views",
    "describe_alert",
    "describe_moves",
    "enqueue_alert_mail",
    "plan_mails",
    "status_word",
]

MAX_REVIEWS = 8
SUBJECT_MAX = 70
NEW_FOR = timedelta(days=1)  # a firing alert reads New in lists for a day after it fired
# Mail topics in the order they are enqueued: what needs a person first comes first.
MAIL_ORDER = ("safety", "cluster", "rating_drop", "crawl_health", "replies")
Move = tuple[Transition, Alert]


@dataclass(frozen=True)
class PlannedMail:
    """One email of an evaluation: its topic and the alert transitions it carries."""

    topic: str
    moves: tuple[Move, ...]


def _topic(kind: str) -> str:
    topics = {"immediate": "safety", "flag_backlog": "safety", "unanswered": "replies"}
    return topics.get(kind, kind)


def plan_mails(moves: Sequence[Move]) -> list[PlannedMail]:
    """Split one recipient's transitions into emails (pure); order kept within each email."""
    groups: dict[tuple[str, str], list[Move]] = defaultdict(list)
    for move, row in moves:
        topic = _topic(row.kind)
        if topic == "safety":
            key = row.fingerprint  # each alleged harm or legal threat on its own
        elif topic in ("cluster", "rating_drop"):
            key = str(row.labels.get("entity", ""))
        else:
            key = ""  # one mail: every source problem, or the whole reply queue
        groups[topic, key].append((move, row))
    rank = {t: i for i, t in enumerate(MAIL_ORDER)}
    ordered = sorted(groups.items(), key=lambda kv: rank.get(kv[0][0], len(rank)))
    return [PlannedMail(topic, tuple(group)) for (topic, _), group in ordered]


def status_word(event: str) -> str:
    """An alert transition (or stored state) in plain words: New, Ongoing or Resolved."""
    words = {"fired": "New", "reminder": "Ongoing", "firing": "Ongoing", "resolved": "Resolved"}
    return words.get(event, "Not yet confirmed" if event == "pending" else "New")


def _names(session: Session, entity: str) -> dict[str, str]:
    kind, ident = parse_entity(entity)
    name, short = ident, ident
    if kind == "physician" and ident.isdigit():
        physician = session.get(Physician, int(ident))
        name = physician.name if physician else f"physician #{ident}"
        short = doctor(name) if physician else name
    elif kind == "practice" and ident.isdigit():
        practice = session.get(Practice, int(ident))
        name = short = practice.name if practice else f"practice #{ident}"
    elif kind == "source":
        name = short = source_name(ident)
    return {"type": kind, "name": name, "short": short}


def _flag_evidence(text: str, flags: Sequence[str]) -> list[dict[str, Any]]:
    """The sentences that allege harm or a legal threat, as evidence spans to highlight."""
    spans = [span for f in flags for span in flag_spans(text, f)]
    return [{"text": text[a:b], "start": a, "end": b} for a, b in spans]


def _reviews(
    session: Session, ids: list[int], now: datetime, draft: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Reviews as shown: evidence spans, harm/legal flags, no chips on praise, a draft reply."""
    if not ids:
        return []
    rows = session.execute(
        select(Review, Classification, Physician, Practice)
        .outerjoin(Classification, classified(CLASSIFIER_VERSION))
        .outerjoin(Physician, Physician.id == Review.physician_id)
        .outerjoin(Practice, Practice.id == Physician.practice_id)
        .where(Review.id.in_(ids))
    )
    result = []
    for review, c, physician, practice in rows:
        text = review.text or review.title
        flags = [f for f in RISK_FLAGS if c is not None and getattr(c, f)]
        positive = c.label == "positive" if c is not None else (review.rating or 0) >= 4
        categories = [] if c is None or positive else evidence_spans(c.detail)
        # A harm/legal review highlights the sentence that alleges it, not a side complaint.
        evidence = _flag_evidence(text, flags) or categories
        evidence = [e for e in evidence if 0 <= e["start"] < e["end"] <= len(text)]
        names = [n for n in CATEGORIES if c and getattr(c, n)]
        reply = None
        if draft is not None and not flags:
            reply = draft_reply(
                names,
                physician.name if physician else "",
                practice.name if practice else "",
                str(draft["contact"]),
                rating=review.rating,
                templates=draft["templates"],
            )
        result.append(
            {
                "id": review.id,
                "source": review.source,
                "stars": review.rating,
                "published_at": review.published_at,
                "published_date_only": review.published_date_only,
                "age_days": (now - review.published_at).days if review.published_at else 0,
                "author": review.author,
                "text": text,
                "url": review.url,
                "evidence": [] if positive else evidence,
                "chips": [] if positive else [n.replace("_", " ") for n in names],
                "flags": flags,
                "physician": physician.name if physician else "",
                "draft": reply,
            }
        )
    order = {rid: i for i, rid in enumerate(ids)}
    return sorted(result, key=lambda r: order.get(r["id"], len(order)))


def _posts(session: Session, ids: list[int], now: datetime) -> list[dict[str, Any]]:
    """Social posts (mentions) counted as evidence, shaped like reviews and marked `social`."""
    if not ids:
        return []
    rows = session.execute(
        select(Mention, Classification, Physician)
        .outerjoin(Classification, classified(CLASSIFIER_VERSION, mention=True))
        .outerjoin(Physician, Physician.id == Mention.physician_id)
        .where(Mention.id.in_(ids))
        .order_by(Mention.published_at)
    )
    posts = []
    for post, c, physician in rows:
        text = post_text(post.title, post.text)
        flags = [f for f in RISK_FLAGS if c is not None and getattr(c, f)]
        names = [n for n in CATEGORIES if c and getattr(c, n)]
        posts.append(
            {
                "id": post.id,
                "social": True,
                "source": post.source,
                "stars": None,
                "published_at": post.published_at,
                "published_date_only": False,
                "age_days": (now - post.published_at).days if post.published_at else 0,
                "author": post.author,
                "text": text,
                "url": post.url,
                "evidence": _flag_evidence(text, flags),
                "chips": [n.replace("_", " ") for n in names],
                "flags": flags,
                "physician": physician.name if physician else "",
                "confidence": post.confidence,
                "draft": None,  # a social post is not answered from a reply queue
            }
        )
    return posts


def describe_alert(
    session: Session,
    row: Alert,
    event: str,
    now: datetime,
    draft: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One alert as alert.html shows it (names, plain words, reviews); `event` sets the status."""
    notes: Mapping[str, Any] = row.annotations or {}
    labels: Mapping[str, Any] = row.labels or {}
    who = _names(session, str(labels.get("entity", "")))
    found = describe(row.kind, labels, notes, who["name"], who["short"], who["type"])
    held: dict[str, tuple[set[str], set[int]]] = defaultdict(lambda: (set(), set()))
    for other in notes.get("inhibited", []):
        if isinstance(other, Mapping):
            words, days = held[_names(session, str(other.get("entity", "")))["name"]]
            category = str(other.get("category", ""))
            words.add(CATEGORY_WORDS.get(category, category).replace("negative-review", "all"))
            window = str(other.get("window", "")).rstrip("d")
            days.update([int(window)] if window.isdigit() else [])
    inhibited = [
        f"{name} ({', '.join(sorted(words))} complaints over "
        f"{', '.join(str(d) for d in sorted(days))} days)"
        for name, (words, days) in sorted(held.items())
    ]
    ids = [int(i) for i in notes.get("review_ids", []) if isinstance(i, int)]
    posts = [int(i) for i in notes.get("mention_ids", []) if isinstance(i, int)]
    return {
        "kind": found.kind,
        "status": status_word(event),
        "state": "resolved" if event == "resolved" else "firing",
        "subject": found.subject,
        "what": found.what,
        "title": found.title,
        "summary": found.summary,
        "entity": who,
        "numbers": found.numbers,
        "categories": notes.get("category_split", {}) or {},
        "reviews": _reviews(session, ids[:MAX_REVIEWS], now, draft)
        + _posts(session, posts[:MAX_REVIEWS], now),
        "inhibited": inhibited,
        "first_seen": row.started_at,
    }


def _subject(mail: PlannedMail, alerts: list[dict[str, Any]]) -> str:
    """Under SUBJECT_MAX characters: the physician and the finding; no product name."""
    if mail.topic == "replies":
        reviews = [r for a in alerts for r in a["reviews"] if not r["flags"]]  # not risk's
        people = {r["physician"] for r in reviews}
        oldest = max((r["age_days"] for r in reviews), default=0)
        n = len(reviews)
        who = doctor(next(iter(people))) + ": " if len(people) == 1 else ""
        text = f"{who}{n} negative review{'s' if n != 1 else ''} awaiting a reply"
        text += f" (oldest {oldest} days)" if oldest else ""
    elif mail.topic == "crawl_health" and len(alerts) > 1:
        text = "Crawling problems: " + ", ".join(a["entity"]["short"] for a in alerts)
    else:
        first = alerts[0]
        text = first["subject"]
        if first["status"] == "Resolved":
            text = "Resolved: " + text
        elif first["status"] == "Ongoing":
            text = "Still open: " + text
    text = one_line(text)
    if len(text) > SUBJECT_MAX and text.endswith(")"):
        text = text[: text.rfind(" (")]  # the "(usually none)" goes first
    return shorten(text, SUBJECT_MAX)


def alert_context(
    session: Session,
    recipient_id: int,
    moves: list[tuple[Transition, Alert]],
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Every email of one recipient's alerts: {"mails": [(PlannedMail, template context)]}."""
    recipient = session.get(Recipient, recipient_id)
    assert recipient is not None
    sender = str(settings["mail.sender"])
    draft = {
        "contact": str(settings["reply.contact"]),
        "templates": load_templates(str(settings["reply.templates"]) or None),
    }
    deadline = float(settings["alerts.unanswered_days"])
    mails = []
    for mail in plan_mails(moves):
        alerts = [describe_alert(session, r, m.event, now, draft) for m, r in mail.moves]
        context: dict[str, Any] = {
            "recipient": {"name": recipient.name, "email": recipient.email},
            "now": now,
            "tz": recipient.timezone or str(settings["timezone"]),
            "topic": mail.topic,
            "subject": _subject(mail, alerts),
            "alerts": alerts,
            "sender": sender,
            "deadline_days": int(deadline) if deadline.is_integer() else deadline,
            "unsubscribe": unsubscribe_link(sender, "alerts"),
        }
        if mail.topic == "replies":
            context["queue"] = _queue(alerts)
            context["queue_max_days"] = UNANSWERED_MAX_AGE.days
        mails.append((mail, context))
    return {"mails": mails, "sender": sender}


def _queue(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reply queue: reviews still waiting, by physician, oldest first, each review once."""
    seen: set[int] = set()
    by_physician: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alerts:
        if a["state"] == "resolved":
            continue
        for r in a["reviews"]:
            if r["id"] not in seen:
                seen.add(r["id"])
                by_physician[r["physician"] or a["entity"]["name"]].append(r)
    groups: list[dict[str, Any]] = [
        {"name": name, "short": doctor(name), "reviews": sorted(rs, key=lambda r: -r["age_days"])}
        for name, rs in by_physician.items()
    ]
    return sorted(groups, key=lambda g: -int(g["reviews"][0]["age_days"]))


def enqueue_alert_mail(
    session: Session,
    recipient_id: int,
    moves: list[tuple[Transition, Alert]],
    context: dict[str, Any],
    now: datetime,
) -> int:
    """Enqueue the emails of `alert_context`; returns how many (0 when all were sent before).

    Threads per recipient: a follow-up about an alert replies to the first email *this*
    recipient got about it, never to one sent to somebody else.
    """
    recipient = session.get(Recipient, recipient_id)
    assert recipient is not None
    domain = sender_domain(str(context.get("sender", "")))
    sent = 0
    for mail, mail_context in context["mails"]:
        key_src = "|".join(sorted(f"{m.fingerprint}:{m.event}" for m, _ in mail.moves))
        digest = hashlib.sha256(key_src.encode()).hexdigest()[:24]
        alert_ids = [row.id for _, row in mail.moves]
        threads = {
            t.alert_id: t.message_id
            for t in session.scalars(
                select(AlertThread).where(
                    AlertThread.recipient_id == recipient_id, AlertThread.alert_id.in_(alert_ids)
                )
            )
        }
        roots = [threads[i] for i in alert_ids if i in threads]
        message = enqueue(
            session,
            dedup_key=f"alert:{recipient_id}:{now.isoformat()}:{mail.topic}:{digest}",
            kind="safety" if mail.topic == "safety" else "alert",
            to_addr=recipient.email,
            recipient_id=recipient_id,
            rendered=render_mail("queue" if mail.topic == "replies" else "alert", mail_context),
            now=now,
            thread_root=roots[0] if roots else None,
            domain=domain,
        )
        if message is None:
            continue
        sent += 1
        for alert_id in dict.fromkeys(alert_ids):
            if alert_id not in threads:
                session.add(
                    AlertThread(
                        alert_id=alert_id, recipient_id=recipient_id, message_id=message.message_id
                    )
                )
    session.flush()
    return sent


def describe_moves(
    session: Session, moves: Sequence[Transition], now: datetime
) -> list[tuple[dict[str, Any], Transition]]:
    """Each transition's alert as shown (describe_alert), with the transition; gone rows skipped."""
    prints = [m.fingerprint for m in moves]
    rows = {
        a.fingerprint: a
        for a in session.scalars(select(Alert).where(Alert.fingerprint.in_(prints)))
    }
    return [
        (describe_alert(session, rows[m.fingerprint], m.event, now), m)
        for m in moves
        if m.fingerprint in rows
    ]


def alert_views(
    session: Session, state: str | None, now: datetime
) -> list[tuple[Alert, dict[str, Any]]]:
    """Stored alerts, newest first (of one state, if given), each with its view."""
    rows = session.scalars(select_alerts(state))
    return [(a, describe_alert(session, a, _stored_event(a, now), now)) for a in rows]


def _stored_event(alert: Alert, now: datetime) -> str:
    """A stored alert's state in the words of its mails: New within ``NEW_FOR`` of firing,
    then Ongoing (or Resolved, or Not yet confirmed)."""
    if alert.state == "firing" and alert.fired_at is not None and now - alert.fired_at < NEW_FOR:
        return "fired"
    return alert.state


def alert_as_text(session: Session, alert: Alert, now: datetime, settings: Settings) -> str:
    """One alert as its email's text part reads, without the footer."""
    view = describe_alert(session, alert, _stored_event(alert, now), now)
    context = {
        "recipient": {"name": "", "email": "you"},
        "now": now,
        "tz": str(settings["timezone"]),
        "topic": view["kind"],
        "subject": f"Alert {alert.id} ({view['status']}): {view['title']}",
        "deadline_days": settings["alerts.unanswered_days"],
        "unsubscribe": "",
        "alerts": [view],
    }
    return render_mail("alert", context).text.split("\n--\n")[0]
