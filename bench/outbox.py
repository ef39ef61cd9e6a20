"""Messages per second through the outbox relay to a local SMTP server, against raw aiosmtplib.

Both runs send the same 2,000 rendered alert emails to one aiosmtpd server on 127.0.0.1 over one
reused connection; the baseline does nothing else, the relay also claims each batch and commits
each message's outcome in its own transaction (SQLite in a temporary folder).
Usage: .venv/bin/python bench/outbox.py [N]
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repmon.relay import SmtpTransport, drain
from reputation.mail.message import Outgoing, build_message
from reputation.mail.outbox import enqueue
from reputation.mail.render import render_mail
from reputation.settings import load_settings
from reputation.storage.db import Database
from tests.test_render import alert_context

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SENDER = "Reputation Monitor <alerts@hospital.example.org>"


class Counter:
    """Accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def baseline(port: int, outs: list[Outgoing]) -> float:
    """Raw aiosmtplib: build and send each message over one connection."""
    start = time.perf_counter()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
        for out in outs:
            await client.send_message(build_message(out, SENDER, NOW))
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.ensure_schema()
        mail = render_mail("alert", alert_context())
        t0 = time.perf_counter()
        with db.transaction() as s:
            for i in range(n):
                enqueue(
                    s, dedup_key=f"bench:{i}", kind="alert", to_addr=f"user{i}@example.org",
                    recipient_id=None, rendered=mail, now=NOW,
                )  # fmt: skip
        t_enqueue = time.perf_counter() - t0
        outs = [
            Outgoing(i, f"user{i}@example.org", "", mail.subject, f"<b{i}@x>", None, None,
                     mail.text, mail.html)
            for i in range(n)
        ]  # fmt: skip
        t_raw = asyncio.run(baseline(port, outs))
        settings = load_settings(None, {}, Path(tmp)).with_overrides(
            smtp__host="127.0.0.1", smtp__port=port, smtp__security="none"
        )
        transport = SmtpTransport("127.0.0.1", port, security="none")
        t0 = time.perf_counter()
        report = asyncio.run(drain(db, settings, lambda: NOW, transport=transport))
        t_relay = time.perf_counter() - t0
        db.dispose()
    controller.stop()
    assert report.sent == n and handler.count == 2 * n, (report, handler.count)
    size = len(mail.text) + len(mail.html)
    print(f"outbox bench: {n} alert emails (~{size // 1024} KiB each), aiosmtpd on 127.0.0.1")
    print(f"  enqueue (one transaction):   {t_enqueue:6.2f} s  {n / t_enqueue:8.0f} msg/s")
    print(f"  baseline raw aiosmtplib:     {t_raw:6.2f} s  {n / t_raw:8.0f} msg/s")
    print(f"  relay drain (claim+commit):  {t_relay:6.2f} s  {n / t_relay:8.0f} msg/s")
    print(f"  relay / baseline time ratio: {t_relay / t_raw:6.2f}x")


if __name__ == "__main__":
    main()
