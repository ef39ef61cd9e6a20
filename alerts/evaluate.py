"""The alert evaluation job: load counts, run the pure detectors, persist the lifecycle, and
enqueue one email per recipient, all in one transaction (the transactional outbox)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from alerts.notify import alert_context, enqueue_alert_mail
from alerts.routing import recipients_for
from reputation.alertrules import (
    IMMEDIATE_LOOKBACK,
    RATING_DROP_PRIOR_DAYS,
    RATING_DROP_WINDOW_DAYS,
    Alert,
    AlertState,
    CrawlRunFacts,
    LifecyclePolicy,
    ReviewFacts,
    SilenceRule,
    Transition,
    crawl_health,
    immediate,
    rating_drop,
    step,
    unanswered,
)
from reputation.classify import CATEGORIES, CLASSIFIER_VERSION
from reputation.clusters import ClusterConfig, EventIndex, ReviewEvent, find_clusters
from reputation.db import Database
from reputation.models import Alert as AlertRow
from reputation.models import Classification, CrawlRun, Physician, Review, Silence
from reputation.normalize import reviewer_key
from reputation.settings import Settings

__all__ = [
    "EvaluationReport",
    "Thresholds",
    "evaluate",
    "find_alerts",
    "history_horizon",
    "load_history",
]


@dataclass(frozen=True)
class Thresholds:
    """Everything the detectors and the lifecycle take from the settings."""

    clusters: ClusterConfig = field(default_factory=ClusterConfig)
    policy: LifecyclePolicy = field(default_factory=LifecyclePolicy)
    rating_drop: float = 1.0
    rating_min_count: int = 5
    unanswered_days: float = 7.0
    stale_days: float = 14.0

    @classmethod
    def from_settings(cls, s: Settings) -> Thresholds:
        """Read the alerts.* settings."""
        return cls(
            clusters=ClusterConfig.from_settings(s),
            policy=LifecyclePolicy(
                for_={"cluster": timedelta(hours=float(s["alerts.cluster.for_hours"]))},
                resolve_after={
                    "cluster": timedelta(days=float(s["alerts.cluster.resolve_after_days"]))
                },
                default_resolve_after=timedelta(days=float(s["alerts.resolve_after_days"])),
                repeat_interval=timedelta(days=float(s["alerts.repeat_days"])),
                send_resolved=bool(s["alerts.send_resolved"]),
            ),
            rating_drop=float(s["alerts.rating_drop"]),
            rating_min_count=int(s["alerts.rating_min_count"]),
            unanswered_days=float(s["alerts.unanswered_days"]),
            stale_days=float(s["crawl.stale_after_days"]),
        )


@dataclass
class History:
    """What the detectors see: classified reviews and crawl runs."""

    events: list[ReviewEvent]
    facts: list[ReviewFacts]
    runs: list[CrawlRunFacts]


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    firing: int = 0
    pending: int = 0
    transitions: list[Transition] = field(default_factory=list)
    emails: int = 0


# Columns, not Classification objects: building 1M ORM instances took most of the load time.
IMMEDIATE = frozenset({"harm", "legal"})
FLAG_NAMES = (*CATEGORIES, *sorted(IMMEDIATE))
FLAG_COLUMNS = tuple(getattr(Classification, name) for name in FLAG_NAMES)


def history_horizon(t: Thresholds) -> timedelta:
    """How far back the detectors look: the longest window plus its baseline, and a day."""
    clusters = max(t.clusters.windows, default=0) + t.clusters.baseline_days
    drop = RATING_DROP_WINDOW_DAYS + RATING_DROP_PRIOR_DAYS
    return timedelta(days=max(clusters, drop) + 1)


def load_history(session: Session, until: datetime, since: datetime | None = None) -> History:
    """Classified, attached reviews published up to `until`, and all crawl runs.

    With `since`, reviews published before it are left out, except each physician's first
    review (it dates the start of the physician's exposure, which the cluster baseline needs)
    and reviews first seen within the immediate-alert lookback. For `since` at least
    `history_horizon` before `until`, the detectors find exactly what the whole history gives,
    and the load stops growing with the years of history kept.
    """
    classified = (Classification.review_id == Review.id) & (
        Classification.classifier_version == CLASSIFIER_VERSION
    )
    base = (
        select(
            Review.id,
            Review.physician_id,
            Physician.practice_id,
            Review.published_at,
            Review.author,
            Review.rating,
            Review.response_at,
            Review.first_seen_at,
            Classification.negative,
            *FLAG_COLUMNS,
        )
        .join(Physician, Review.physician_id == Physician.id)
        .join(Classification, classified)
        .where(
            Review.deleted_at.is_(None),
            Review.published_at.is_not(None),
            Review.published_at <= until,
        )
    )
    if since is None:
        queries = [base]
    else:
        first = (
            select(Review.physician_id, func.min(Review.published_at).label("first"))
            .join(Classification, classified)
            .where(Review.deleted_at.is_(None), Review.published_at <= until)
            .group_by(Review.physician_id)
            .subquery()
        )
        recent = or_(
            Review.published_at >= since,
            Review.first_seen_at >= until - IMMEDIATE_LOOKBACK,
        )
        queries = [
            base.where(recent),
            base.join(
                first,
                (first.c.physician_id == Review.physician_id)
                & (first.c.first == Review.published_at),
            ).where(~recent),
        ]
    rows = [
        row for query in queries for row in session.execute(query.execution_options(yield_per=5000))
    ]
    rows.sort(key=lambda row: (row[3], row[0]))  # by publication time, as before
    events, facts = [], []
    keys: dict[str, str] = {}  # authors repeat ("Anonymous", a patient on several sites)
    for (
        rid,
        pid,
        practice_id,
        published,
        author,
        rating,
        response_at,
        seen,
        negative,
        *marks,
    ) in rows:
        if pid is None or published is None:  # excluded by the query; narrows the types
            continue
        names = frozenset(name for name, on in zip(FLAG_NAMES, marks, strict=True) if on)
        key = keys.get(author)
        if key is None:
            key = keys[author] = reviewer_key(author)
        events.append(
            ReviewEvent(rid, pid, practice_id, published, negative, names - IMMEDIATE, key)
        )
        facts.append(
            ReviewFacts(rid, pid, published, rating, negative, response_at, names & IMMEDIATE, seen)
        )
    runs = [
        CrawlRunFacts(r.source, r.started_at, r.status, r.new + r.updated + r.unchanged)
        for r in session.scalars(select(CrawlRun).where(CrawlRun.started_at <= until))
    ]
    return History(events, facts, runs)


def find_alerts(history: History, now: datetime, t: Thresholds) -> list[Alert]:
    """Run every detector at `now` (pure)."""
    found: list[Alert] = []
    found.extend(find_clusters(EventIndex.build(history.events), now, t.clusters))
    found.extend(immediate(history.facts, now))
    found.extend(
        rating_drop(history.facts, now, min_drop=t.rating_drop, min_count=t.rating_min_count)
    )
    found.extend(unanswered(history.facts, now, timedelta(days=t.unanswered_days)))
    found.extend(crawl_health(history.runs, now, timedelta(days=t.stale_days)))
    return found


def _state(row: AlertRow) -> AlertState:
    return AlertState(
        fingerprint=row.fingerprint,
        kind=row.kind,
        labels=row.labels,
        state=row.state,  # type: ignore[arg-type]
        started_at=row.started_at,
        last_seen_at=row.last_seen_at,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        last_notified_at=row.last_notified_at,
        consecutive=row.consecutive,
        annotations=row.annotations,
    )


def _entity_ids(labels: dict[str, str], session: Session) -> tuple[int | None, int | None]:
    kind, _, ident = labels.get("entity", "").partition(":")
    if kind == "physician" and ident.isdigit():
        physician = session.get(Physician, int(ident))
        return int(ident), physician.practice_id if physician else None
    if kind == "practice" and ident.isdigit():
        return None, int(ident)
    return None, None


def _save(session: Session, rows: dict[str, AlertRow], st: AlertState) -> AlertRow:
    row = rows.get(st.fingerprint)
    if row is None:
        physician_id, practice_id = _entity_ids(dict(st.labels), session)
        row = AlertRow(
            fingerprint=st.fingerprint,
            kind=st.kind,
            labels=dict(st.labels),
            physician_id=physician_id,
            practice_id=practice_id,
            started_at=st.started_at,
            last_seen_at=st.last_seen_at,
            state=st.state,
        )
        session.add(row)
        rows[st.fingerprint] = row
    row.state, row.annotations = st.state, _jsonable(dict(st.annotations))
    row.started_at, row.last_seen_at = st.started_at, st.last_seen_at
    row.fired_at, row.resolved_at = st.fired_at, st.resolved_at
    row.last_notified_at, row.consecutive = st.last_notified_at, st.consecutive
    return row


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# The order alerts take in an email: what needs a person first comes first (and titles it).
SEVERITY = ("immediate", "cluster", "rating_drop", "crawl_health", "unanswered")


def _importance(pair: tuple[Transition, AlertRow]) -> tuple[int, int, float]:
    move, row = pair
    rank = SEVERITY.index(row.kind) if row.kind in SEVERITY else len(SEVERITY)
    q = row.annotations.get("q_value")
    return (move.event == "resolved", rank, float(q) if isinstance(q, int | float) else 1.0)


def evaluate(
    db: Database, settings: Settings, now: datetime, notify: bool = True
) -> EvaluationReport:
    """One evaluation at `now`: states, transitions and their emails in one transaction."""
    thresholds = Thresholds.from_settings(settings)
    report = EvaluationReport()
    with db.transaction() as session:
        history = load_history(session, now, since=now - history_horizon(thresholds))
        findings = find_alerts(history, now, thresholds)
        rows = {r.fingerprint: r for r in session.scalars(select(AlertRow))}
        silences = [
            SilenceRule(s.matchers, s.expires_at, s.created_at, s.reason)
            for s in session.scalars(select(Silence).where(Silence.expires_at > now))
        ]
        previous = {fp: _state(r) for fp, r in rows.items()}
        result = step(previous, findings, now, thresholds.policy, silences)
        for fp in set(previous) - set(result.states):
            session.execute(delete(AlertRow).where(AlertRow.fingerprint == fp))
            rows.pop(fp)
        for st in result.states.values():
            _save(session, rows, st)
        session.flush()
        report.transitions = result.transitions
        report.firing = sum(1 for s in result.states.values() if s.state == "firing")
        report.pending = sum(1 for s in result.states.values() if s.state == "pending")
        if notify:
            by_recipient: dict[int, list[tuple[Transition, AlertRow]]] = defaultdict(list)
            for move in result.transitions:
                if not move.notify:
                    continue
                row = rows[move.fingerprint]
                for recipient in recipients_for(session, row):
                    by_recipient[recipient.id].append((move, row))
            for recipient_id, moves in sorted(by_recipient.items()):
                moves.sort(key=_importance)
                context = alert_context(session, recipient_id, moves, now, settings)
                if enqueue_alert_mail(session, recipient_id, moves, context, now):
                    report.emails += 1
    return report
