"""`repmon digest` and `repmon reply suggest` as a user runs them, on a fresh database."""

from __future__ import annotations

import email
import json
import os
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from repmon.cli import main
from repmon.commands.digest import digest
from repmon.commands.reply import reply
from reputation.storage.db import Database
from reputation.storage.models import Physician, Recipient, Subscription
from tests.conftest import NOW
from tests.factories import review_records, roster_csv, write_jsonl

for _command in (digest, reply):
    if _command.name not in main.commands:  # until repmon/cli.py registers them
        main.add_command(_command)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def setup_reviews(workdir: Path) -> list[dict[str, str]]:
    (workdir / "roster.csv").write_text(roster_csv(6))
    assert run("roster", "import", "roster.csv").exit_code == 0
    records = review_records(60, 6)
    for i, record in enumerate(records):
        record["published_at"] = (NOW - timedelta(hours=13 * i + 30)).isoformat()
    records[0]["text"] = "<script>alert(1)</script> Rude. <a href='javascript:x()'>win</a>"
    records[0]["rating"] = 1
    write_jsonl(workdir / "r.jsonl", records)
    assert "60 new" in run("ingest", "r.jsonl", "--now", NOW.isoformat()).output
    return [json.loads(line) for line in run("roster", "list", "--json").output.splitlines()]


def test_digest_out_renders_eml_and_html_previews(workdir: Path) -> None:
    roster = setup_reviews(workdir)
    result = run(
        "digest",
        "--week",
        "2026-W47",
        "--physician",
        roster[0]["npi"],
        "--out",
        "out",
        "--now",
        NOW.isoformat(),
    )
    assert result.exit_code == 0, result.output
    assert 'addressed to "preview"' in result.output
    emls = sorted((workdir / "out").glob("*.eml"))
    assert len(emls) == 1 and emls[0].with_suffix(".html").exists()
    assert str(emls[0].relative_to(workdir)) in result.output
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    # Written by the relay's own builder: a preview goes to an address that never resolves.
    assert msg["To"] == "preview@invalid" and "week 47" in str(msg["Subject"])
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "NEW REVIEWS THIS WEEK" in text.get_content()
    body = html.get_content()
    assert "Rating trend" in body and "<script>" not in body and "&lt;script&gt;" in body
    assert "Crawl health" in body

    everything = run("digest", "--out", "all", "--now", NOW.isoformat())
    assert len(list((workdir / "all").glob("*-practice-*-preview.eml"))) == 3, everything.output


def test_a_digest_file_is_the_message_the_relay_sends_with_one_line_headers(workdir: Path) -> None:
    roster = setup_reviews(workdir)
    db = Database(os.environ["REPMON_DATABASE_URL"])
    with db.transaction() as session:
        query = select(Physician).where(Physician.npi == roster[0]["npi"])
        physician = session.scalars(query).one()
        physician.name = "Ann\r\nBcc: victim@example.org\nX-Evil: 1 Lee"
    result = run("digest", "--week", "2026-W47", "--physician", roster[0]["npi"], "--out", "o",
                 "--now", NOW.isoformat())  # fmt: skip
    assert result.exit_code == 0, result.output
    (eml,) = (workdir / "o").glob("*.eml")
    raw = eml.read_bytes()
    head = raw.split(b"\n\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0] for line in head.split("\n") if line and line[0] not in " \t"]
    assert "Bcc" not in names and "X-Evil" not in names, head
    msg = email.message_from_bytes(raw, policy=default)
    assert "\n" not in str(msg["Subject"]) and "Ann" in str(msg["Subject"])
    # The relay's headers: no auto-replies to us, a list people can leave.
    assert msg["Auto-Submitted"] == "auto-generated" and "digest" in str(msg["List-Id"])
    assert str(msg["List-Unsubscribe"]).startswith("<mailto:")


def test_a_digest_to_an_unusable_address_is_skipped_and_named(workdir: Path) -> None:
    roster = setup_reviews(workdir)
    db = Database(os.environ["REPMON_DATABASE_URL"])
    with db.transaction() as session:
        query = select(Physician).where(Physician.npi == roster[0]["npi"])
        physician = session.scalars(query).one()
        good = Recipient(name="Ann\nLee", email="ann@example.org", timezone="UTC")
        bad = Recipient(name="Bo", email="bo@x@example.org", timezone="UTC")
        session.add_all([good, bad])
        session.flush()
        for r in (good, bad):
            subscription = Subscription(
                recipient_id=r.id, topic="digest", scope_type="physician", scope_id=physician.id
            )
            session.add(subscription)
    result = CliRunner().invoke(
        main, ["digest", "--week", "2026-W47", "--out", "o", "--now", NOW.isoformat()]
    )
    assert result.exit_code == 2 and "1 digest not written" in result.output, result.output
    assert "bad address 'bo@x@example.org'" in result.output
    (eml,) = (workdir / "o").glob("*.eml")  # the good one is written, whole
    msg = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert msg["To"] == "Ann Lee <ann@example.org>"


def test_digest_send_enqueues_once_per_week(workdir: Path) -> None:
    roster = setup_reviews(workdir)
    db = Database(os.environ["REPMON_DATABASE_URL"])
    with db.transaction() as session:
        recipient = Recipient(email="lead@example.org", name="Lead", timezone="America/Chicago")
        session.add(recipient)
        session.flush()
        session.add(
            Subscription(
                recipient_id=recipient.id,
                topic="digest",
                scope_type="practice",
                scope_id=roster[0]["practice_id"],
            )
        )
    db.dispose()
    first = run("digest", "--send", "--now", NOW.isoformat())
    assert "1 due, 1 enqueued, 0 already" in first.output, first.output
    again = run("digest", "--send", "--week", "2026-W47", "--now", NOW.isoformat())
    assert "1 due, 0 enqueued, 1 already" in again.output
    listed = run("digest", "--now", NOW.isoformat())
    assert "lead@example.org" in listed.output and "1 digest due" in listed.output
    out = run("digest", "--out", "sub", "--now", NOW.isoformat())
    assert len(list((workdir / "sub").glob("*.eml"))) == 1 and "preview" not in out.output
    bad = CliRunner().invoke(main, ["digest", "--week", "2026-W60"])
    assert bad.exit_code == 2 and "has no week" in bad.output
    # A week still running is not sent: it would stand in for the real digest once it ends.
    early = ["digest", "--send", "--week", "2026-W48", "--now", NOW.isoformat()]
    refused = CliRunner().invoke(main, early)
    assert refused.exit_code == 2 and "week 2026-W48 has not ended yet" in refused.output
    ended = (NOW + timedelta(days=7)).isoformat()
    sent = run("digest", "--send", "--week", "2026-W48", "--now", ended)
    assert "1 due, 1 enqueued, 0 already" in sent.output, sent.output


def test_reply_suggest_passes_the_check(workdir: Path) -> None:
    setup_reviews(workdir)
    result = run("reply", "suggest", "1")
    assert result.exit_code == 0, result.output
    assert "check: passed" in result.output and "<script>" not in result.output
    missing = CliRunner().invoke(main, ["reply", "suggest", "9999"])
    assert missing.exit_code == 2 and "no review with id 9999" in missing.output
    data = json.loads(run("reply", "suggest", "1", "--json").output)
    assert data["review_id"] == 1 and data["check"] == [] and data["reply"]
    assert data["template"] in (
        "bedside_manner",
        "service",
        "clinical_skill",
        "general",
        "positive",
    )


def test_reply_suggest_for_a_harm_review_says_it_is_routed_to_risk(workdir: Path) -> None:
    from reputation.mail.render import RISK_ROUTED
    from tests.factories import review_records, roster_csv, write_jsonl

    (workdir / "roster.csv").write_text(roster_csv(1))
    assert run("roster", "import", "roster.csv").exit_code == 0
    (record,) = review_records(1, 1)
    record.update(
        rating=1,
        text="During the surgery he punctured my bowel and I spent two weeks in intensive care.",
    )
    write_jsonl(workdir / "r.jsonl", [record])
    assert "1 new" in run("ingest", "r.jsonl", "--now", "2026-11-23T00:00:00Z").output
    assert run("reclassify").exit_code == 0
    result = run("reply", "suggest", "1")
    assert "template: safety" in result.output, result.output
    assert RISK_ROUTED in " ".join(result.output.split())
    assert json.loads(run("reply", "suggest", "1", "--json").output)["routed_to_risk"]
