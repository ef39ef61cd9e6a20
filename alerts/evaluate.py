"""The alert evaluation job: load counts, run the pure detectors, persist the lifecycle, and
enqueue one email per recipient, all in one transaction (the transactional outbox)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.detectors import Thresholds, history_horizon, run_detectors
from alerts.history import HistoryCache, id_batches
from alerts.kinds import parse_entity
from alerts.lifecycle import AlertState, SilenceRule, Transition, step
from alerts.notify import alert_context, enqueue_alert_mail
from alerts.routing import recipients_for
from reputation.settings import Settings
from reputation.storage.db import Database
from reputation.storage.models import Alert as AlertRow
from reputation.storage.models import Physician, Silence
from reputation.vocabulary import ALERT_KINDS

__all__ = ["EvaluationReport", "evaluate", "history_cache"]


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    firing: int = 0
    pending: int = 0
    transitions: list[Transition] = field(default_factory=list)
    emails: int = 0  # emails enqueued
    recipients: int = 0  # recipients they went to


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


def _named(labels: Any) -> tuple[int | None, int | None]:
    """The physician or the practice an alert's entity label names (None where neither)."""
    kind, ident = parse_entity(dict(labels).get("entity", ""))
    if not ident.isdigit() or kind not in ("physician", "practice"):
        return None, None
    return (int(ident), None) if kind == "physician" else (None, int(ident))


def _practices(session: Session, states: Iterable[AlertState]) -> dict[int, int | None]:
    """The practice of every physician these alert states are about, in one query a batch
    (one lookup per new alert cost a second when a first evaluation opened 1,500)."""
    wanted = sorted({p for st in states if (p := _named(st.labels)[0]) is not None})
    found: dict[int, int | None] = {}
    for batch in id_batches(wanted):
        query = select(Physician.id, Physician.practice_id).where(Physician.id.in_(batch))
        found.update((pid, practice) for pid, practice in session.execute(query))
    return found


def _entity_ids(labels: Any, practices: dict[int, int | None]) -> tuple[int | None, int | None]:
    """The alert's physician and practice: a physician's practice from `practices`."""
    physician, practice = _named(labels)
    return (physician, practices.get(physician)) if physician is not None else (None, practice)


def _save(
    session: Session, rows: dict[str, AlertRow], st: AlertState, practices: dict[int, int | None]
) -> AlertRow:
    row = rows.get(st.fingerprint)
    if row is None:
        physician_id, practice_id = _entity_ids(st.labels, practices)
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


def _importance(pair: tuple[Transition, AlertRow]) -> tuple[int, int, float]:
    # What needs a person first comes first in an email (and titles it).
    move, row = pair
    rank = ALERT_KINDS.index(row.kind) if row.kind in ALERT_KINDS else len(ALERT_KINDS)
    q = row.annotations.get("q_value")
    return (move.event == "resolved", rank, float(q) if isinstance(q, int | float) else 1.0)


# One cache of review columns per database URL, for the life of the process (the daemon).
_CACHES: dict[str, HistoryCache] = {}
_CACHES_LOCK = threading.Lock()


def history_cache(url: str) -> HistoryCache:
    """This process's review-column cache of the database at `url`."""
    with _CACHES_LOCK:
        return _CACHES.setdefault(url, HistoryCache())


def evaluate(
    db: Database,
    settings: Settings,
    now: datetime,
    notify: bool = True,
    cache: HistoryCache | None = None,
) -> EvaluationReport:
    """One evaluation at `now`: states, transitions and their emails in one transaction.

    Reviews are read through this process's cache of the database (only what changed since
    the last evaluation, or since the database's snapshot in a new process), unless another
    cache is given; the cache's snapshot is stored after the evaluation when it is due.
    """
    thresholds = Thresholds.from_settings(settings)
    report = EvaluationReport()
    cache = cache or history_cache(db.url)
    with db.transaction() as session:
        history = cache.history(session, now, since=now - history_horizon(thresholds))
        findings = run_detectors(history, now, thresholds)
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
        practices = _practices(
            session, (st for st in result.states.values() if st.fingerprint not in rows)
        )
        for st in result.states.values():
            _save(session, rows, st, practices)
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
                sent = enqueue_alert_mail(session, recipient_id, moves, context, now)
                report.emails += sent
                report.recipients += sent > 0
    if cache.snapshot_due:
        # Its own transaction, after the alerts are committed: a snapshot that cannot be
        # written loses nothing but time in the next process.
        try:
            with db.transaction() as session:
                cache.save(session, now)
        except IntegrityError:
            pass  # another process stored its snapshot at the same moment; as good as ours
    return report
