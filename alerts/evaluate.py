"""The alert evaluation job: load counts, run the pure detectors, persist the lifecycle, and
enqueue one email per recipient, all in one transaction (the transactional outbox)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, Integer, cast, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

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
    step,
    unanswered,
)
from reputation.classify import CATEGORIES, CLASSIFIER_VERSION
from reputation.clusters import ClusterConfig, EventIndex, find_clusters
from reputation.db import Database
from reputation.models import Alert as AlertRow
from reputation.models import Classification, CrawlRun, Mention, Physician, Review, Silence
from reputation.ratingdrop import RatingSeries, rating_drop
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
    """What the detectors see: classified reviews (and matched negative social posts) as
    columns, per-review facts for the rows the per-review detectors need, and crawl runs."""

    index: EventIndex
    ratings: RatingSeries
    facts: list[ReviewFacts]
    runs: list[CrawlRunFacts]
    size: int = 0  # reviews and social posts in the event index


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    firing: int = 0
    pending: int = 0
    transitions: list[Transition] = field(default_factory=list)
    emails: int = 0


I64 = NDArray[np.int64]
IMMEDIATE = frozenset({"harm", "legal"})
FLAG_NAMES = (*CATEGORIES, *sorted(IMMEDIATE))
# A social post counts toward a cluster only when matched this surely (name and place, or a
# person's assignment); a weaker match still pages on harm/legal, naming the post.
HIGH_CONFIDENCE = 0.9
# Facts (one object per review) are built only for reviews the per-review detectors can use:
# flagged ones, and negatives young enough to be unanswered.
FACTS_DAYS = 61.0


def history_horizon(t: Thresholds) -> timedelta:
    """How far back the detectors look: the longest window plus its baseline, and a day."""
    clusters = max(t.clusters.windows, default=0) + t.clusters.baseline_days
    drop = RATING_DROP_WINDOW_DAYS + RATING_DROP_PRIOR_DAYS
    return timedelta(days=max(clusters, drop) + 1)


def _days(column: Any, dialect: str) -> Any:
    """A datetime column as days since the epoch, computed by the database (no row objects)."""
    if dialect == "sqlite":
        return func.julianday(column) - 2440587.5
    return cast(func.extract("epoch", column), Float) / 86400.0


def _columns(rows: Sequence[Any], width: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _bits() -> Any:
    """Negative, the categories and harm/legal of a classification packed in one integer:
    bit 0 negative, then one bit per name of FLAG_NAMES (one column instead of seven)."""
    flags = [Classification.negative, *(getattr(Classification, n) for n in FLAG_NAMES)]
    return sum(
        (cast(flag, Integer) * (1 << i) for i, flag in enumerate(flags[1:], start=1)),
        cast(flags[0], Integer),
    )


def _unpack(packed: I64) -> tuple[I64, I64, NDArray[np.bool_]]:
    """Category masks (CATEGORIES order), harm/legal masks and negatives from `_bits`."""
    cats = (packed >> 1) & ((1 << len(CATEGORIES)) - 1)
    marks = packed >> (1 + len(CATEGORIES))
    return cats, marks, (packed & 1) == 1


def load_history(
    session: Session, until: datetime, since: datetime | None = None, all_facts: bool = False
) -> History:
    """Classified, attached reviews published up to `until`, matched social posts, crawl runs.

    Reviews are read as columns (times computed by the database) straight into the event
    index; per-review facts are built only for flagged reviews and recent negatives, or for
    every review with `all_facts` (the backtest replays them all).
    With `since`, reviews published before it are left out, except each physician's first
    review (it dates the start of the physician's exposure, which the cluster baseline needs)
    and reviews first seen within the immediate-alert lookback. For `since` at least
    `history_horizon` before `until`, the detectors find exactly what the whole history gives,
    and the load stops growing with the years of history kept.
    """
    dialect = session.get_bind().dialect.name
    classified = (Classification.review_id == Review.id) & (
        Classification.classifier_version == CLASSIFIER_VERSION
    )
    base = (
        select(
            Review.id,
            Review.physician_id,
            func.coalesce(Physician.practice_id, -1),
            _days(Review.published_at, dialect),
            Review.author,
            Review.rating,
            _bits(),
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
    # Core rows, not ORM rows: the ORM's per-row bookkeeping doubled the load time.
    connection = session.connection()
    rows = [row for query in queries for row in connection.execute(query).fetchall()]
    rid, pid, prac, days, author, rating, packed = _columns(rows, 7)
    review_days = np.asarray(days, dtype=np.float64)
    cats, bad, neg = _unpack(np.asarray(packed, dtype=np.int64))
    ids = np.asarray(rid, dtype=np.int64)
    rated = np.asarray([np.nan if r is None else r for r in rating], dtype=np.float64)
    posts = _posts(session, until, dialect)
    social = np.r_[np.zeros(ids.size, dtype=bool), np.ones(len(posts[0]), dtype=bool)]
    index = EventIndex.from_columns(
        review_ids=np.r_[ids, np.asarray(posts[0], dtype=np.int64)],
        physician_ids=np.r_[np.asarray(pid, dtype=np.int64), np.asarray(posts[1], np.int64)],
        practice_ids=np.r_[np.asarray(prac, dtype=np.int64), np.asarray(posts[2], np.int64)],
        times=np.r_[review_days, np.asarray(posts[3], dtype=np.float64)],
        negative=np.r_[neg, np.ones(len(posts[0]), dtype=bool)],
        catmask=np.r_[cats, np.asarray(posts[5], dtype=np.int64)],
        authors=[*author, *posts[4]],
        social=social,
    )
    has = ~np.isnan(rated)
    names = np.empty(len(author), dtype=object)
    names[:] = author
    ratings = RatingSeries(
        ids[has], np.asarray(pid, dtype=np.int64)[has], review_days[has], rated[has], names[has]
    )
    if all_facts:
        wanted = None
    else:
        young = review_days >= until.timestamp() / 86400.0 - FACTS_DAYS
        wanted = ids[(bad > 0) | (neg & young)].tolist()
    facts = _facts(session, wanted, until, classified)
    facts.extend(_post_facts(session, until))
    runs = [
        CrawlRunFacts(r.source, r.started_at, r.status, r.new + r.updated + r.unchanged)
        for r in session.scalars(select(CrawlRun).where(CrawlRun.started_at <= until))
    ]
    return History(index, ratings, facts, runs, size=int(ids.size) + len(posts[0]))


def _facts(
    session: Session, ids: list[int] | None, until: datetime, classified: Any
) -> list[ReviewFacts]:
    """ReviewFacts of the given reviews (all classified, attached reviews when None)."""
    # The profile's first crawl: when we first saw any review of it.
    other = aliased(Review)
    watched = (
        select(func.min(other.first_seen_at))
        .where(other.profile_id == Review.profile_id)
        .scalar_subquery()
    )
    query = (
        select(
            Review.id,
            Review.physician_id,
            Review.published_at,
            Review.rating,
            Classification.negative,
            Review.response_at,
            Review.first_seen_at,
            watched,
            Classification.harm,
            Classification.legal,
            Review.author,
        )
        .join(Classification, classified)
        .where(
            Review.deleted_at.is_(None),
            Review.physician_id.is_not(None),
            Review.published_at.is_not(None),
            Review.published_at <= until,
        )
    )
    if ids is None:
        batches = [query]
    else:
        batches = [query.where(Review.id.in_(ids[i : i + 500])) for i in range(0, len(ids), 500)]
    out = []
    for batch in batches:
        for (
            rid,
            pid,
            published,
            rating,
            negative,
            response,
            seen,
            since,
            harm,
            legal,
            by,
        ) in session.execute(batch):
            if pid is None or published is None:  # excluded by the query; narrows the types
                continue
            marks = frozenset(n for n, on in (("harm", harm), ("legal", legal)) if on)
            since_at = _aware(since)
            out.append(
                ReviewFacts(
                    rid,
                    pid,
                    published,
                    rating,
                    negative,
                    response,
                    marks,
                    seen,
                    since_at,
                    author=by,
                )
            )
    out.sort(key=lambda f: (f.published_at, f.review_id))
    return out


def _aware(value: Any) -> datetime | None:
    """A datetime from an aggregate (SQLite returns text, no type processing applies)."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _post_filter(until: datetime) -> tuple[Any, ...]:
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    return (
        Mention.physician_id.is_not(None),
        published <= until,
        Classification.classifier_version == CLASSIFIER_VERSION,
    )


def _posts(
    session: Session, until: datetime, dialect: str
) -> tuple[list[int], list[int], list[int], list[float], list[str], list[int]]:
    """Negative social posts matched with high confidence, as event columns."""
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    query = (
        select(
            Mention.id,
            Mention.physician_id,
            func.coalesce(Physician.practice_id, -1),
            _days(published, dialect),
            Mention.author,
            _bits(),
        )
        .join(Physician, Mention.physician_id == Physician.id)
        .join(Classification, Classification.mention_id == Mention.id)
        .where(
            *_post_filter(until),
            Classification.negative.is_(True),
            Mention.confidence >= HIGH_CONFIDENCE,
        )
    )
    rows = list(session.execute(query))
    mid, pid, prac, days, author, packed = _columns(rows, 6)
    cats, _, _ = _unpack(np.asarray(packed, dtype=np.int64))
    return mid, pid, prac, days, [str(a) for a in author], cats.tolist()


def _post_facts(session: Session, until: datetime) -> list[ReviewFacts]:
    """Matched social posts flagged harm or legal, as facts for the immediate detector."""
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    query = (
        select(
            Mention.id,
            Mention.physician_id,
            published,
            Mention.first_seen_at,
            Classification.harm,
            Classification.legal,
        )
        .join(Classification, Classification.mention_id == Mention.id)
        .where(*_post_filter(until), Classification.harm | Classification.legal)
    )
    out = []
    for mid, pid, when, seen, harm, legal in session.execute(query):
        marks = frozenset(n for n, on in (("harm", harm), ("legal", legal)) if on)
        published_at = _aware(when)
        if pid is None or published_at is None:
            continue
        out.append(
            ReviewFacts(mid, pid, published_at, flags=marks, first_seen_at=seen, social=True)
        )
    return out


def find_alerts(history: History, now: datetime, t: Thresholds) -> list[Alert]:
    """Run every detector at `now` (pure)."""
    found: list[Alert] = []
    found.extend(find_clusters(history.index, now, t.clusters))
    found.extend(immediate(history.facts, now))
    found.extend(
        rating_drop(
            history.ratings,
            now,
            min_drop=t.rating_drop,
            min_count=t.rating_min_count,
            fdr_q=t.clusters.fdr_q,
        )
    )
    found.extend(
        unanswered(
            [f for f in history.facts if not f.social], now, timedelta(days=t.unanswered_days)
        )
    )
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
