"""The outbox relay: claim due messages, send them (SMTP or a local maildir), record the outcome.

Each message's outcome is committed in its own short transaction right after the send. The
delivery guarantee is therefore at-least-once per crash: if the process dies after the server
accepted a message and before that commit, the message stays `sending`, `recover_stuck` puts it
back after `outbox.stuck_after_seconds`, and that one message (only that one) is sent again.
Without a crash, a message (and so a dedup key) is sent once.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy import select

from reputation.mail.message import Outgoing, build_message
from reputation.mail.outbox import (
    claim_batch,
    compact_sent,
    mark_failed,
    mark_retry,
    mark_sent,
    recover_stuck,
)
from reputation.settings import Settings
from reputation.storage.db import Database
from reputation.storage.models import OutboxMessage, Recipient

__all__ = [
    "MaildirTransport",
    "RelayReport",
    "SmtpTransport",
    "Transport",
    "TransportDown",
    "classify",
    "drain",
    "transport_for",
]

log = logging.getLogger(__name__)
BATCH_SIZE = 50


@dataclass
class RelayReport:
    """What one drain did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    compacted: int = 0  # sent messages whose bodies were dropped (outbox.keep_bodies_days)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """'3 sent, 1 retrying; first problem: ...': how `repmon status` shows a drain."""
        counts = [("sent", self.sent), ("retrying", self.retrying), ("failed", self.failed)]
        counts += [("recovered", self.recovered), ("bodies compacted", self.compacted)]
        text = ", ".join(f"{n} {word}" for word, n in counts if n) or "nothing to send"
        return text + (f"; {self.problems[0]}" if self.problems else "")


class TransportDown(Exception):
    """The mail server cannot be reached or refused our login; retry every message later."""


class Transport(Protocol):
    """Something that delivers one message at a time."""

    async def send(self, message: EmailMessage) -> None: ...
    async def close(self) -> None: ...


class MaildirTransport:
    """Deliver into a local maildir (used when no SMTP host is configured)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: EmailMessage) -> None:
        """Add the message to the maildir's new/ folder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(str(self.path), create=True)
        box.add(message.as_bytes(policy=SMTP.clone(linesep="\n")))

    async def close(self) -> None:
        """Nothing to release."""


class SmtpTransport:
    """Deliver over one reused SMTP connection, reconnecting after any failure."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
    ) -> None:
        if security not in {"starttls", "tls", "none"}:
            raise ValueError(f"smtp.security must be starttls, tls or none, not {security!r}")
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.username, self.password = username, password
        self._client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.username or None,
            password=self.password or None,
            timeout=self.timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransportDown(f"cannot use {self.host}:{self.port}: {exc}") from exc
        return client

    async def _deliver(self, message: EmailMessage) -> None:
        if self._client is None or not self._client.is_connected:
            self._client = None
            self._client = await self._connect()
        await self._client.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        """Send one message within smtp.timeout (connecting first if needed)."""
        connected = self._client is not None and self._client.is_connected
        try:
            await asyncio.wait_for(self._deliver(message), self.timeout)
        except TimeoutError as exc:
            await self.close()
            if not connected:
                raise TransportDown(f"{self.host}:{self.port} did not answer in time") from exc
            raise
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Say QUIT if connected; never raise."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await asyncio.wait_for(client.quit(), 5)
            except (aiosmtplib.SMTPException, OSError):
                client.close()


def transport_for(settings: Settings) -> Transport:
    """SMTP when smtp.host is set, otherwise the local maildir."""
    host = str(settings["smtp.host"])
    if not host:
        return MaildirTransport(settings.maildir)
    return SmtpTransport(
        host,
        int(settings["smtp.port"]),
        security=str(settings["smtp.security"]),
        username=str(settings["smtp.username"]),
        password=str(settings["smtp.password"]),
        timeout=float(settings["smtp.timeout"]),
    )


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent?, reason) of a failed send: 5xx and refused recipients are permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = "; ".join(f"recipient refused: {r.code} {r.message}" for r in exc.recipients)
        return bool(codes) and all(c >= 500 for c in codes), reason
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500, f"server said {exc.code} {exc.message}"
    if isinstance(exc, TimeoutError):
        return False, "timed out"
    return False, f"{type(exc).__name__}: {exc}"


def _claim(db: Database, now: datetime, limit: int) -> list[Outgoing]:
    with db.transaction() as session:
        rows = claim_batch(session, now, limit)
        ids = {m.recipient_id for m in rows if m.recipient_id is not None}
        names: dict[int, str] = {}
        if ids:
            query = select(Recipient.id, Recipient.name).where(Recipient.id.in_(ids))
            names = {rid: name for rid, name in session.execute(query)}
        return [_outgoing(m, names.get(m.recipient_id or 0, "")) for m in rows]


def _outgoing(m: OutboxMessage, name: str) -> Outgoing:
    return Outgoing(
        m.id, m.to_addr, name, m.subject, m.message_id, m.in_reply_to, m.references,
        m.body_text, m.body_html, m.kind,
    )  # fmt: skip


async def drain(
    db: Database,
    settings: Settings,
    now_fn: Callable[[], datetime],
    *,
    transport: Transport | None = None,
    batch_size: int = BATCH_SIZE,
) -> RelayReport:
    """Send every due message once; commit each outcome right after its send."""
    report = RelayReport()
    max_attempts = int(settings["outbox.max_attempts"])
    backoff = float(settings["outbox.backoff_seconds"])
    stuck_after = float(settings["outbox.stuck_after_seconds"])
    # A claimed batch must be sent well within stuck_after, or another relay would take it back.
    batch_size = max(1, min(batch_size, int(stuck_after // (2 * float(settings["smtp.timeout"])))))
    with db.transaction() as session:
        report.recovered = recover_stuck(session, now_fn(), stuck_after, max_attempts)
        keep = timedelta(days=float(settings["outbox.keep_bodies_days"]))
        report.compacted = compact_sent(session, now_fn() - keep)
    transport = transport or transport_for(settings)
    sender = str(settings["mail.sender"])

    def retry(out: Outgoing, reason: str, server_down: bool = False) -> None:
        with db.transaction() as session:
            status = mark_retry(
                session,
                out.id,
                now_fn(),
                reason,
                backoff_seconds=backoff,
                max_attempts=max_attempts,
                server_down=server_down,
            )
        if status == "failed":
            report.failed += 1
            report.problems.append(f"message {out.id} to {out.to_addr}: gave up: {reason}")
        else:
            report.retrying += 1
            if not server_down:
                report.problems.append(f"message {out.id} to {out.to_addr}: will retry: {reason}")

    def fail(out: Outgoing, reason: str) -> None:
        with db.transaction() as session:
            mark_failed(session, out.id, now_fn(), reason)
        report.failed += 1
        report.problems.append(f"message {out.id} to {out.to_addr}: {reason}")

    try:
        while batch := _claim(db, now_fn(), batch_size):
            for i, out in enumerate(batch):
                try:
                    message = build_message(out, sender, now_fn())
                except (ValueError, TypeError, HeaderParseError) as exc:
                    fail(out, f"cannot build the message: {exc}")
                    continue
                try:
                    await transport.send(message)
                except TransportDown as exc:
                    for rest in batch[i:]:
                        retry(rest, str(exc), server_down=True)  # never given up for it
                    report.problems.append(f"mail server unavailable: {exc}")
                    return report
                except (aiosmtplib.SMTPException, OSError) as exc:
                    permanent, reason = classify(exc)
                    (fail if permanent else retry)(out, reason)
                    continue
                with db.transaction() as session:
                    mark_sent(session, out.id, now_fn())
                report.sent += 1
    finally:
        await transport.close()
    return report
