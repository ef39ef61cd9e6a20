"""The outbox on every backend: dedup at enqueue, atomic claims, backoff, crash recovery."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from reputation.mail.message import sender_domain
from reputation.mail.outbox import (
    backoff_delay,
    claim_batch,
    compact_sent,
    count_by_status,
    enqueue,
    list_messages,
    mark_failed,
    mark_retry,
    mark_sent,
    recover_stuck,
)
from reputation.mail.render import RenderedMail
from reputation.storage.db import Database
from reputation.storage.models import OutboxMessage
from tests.conftest import NOW

MAIL = RenderedMail(subject="Alert", text="plain", html="<p>html</p>")


def _enqueue(db: Database, n: int, prefix: str = "k") -> None:
    with db.transaction() as s:
        for i in range(n):
            enqueue(
                s, dedup_key=f"{prefix}{i}", kind="alert", to_addr=f"u{i}@example.org",
                recipient_id=None, rendered=MAIL, now=NOW,
            )  # fmt: skip


def test_enqueue_is_idempotent_per_dedup_key(db: Database) -> None:
    with db.transaction() as s:
        first = enqueue(
            s, dedup_key="alert:1:r:2", kind="alert", to_addr="a@example.org",
            recipient_id=None, rendered=MAIL, now=NOW, domain="example.org",
        )  # fmt: skip
        again = enqueue(
            s, dedup_key="alert:1:r:2", kind="alert", to_addr="a@example.org",
            recipient_id=None, rendered=MAIL, now=NOW,
        )  # fmt: skip
    assert first is not None and again is None
    assert first.message_id.startswith("<") and first.message_id.endswith("@example.org>")
    assert first.status == "pending" and first.next_attempt_at == NOW and first.attempts == 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        # a rolled-back cause leaves no message behind
    try:
        with db.transaction() as s:
            enqueue(
                s, dedup_key="other", kind="alert", to_addr="a@example.org",
                recipient_id=None, rendered=MAIL, now=NOW,
            )  # fmt: skip
            raise RuntimeError("the alert transaction failed")
    except RuntimeError:
        pass
    with db.session() as s:
        assert count_by_status(s) == {"pending": 1}


def test_follow_ups_thread_under_the_first_message(db: Database) -> None:
    with db.transaction() as s:
        root = enqueue(
            s, dedup_key="a", kind="alert", to_addr="a@example.org",
            recipient_id=None, rendered=MAIL, now=NOW,
        )  # fmt: skip
        assert root is not None and root.in_reply_to is None
        follow = enqueue(
            s, dedup_key="b", kind="alert", to_addr="a@example.org", recipient_id=None,
            rendered=MAIL, now=NOW, thread_root=root.message_id,
        )  # fmt: skip
    assert follow is not None and follow.message_id != root.message_id
    assert follow.in_reply_to == root.message_id and follow.references == root.message_id


def test_claim_marks_sending_once(db: Database) -> None:
    _enqueue(db, 3)
    with db.transaction() as s:
        later = enqueue(
            s, dedup_key="later", kind="alert", to_addr="l@example.org", recipient_id=None,
            rendered=MAIL, now=NOW + timedelta(hours=1),
        )  # fmt: skip
    with db.transaction() as s:
        claimed = claim_batch(s, NOW, 10)
    assert len(claimed) == 3 and later is not None and later.id not in {m.id for m in claimed}
    assert all(m.status == "sending" and m.attempts == 1 and m.claimed_at == NOW for m in claimed)
    with db.transaction() as s:
        assert claim_batch(s, NOW, 10) == []
        assert mark_sent(s, claimed[0].id, NOW)
        assert not mark_sent(s, claimed[0].id, NOW)  # no longer `sending`
        assert mark_failed(s, claimed[1].id, NOW, "550 no such user")
    with db.session() as s:
        assert count_by_status(s) == {"sent": 1, "failed": 1, "sending": 1, "pending": 1}
        failed = list_messages(s, "failed")
        assert [m.last_error for m in failed] == ["550 no such user"]


def test_retry_backs_off_exponentially_then_gives_up(db: Database) -> None:
    _enqueue(db, 1)
    now = NOW
    for attempt in range(1, 4):
        with db.transaction() as s:
            (m,) = claim_batch(s, now, 10)
            assert m.attempts == attempt
            status = mark_retry(s, m.id, now, "421 busy", backoff_seconds=60.0, max_attempts=3)
        with db.session() as s:
            row = s.get(OutboxMessage, m.id)
            assert row is not None
            if attempt < 3:
                assert status == "pending" and row.status == "pending"
                assert row.next_attempt_at == now + timedelta(seconds=60 * 2 ** (attempt - 1))
                assert row.last_error == "421 busy"
                with db.transaction() as s2:  # not due before the backoff
                    assert claim_batch(s2, row.next_attempt_at - timedelta(seconds=1), 10) == []
                now = row.next_attempt_at
            else:
                assert status == "failed" and row.status == "failed"
                assert row.last_error == "gave up after 3 attempts: 421 busy"


def test_backoff_is_deterministic_and_capped() -> None:
    assert [backoff_delay(a, 60).total_seconds() for a in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_delay(40, 60) == timedelta(hours=6)


def test_recover_stuck_puts_old_claims_back(db: Database) -> None:
    _enqueue(db, 2)
    with db.transaction() as s:
        old, young = claim_batch(s, NOW, 10)
        s.get(OutboxMessage, young.id).claimed_at = NOW + timedelta(minutes=9)  # type: ignore[union-attr]
    with db.transaction() as s:
        assert recover_stuck(s, NOW + timedelta(minutes=10, seconds=1), 600.0) == 1
    with db.session() as s:
        assert s.get(OutboxMessage, old.id).status == "pending"  # type: ignore[union-attr]
        assert s.get(OutboxMessage, young.id).status == "sending"  # type: ignore[union-attr]
    with db.transaction() as s:  # out of attempts: recovered to failed, not retried forever
        assert recover_stuck(s, NOW + timedelta(hours=1), 600.0, max_attempts=1) == 1
        assert s.get(OutboxMessage, young.id).status == "failed"  # type: ignore[union-attr]


def test_concurrent_claims_never_share_a_message(db: Database) -> None:
    _enqueue(db, 60)
    got: list[list[int]] = []
    errors: list[BaseException] = []

    def relay() -> None:
        other = Database(db.url)
        mine: list[int] = []
        try:
            while True:
                with other.transaction() as s:
                    batch = claim_batch(s, NOW, 7)
                if not batch:
                    break
                mine += [m.id for m in batch]
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            other.dispose()
            got.append(mine)

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = [i for mine in got for i in mine]
    assert len(ids) == 60 and len(set(ids)) == 60


def test_sender_domain() -> None:
    assert sender_domain("Repmon <alerts@Hospital.example.org>") == "hospital.example.org"
    assert sender_domain("nonsense") == "repmon.local"


def test_old_sent_bodies_are_dropped_but_the_row_still_stops_a_repeat(db: Database) -> None:
    _enqueue(db, 3)
    with db.transaction() as s:
        ids = [m.id for m in claim_batch(s, NOW, 3)]
        mark_sent(s, ids[0], NOW - timedelta(days=40))
        mark_sent(s, ids[1], NOW)
        mark_retry(s, ids[2], NOW, "421 busy", backoff_seconds=60, max_attempts=8)
    with db.transaction() as s:
        assert compact_sent(s, NOW - timedelta(days=30)) == 1
        assert compact_sent(s, NOW - timedelta(days=30)) == 0  # already compacted
    with db.transaction() as s:
        rows = {m.id: m for m in s.scalars(select(OutboxMessage))}
        assert rows[ids[0]].body_html == rows[ids[0]].body_text == ""
        assert rows[ids[0]].subject == "Alert" and rows[ids[0]].status == "sent"
        assert rows[ids[1]].body_html == "<p>html</p>"  # sent recently: kept
        assert rows[ids[2]].body_html == "<p>html</p>"  # not sent yet: never touched
        again = enqueue(
            s, dedup_key="k0", kind="alert", to_addr="u0@example.org",
            recipient_id=None, rendered=MAIL, now=NOW,
        )  # fmt: skip
        assert again is None


def test_compaction_reads_only_the_index_of_bodies_still_held(db: Database) -> None:
    """compact_sent runs each minute: it must not read every message ever sent."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite plans without statistics and takes the status index (fine when small)")
    _enqueue(db, 1)
    statements: list[tuple[str, object]] = []

    def capture(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            statements.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.transaction() as s:
            compact_sent(s, NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    ((statement, params),) = statements
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table is scanned anyway
        plan = str(conn.exec_driver_sql("EXPLAIN " + statement, params).all())  # type: ignore[arg-type]
    assert "ix_outbox_uncompacted" in plan, plan
