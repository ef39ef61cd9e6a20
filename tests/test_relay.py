"""The relay against a real SMTP server (aiosmtpd on 127.0.0.1), and the maildir fallback."""

from __future__ import annotations

import asyncio
import email
import mailbox
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

import repmon.relay as relay
from repmon.app import App
from repmon.commands.outbox import outbox
from repmon.relay import drain
from reputation.mail.outbox import enqueue
from reputation.mail.render import render_mail
from reputation.settings import Settings, load_settings
from reputation.storage.db import Database
from reputation.storage.models import OutboxMessage, Recipient
from tests.conftest import NOW
from tests.test_render import HOSTILE_TEXT, alert_context


class Sink:
    """An aiosmtpd handler that keeps what it accepts; some addresses get 4xx/5xx replies."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.rcpts: list[list[str]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, _: Any
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox here"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        self.rcpts.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class Server:
    """A real SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.sink = Sink()
        self.controller: Controller | None = None

    def start(self, authenticator: Any = None) -> None:
        """Start serving; with an ``authenticator``, every client must log in (no TLS)."""
        auth: dict[str, Any] = {}
        if authenticator is not None:
            auth = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


def smtp_settings(tmp_path: Path, port: int) -> Settings:
    return load_settings(None, {}, tmp_path).with_overrides(
        smtp__host="127.0.0.1", smtp__port=port, smtp__security="none", smtp__timeout=5.0,
        mail__sender="Reputation Monitor <alerts@hospital.example.org>",
    )  # fmt: skip


def add(db: Database, key: str, to: str = "lead@example.org", **kw: Any) -> OutboxMessage:
    with db.transaction() as s:
        msg = enqueue(
            s, dedup_key=key, kind="alert", to_addr=to, recipient_id=kw.pop("recipient_id", None),
            rendered=render_mail("alert", alert_context(**kw)), now=NOW,
            domain="hospital.example.org",
        )  # fmt: skip
    assert msg is not None
    return msg


def run(db: Database, settings: Settings, now: datetime = NOW, **kw: Any) -> relay.RelayReport:
    return asyncio.run(drain(db, settings, lambda: now, **kw))


def status(db: Database, msg_id: int) -> OutboxMessage:
    with db.session() as s:
        row = s.get(OutboxMessage, msg_id)
        assert row is not None
        return row


def test_alert_is_delivered_exactly_once(db: Database, server: Server, tmp_path: Path) -> None:
    settings = smtp_settings(tmp_path, server.port)
    msg = add(db, "alert:1")
    report = run(db, settings)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert run(db, settings, NOW + timedelta(days=1)).sent == 0
    assert server.sink.ids() == [msg.message_id]
    got = server.sink.messages[0]
    assert got.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    assert got["Subject"].strip() == msg.subject and got["To"] == "lead@example.org"
    assert got["From"] == "Reputation Monitor <alerts@hospital.example.org>"
    assert got["Date"] == "Mon, 23 Nov 2026 09:00:00 +0000"
    row = status(db, msg.id)
    assert row.status == "sent" and row.sent_at == NOW and row.attempts == 1


def test_follow_up_threads_under_the_first(db: Database, server: Server, tmp_path: Path) -> None:
    first = add(db, "a")
    with db.transaction() as s:
        follow = enqueue(
            s, dedup_key="b", kind="alert", to_addr="lead@example.org", recipient_id=None,
            rendered=render_mail("alert", alert_context(state="resolved")), now=NOW,
            thread_root=first.message_id,
        )  # fmt: skip
    assert follow is not None
    run(db, smtp_settings(tmp_path, server.port))
    reply = server.sink.messages[1]
    assert reply["In-Reply-To"] == first.message_id == reply["References"]


def test_server_down_waits_then_arrives_once(db: Database, tmp_path: Path) -> None:
    srv = Server()  # not started: connections are refused
    settings = smtp_settings(tmp_path, srv.port)
    msg = add(db, "alert:down")
    report = run(db, settings)
    assert (report.sent, report.retrying) == (0, 1) and "unavailable" in report.problems[0]
    row = status(db, msg.id)
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > NOW
    assert row.last_error and "127.0.0.1" in row.last_error
    srv.start()
    try:
        assert run(db, settings, NOW + timedelta(seconds=30)).sent == 0  # not due yet
        assert run(db, settings, NOW + timedelta(seconds=61)).sent == 1
        assert run(db, settings, NOW + timedelta(hours=1)).sent == 0
    finally:
        srv.stop()
    assert srv.sink.ids() == [msg.message_id]
    assert status(db, msg.id).attempts == 2


def test_crash_between_send_and_commit_resends_at_most_that_message(
    db: Database, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = smtp_settings(tmp_path, server.port)
    msgs = [add(db, f"crash:{i}") for i in range(3)]
    real_mark_sent = relay.mark_sent
    calls = 0

    def crash_on_second(*args: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("power cut after the server accepted message 2")
        return real_mark_sent(*args)

    monkeypatch.setattr(relay, "mark_sent", crash_on_second)
    with pytest.raises(SystemExit):
        run(db, settings)
    monkeypatch.setattr(relay, "mark_sent", real_mark_sent)
    assert [status(db, m.id).status for m in msgs] == ["sent", "sending", "sending"]
    assert run(db, settings, NOW + timedelta(seconds=60)).sent == 0  # not stuck long enough
    report = run(db, settings, NOW + timedelta(seconds=601))
    assert (report.recovered, report.sent) == (2, 2)
    ids = server.sink.ids()
    assert ids.count(msgs[0].message_id) == 1
    assert ids.count(msgs[1].message_id) == 2  # the one message in the crash window
    assert ids.count(msgs[2].message_id) == 1
    assert all(status(db, m.id).status == "sent" for m in msgs)


def test_permanent_failure_is_given_up_with_the_reason(
    db: Database, server: Server, tmp_path: Path
) -> None:
    settings = smtp_settings(tmp_path, server.port)
    bad = add(db, "bounce", to="bounce@example.org")
    good = add(db, "good")
    report = run(db, settings)
    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    row = status(db, bad.id)
    assert row.status == "failed" and "550" in (row.last_error or "")
    assert (
        "no such mailbox" in (row.last_error or "") and "bounce@example.org" in report.problems[0]
    )
    assert run(db, settings, NOW + timedelta(days=2)).sent == 0
    assert server.sink.ids() == [good.message_id]


def test_temporary_refusal_is_retried_then_given_up(
    db: Database, server: Server, tmp_path: Path
) -> None:
    settings = smtp_settings(tmp_path, server.port).with_overrides(outbox__max_attempts=2)
    msg = add(db, "later", to="later@example.org")
    assert run(db, settings).retrying == 1
    row = status(db, msg.id)
    assert row.status == "pending" and "451" in (row.last_error or "")
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    report = run(db, settings, NOW + timedelta(minutes=5))
    assert report.failed == 1 and status(db, msg.id).status == "failed"
    assert (status(db, msg.id).last_error or "").startswith("gave up after 2 attempts")


def test_concurrent_drains_do_not_double_send(db: Database, server: Server, tmp_path: Path) -> None:
    settings = smtp_settings(tmp_path, server.port)
    msgs = [add(db, f"c{i}") for i in range(40)]
    reports: list[relay.RelayReport] = []

    def one_relay() -> None:
        other = Database(db.url)
        try:
            reports.append(asyncio.run(drain(other, settings, lambda: NOW, batch_size=3)))
        finally:
            other.dispose()

    threads = [threading.Thread(target=one_relay) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 40
    assert sorted(server.sink.ids()) == sorted(m.message_id for m in msgs)


def test_a_silent_server_times_out_and_the_message_waits(db: Database, tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = int(silent.getsockname()[1])
        settings = smtp_settings(tmp_path, port).with_overrides(smtp__timeout=0.5)
        msg = add(db, "silent")
        report = run(db, settings)
    assert report.retrying == 1 and "did not answer in time" in (
        status(db, msg.id).last_error or ""
    )
    assert status(db, msg.id).status == "pending"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_uses_the_password_from_the_environment(db: Database, tmp_path: Path) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    srv = Server()
    srv.start(authenticator)
    try:
        wrong = load_settings(None, {"REPMON_SMTP_PASSWORD": "guess"}, tmp_path)
        base = dict(smtp__host="127.0.0.1", smtp__port=srv.port, smtp__security="none")
        wrong = wrong.with_overrides(smtp__username="relay", **base)
        msg = add(db, "auth")
        assert run(db, wrong).retrying == 1  # a refused login keeps the mail, it is not a bounce
        assert status(db, msg.id).status == "pending"
        right = load_settings(None, {"REPMON_SMTP_PASSWORD": "s3cret"}, tmp_path)
        right = right.with_overrides(smtp__username="relay", **base)
        assert run(db, right, NOW + timedelta(minutes=2)).sent == 1
    finally:
        srv.stop()
    assert logins[-1] == (b"relay", b"s3cret") and {pw for _, pw in logins} == {b"guess", b"s3cret"}
    assert srv.sink.ids() == [msg.message_id]


def test_maildir_when_no_smtp_host(db: Database, tmp_path: Path) -> None:
    settings = load_settings(None, {}, tmp_path).with_overrides(mail__maildir=str(tmp_path / "md"))
    msg = add(db, "md")
    assert run(db, settings).sent == 1
    box = mailbox.Maildir(str(tmp_path / "md"), create=False)
    (key,) = box.keys()
    got = email.message_from_bytes(box.get_bytes(key), policy=default)
    assert got["Message-ID"] == msg.message_id and got.is_multipart()


def test_hostile_names_cannot_add_recipients_or_headers(
    db: Database, server: Server, tmp_path: Path
) -> None:
    with db.transaction() as s:
        person = Recipient(
            email="lead@example.org",
            name='Eve\r\nBcc: victim@evil.example\r\n"x" <a@evil.example>,',
        )
        s.add(person)
        s.flush()
        person_id = person.id
    msg = add(
        db, "hostile", recipient_id=person_id, text=HOSTILE_TEXT,
        subject="Dr. X\r\nBcc: all@evil.example\r\n\r\n<script>",
    )  # fmt: skip
    assert run(db, smtp_settings(tmp_path, server.port)).sent == 1
    got = server.sink.messages[0]
    assert server.sink.rcpts == [["lead@example.org"]]
    assert got["Bcc"] is None and len(got.get_all("To")) == 1
    assert len(got["To"].addresses) == 1 and got["To"].addresses[0].addr_spec == msg.to_addr
    subject = str(got["Subject"]).strip()
    assert "\n" not in subject and subject.startswith("Dr. X Bcc: all@evil.example")
    html = got.get_body(("html",)).get_content()
    assert "<script" not in html and "&lt;script&gt;" in html


def test_bad_address_fails_without_sending(db: Database, server: Server, tmp_path: Path) -> None:
    msg = add(db, "bad", to="a@example.org\r\nBcc: b@evil.example")
    report = run(db, smtp_settings(tmp_path, server.port))
    assert report.failed == 1 and server.sink.messages == []
    assert "bad address" in (status(db, msg.id).last_error or "")


def test_outbox_cli_flush_and_list(workdir: Path) -> None:
    app = App(None)
    db = app.database()
    add(db, "cli")
    runner = CliRunner()
    out = runner.invoke(outbox, ["flush", "--now", "2026-11-23T09:00:00Z"], obj=app)
    assert out.exit_code == 0, out.output
    assert "1 sent, 0 retrying, 0 failed" in out.output and "maildir" in out.output
    listed = runner.invoke(outbox, ["list", "--json"], obj=app)
    assert '"status": "sent"' in listed.output
    table = runner.invoke(outbox, ["list", "--status", "sent"], obj=app)
    assert "1 sent" in table.output
    app.close()


def test_a_drain_reads_in_words_in_status() -> None:
    from repmon.relay import RelayReport

    assert str(RelayReport(sent=3, retrying=1, problems=["smtp: timed out"])) == (
        "3 sent, 1 retrying; smtp: timed out"
    )
    assert str(RelayReport()) == "nothing to send"


def test_outbox_cli_flush_with_the_server_down_fails_and_says_what_waits(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = int(s.getsockname()[1])
    monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPMON_SMTP_PORT", str(closed))
    monkeypatch.setenv("REPMON_SMTP_SECURITY", "none")
    app = App(None)
    for key in ("a", "b"):
        add(app.database(), key)
    out = CliRunner().invoke(outbox, ["flush", "--now", "2026-11-23T09:00:00Z"], obj=app)
    assert out.exit_code == 1, out.output
    assert "0 sent" in out.output and "2 messages still waiting to be sent" in out.output
    app.close()
