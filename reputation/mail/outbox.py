"""The transactional outbox: enqueue mail in the caller's transaction; claim, retry, give up.

A message's life: `pending` -> (claimed) `sending` -> `sent` | back to `pending` with a later
`next_attempt_at` | `failed`. The dedup key is unique, so one cause never yields two messages,
and a claim is a conditional update, so two relays never send the same message. A relay that
dies while a message is `sending` leaves it there; `recover_stuck` puts it back to `pending`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from reputation.mail.message import DEFAULT_DOMAIN
from reputation.storage.dialect import insert_ignore_statement
from reputation.storage.models import UNCOMPACTED, OutboxMessage

__all__ = [
    "MAX_BACKOFF_SECONDS",
    "OUTAGE_MAX_DELAY",
    "MailParts",
    "backoff_delay",
    "claim_batch",
    "compact_sent",
    "count_by_status",
    "enqueue",
    "list_messages",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "new_message_id",
    "recover_stuck",
]

MAX_BACKOFF_SECONDS = 6 * 3600.0
OUTAGE_MAX_DELAY = timedelta(minutes=15)
_LIMITS = {"subject": 500, "last_error": 2000}


class MailParts(Protocol):
    """What enqueue needs of a rendered mail (reputation.mail.render.RenderedMail fits)."""

    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


def new_message_id(domain: str = DEFAULT_DOMAIN) -> str:
    """A fresh, globally unique Message-ID: <uuid@domain>."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    kind: str,
    to_addr: str,
    recipient_id: int | None,
    rendered: MailParts,
    now: datetime,
    thread_root: str | None = None,
    domain: str = DEFAULT_DOMAIN,
) -> OutboxMessage | None:
    """Add a message in the caller's transaction; None if `dedup_key` was already enqueued."""
    values: dict[str, Any] = {
        "dedup_key": dedup_key,
        "kind": kind,
        "recipient_id": recipient_id,
        "to_addr": to_addr,
        "subject": rendered.subject[: _LIMITS["subject"]],
        "message_id": new_message_id(domain),
        "in_reply_to": thread_root,
        "references": thread_root,
        "body_text": rendered.text,
        "body_html": rendered.html,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    stmt = (
        insert_ignore_statement(session, OutboxMessage, ["dedup_key"])
        .values(**values)
        .returning(OutboxMessage.id)
    )
    new_id = session.execute(stmt).scalar_one_or_none()
    return None if new_id is None else session.get(OutboxMessage, new_id)


def claim_batch(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due pending messages `sending` (attempts + 1) and return them."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Rows another relay has locked are skipped, not waited for.
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        claimed = _set_sending(session, ids, now)
    else:
        claimed = []
        for msg_id in session.scalars(due).all():
            # The WHERE status='pending' makes the claim atomic: a row another relay took
            # in the meantime updates nothing.
            claimed += _set_sending(session, [msg_id], now)
    if not claimed:
        return []
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _set_sending(session: Session, ids: Sequence[int], now: datetime) -> list[int]:
    if not ids:
        return []
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    if len(ids) == 1:
        return list(ids) if result.rowcount == 1 else []  # type: ignore[attr-defined]
    return list(ids)  # PostgreSQL: the rows are locked by us, so every one was updated


def recover_stuck(
    session: Session, now: datetime, stuck_after: float, max_attempts: int | None = None
) -> int:
    """Put messages `sending` for longer than `stuck_after` seconds back to pending (or failed)."""
    cutoff = now - timedelta(seconds=stuck_after)
    stuck = (OutboxMessage.status == "sending", OutboxMessage.claimed_at < cutoff)
    note = f"relay stopped while sending (claimed before {cutoff.isoformat()}); retrying"
    recovered = 0
    if max_attempts is not None:
        result = session.execute(
            update(OutboxMessage)
            .where(*stuck, OutboxMessage.attempts >= max_attempts)
            .values(status="failed", last_error=f"gave up after {max_attempts} attempts: {note}")
            .execution_options(synchronize_session=False)
        )
        recovered += result.rowcount  # type: ignore[attr-defined]
    result = session.execute(
        update(OutboxMessage)
        .where(*stuck)
        .values(status="pending", claimed_at=None, next_attempt_at=now, last_error=note)
        .execution_options(synchronize_session=False)
    )
    return recovered + int(result.rowcount)  # type: ignore[attr-defined]


def _finish(session: Session, msg_id: int, **values: Any) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == msg_id, OutboxMessage.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_sent(session: Session, msg_id: int, now: datetime) -> bool:
    """Record a delivered message; False if it was no longer `sending`."""
    return _finish(session, msg_id, status="sent", sent_at=now, claimed_at=None, last_error=None)


def backoff_delay(attempts: int, backoff_seconds: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2×base, 4×base ... capped at 6 h."""
    seconds = backoff_seconds * 2.0 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def mark_retry(
    session: Session,
    msg_id: int,
    now: datetime,
    error: str,
    *,
    backoff_seconds: float,
    max_attempts: int,
    server_down: bool = False,
) -> str:
    """After a temporary failure: back to pending after a backoff, or failed when out of tries.

    With `server_down` (the mail server could not be reached at all) the message is never
    given up and waits at most OUTAGE_MAX_DELAY: an outage of any length loses no mail, and
    mail flows again within minutes of the server's return.
    """
    attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == msg_id))
    attempts = attempts or 0
    if attempts >= max_attempts and not server_down:
        mark_failed(session, msg_id, now, f"gave up after {attempts} attempts: {error}")
        return "failed"
    delay = backoff_delay(attempts, backoff_seconds)
    _finish(
        session,
        msg_id,
        status="pending",
        claimed_at=None,
        next_attempt_at=now + (min(delay, OUTAGE_MAX_DELAY) if server_down else delay),
        last_error=error[: _LIMITS["last_error"]],
    )
    return "pending"


def mark_failed(session: Session, msg_id: int, now: datetime, error: str) -> bool:
    """Give a message up for good (a permanent failure); `error` says why."""
    return _finish(
        session, msg_id, status="failed", claimed_at=None, last_error=error[: _LIMITS["last_error"]]
    )


def list_messages(
    session: Session, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """The newest messages, optionally of one status."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    """How many messages are in each status (the outbox backlog)."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows}


def compact_sent(session: Session, before: datetime) -> int:
    """Drop the bodies of messages sent before `before`; returns how many were compacted.

    The row stays, so its dedup key still stops a repeat and the log of what went to whom
    is kept; the bodies are most of the bytes (a weekly digest per physician adds up).
    """
    result = session.execute(
        update(OutboxMessage)
        .where(text(UNCOMPACTED), OutboxMessage.sent_at < before)  # literally the index's
        .values(body_html="", body_text="")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
