"""Email a person can act on: triaged alert mail, harm handled the same everywhere, threads
per recipient, and the headers mail clients and list tools expect (issues 16 and 13)."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerts.evaluate import evaluate
from alerts.lifecycle import AlertState, Transition
from alerts.notify import _reviews, enqueue_alert_mail, plan_mails
from alerts.notify import alert_context as alert_context_of
from repmon.app import console as app_console
from repmon.cli import main
from reputation.classifier.stored import classify_stored
from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.mail.message import Outgoing, build_message, plain_address
from reputation.mail.render import RISK_ROUTED, flag_spans, render_mail, safe_url, source_name
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import (
    Alert,
    AlertThread,
    Classification,
    OutboxMessage,
    Recipient,
    Review,
    Subscription,
)
from tests.factories import npi, roster_csv, write_jsonl
from tests.test_alerts_flow import NOW, history
from tests.test_render import alert_context

SIDE = "The parking was a nightmare and the receptionist was rude."
ALLEGES = "I developed sepsis after the operation and spent a week in intensive care."


def _world(db: Database, tmp_path: Path) -> None:
    """30 physicians' history with a planted cluster, plus a 10-day-old unanswered harm review."""
    rows = history()
    rows.append(
        {
            "source": "healthgrades",
            "external_id": "harm-old",
            "npi": npi(3),
            "author": "Dolores M.",
            "rating": 1,
            "text": f"{SIDE} {ALLEGES} Nobody explained anything.",
            "url": "https://www.healthgrades.com/review/harm-old",
            "published_at": (NOW - timedelta(days=10)).isoformat(),
        }
    )
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(30)))
    ingest_file(db, write_jsonl(tmp_path / "h.jsonl", rows), NOW)
    classify_stored(db, NOW)


def _subscribe(db: Database, email_addr: str, topic: str) -> int:
    with db.transaction() as s:
        r = Recipient(email=email_addr, name=email_addr.split("@")[0].title())
        s.add(r)
        s.flush()
        s.add(Subscription(recipient_id=r.id, topic=topic, scope_type="all", scope_id=0))
        return r.id


def _mails(db: Database, to: str) -> list[OutboxMessage]:
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.to_addr == to).order_by(OutboxMessage.id)
        )
        return list(rows)


def _settings(db: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(None, {"REPMON_DATABASE_URL": db.url}, tmp_path).with_overrides(
        mail__sender="Reputation Monitor <alerts@hospital.example.org>"
    )


def test_harm_with_no_safety_recipient_goes_to_those_who_follow_alerts(
    db: Database, tmp_path: Path
) -> None:
    _world(db, tmp_path)
    _subscribe(db, "mgr@example.org", "alerts")  # nobody for safety yet
    evaluate(db, _settings(db, tmp_path), NOW)
    safety = [m for m in _mails(db, "mgr@example.org") if m.kind == "safety"]
    assert len(safety) == 2  # each alleged harm still reaches a person, on its own


def test_alert_mail_is_triaged_into_safety_clusters_and_one_reply_queue(
    db: Database, tmp_path: Path
) -> None:
    _world(db, tmp_path)
    _subscribe(db, "risk@example.org", "safety")
    _subscribe(db, "mgr@example.org", "alerts")
    evaluate(db, _settings(db, tmp_path), NOW)
    risk, mgr = _mails(db, "risk@example.org"), _mails(db, "mgr@example.org")
    # Each harm review on its own, marked as safety mail.
    assert len(risk) == 2 and {m.kind for m in risk} == {"safety"}
    queues = [m for m in mgr if "awaiting a reply" in m.subject]
    clusters = [
        m for m in mgr if re.search(r"\d+ (negative reviews|[\w-]+ complaints) in", m.subject)
    ]
    assert len(queues) == 1 and clusters
    for m in risk + mgr:
        assert len(m.subject) <= 70, m.subject
        assert "Reputation Monitor" not in m.subject and "(+" not in m.subject
    assert all(re.match(r"Dr\. \w+: ", m.subject) for m in risk), [m.subject for m in risk]
    # The reply queue: grouped by physician, oldest first within each, each review once.
    queue = queues[0].body_text
    for part in (queue, queues[0].body_html):  # says which reviews it leaves to the digest
        assert re.search(r"published more than\s+60 days ago are not queued", part)
    ids = re.findall(r"Respond on \w+: (\S+)", queue)
    assert len(ids) == len(set(ids))
    blocks = re.split(r"\n={72}\n(.+) \(\d+\)\n={72}\n", queue)
    names = blocks[1::2]
    assert len(names) == len(set(names)) > 1
    for body in blocks[2::2]:
        ages = [int(a) for a in re.findall(r"\n  (\d+) days? without a reply", body)]
        assert ages == sorted(ages, reverse=True)


def test_harm_review_carries_one_banner_and_no_reply_anywhere(db: Database, tmp_path: Path) -> None:
    _world(db, tmp_path)
    _subscribe(db, "risk@example.org", "safety")
    _subscribe(db, "mgr@example.org", "alerts")
    evaluate(db, _settings(db, tmp_path), NOW)
    safety = next(m for m in _mails(db, "risk@example.org") if "Dolores M." in m.body_text)
    queue = next(m for m in _mails(db, "mgr@example.org") if "awaiting a reply" in m.subject)
    for part in (safety.body_text, safety.body_html, queue.body_text, queue.body_html):
        assert part.count(RISK_ROUTED) >= 1
    # In the queue the harm review has the banner in place of a deadline, draft and link.
    harm = queue.body_text.split("Dolores M.")[1].split("\n- ")[0]
    assert RISK_ROUTED in harm and harm.count(RISK_ROUTED) == 1
    assert "Respond on" not in harm and "Suggested reply" not in harm
    assert "without a reply" not in harm and "harm-old" not in harm
    html = queue.body_html.split("Dolores M.")[1].split('class="review"')[0]
    assert "Respond on" not in html and "Suggested reply" not in html and "harm-old" not in html
    # The harm alert marks the sentence that alleges harm, not the side complaint.
    text = " ".join(safety.body_text.replace("\n  ", " ").split())
    assert f"»{ALLEGES}«" in text and f"»{SIDE}«" not in text
    assert re.search(f"<mark[^>]*>{ALLEGES}</mark>", safety.body_html.replace("\n", " "))


def test_flag_spans_find_the_alleging_sentence_past_titles() -> None:
    text = "Lovely lobby. Dr. Valdivia perforated my bowel. I developed sepsis. Parking ok."
    assert [text[a:b] for a, b in flag_spans(text, "harm")] == [
        "Dr. Valdivia perforated my bowel.",
        "I developed sepsis.",
    ]
    assert flag_spans("I will sue this clinic.", "legal") == [(0, 23)]


def test_praise_gets_no_complaint_chips_or_highlighting(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(1)))
        review = Review(
            source="google", external_id="p1", physician_id=1, rating=5.0, author="Al",
            text="Never rushed, explained everything, five stars.", content_hash="x",
            published_at=NOW - timedelta(days=2), first_seen_at=NOW, last_seen_at=NOW,
        )  # fmt: skip
        s.add(review)
        s.flush()
        s.add(
            Classification(
                review_id=review.id,
                classifier_version=_version(),
                content_hash="x",
                created_at=NOW,
                compound=0.9,
                label="positive",
                negative=False,
                bedside_manner=True,
                detail={
                    "categories": [
                        {
                            "name": "bedside_manner",
                            "evidence": [{"text": "Never rushed", "start": 0, "end": 12}],
                        }
                    ]
                },
            )
        )
        s.flush()
        shown = _reviews(s, [review.id], NOW, None)
    assert shown[0]["chips"] == [] and shown[0]["evidence"] == []
    context = alert_context()
    context["alerts"][0]["reviews"] = shown
    mail = render_mail("alert", context)
    assert "<mark" not in mail.html and "»" not in mail.text.split("--")[0]
    assert ">bedside manner</span>" not in mail.html and "[bedside manner]" not in mail.text


def _version() -> str:
    from reputation.classifier.classify import CLASSIFIER_VERSION

    return CLASSIFIER_VERSION


def test_follow_ups_thread_per_recipient(db: Database, tmp_path: Path) -> None:
    settings = _settings(db, tmp_path)
    labels = {"kind": "crawl_health", "entity": "source:yelp", "category": "blocked", "window": ""}
    state = AlertState("f" * 64, "crawl_health", labels, "firing", NOW, NOW)
    with db.transaction() as s:
        s.add(
            Alert(fingerprint="f" * 64, kind="crawl_health", labels=labels, state="firing",
                  annotations={"since": NOW.isoformat(), "detail": "HTTP 403"},
                  started_at=NOW, last_seen_at=NOW)
        )  # fmt: skip
    first = _subscribe(db, "first@example.org", "alerts")

    def notify(recipient: int, event: str, when: datetime) -> OutboxMessage:
        with db.transaction() as s:
            row = s.scalars(select(Alert)).one()
            moves = [(Transition(row.fingerprint, event, state, None, True), row)]  # type: ignore[arg-type]
            context = alert_context_of(s, recipient, moves, when, settings)
            assert enqueue_alert_mail(s, recipient, moves, context, when) == 1
        return _mails(db, "first@example.org" if recipient == first else "second@example.org")[-1]

    opening = notify(first, "fired", NOW)
    # A source problem holds no reviews: its footer says nothing of highlighted sentences.
    assert "highlighted" not in opening.body_html and "»like this«" not in opening.body_text
    assert "sources.\nUnsubscribe from alerts" in opening.body_text.replace("\r\n", "\n")
    second = _subscribe(db, "second@example.org", "alerts")
    later = NOW + timedelta(days=7)
    assert notify(first, "reminder", later).in_reply_to == opening.message_id
    # The second subscriber's first email starts their own thread ...
    theirs = notify(second, "reminder", later)
    assert theirs.in_reply_to is None
    # ... and their follow-ups reply to it, not to a message they never received.
    assert notify(second, "resolved", later + timedelta(days=1)).in_reply_to == theirs.message_id


def test_headers_mark_automatic_mail_a_list_and_safety_as_important() -> None:
    sender = "Reputation Monitor <alerts@hospital.example.org>"
    subject = "Dr. Valdivia: alleged patient harm in a review"
    out = Outgoing(1, "risk@example.org", "Risk", subject, "<abc@hospital.example.org>",
                   None, None, "text", "<p>html</p>", "safety")  # fmt: skip
    msg = build_message(out, sender, NOW)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Id"] == "Reputation Monitor alerts <alerts.hospital.example.org>"
    assert msg["List-Unsubscribe"] == (
        "<mailto:alerts@hospital.example.org?subject=unsubscribe%20alerts>"
    )
    assert msg["Importance"] == "high"
    digest = build_message(
        Outgoing(2, "a@example.org", "", "s", "<d@x>", None, None, "t", "h", "digest"), sender, NOW
    )
    assert digest["Importance"] is None and "digest.hospital.example.org" in digest["List-Id"]
    parsed = email.message_from_bytes(bytes(msg), policy=default)
    assert parsed["List-Unsubscribe"].strip().startswith("<mailto:")


def test_message_ids_are_on_the_senders_domain(db: Database, tmp_path: Path) -> None:
    _world(db, tmp_path)
    _subscribe(db, "mgr@example.org", "alerts")
    evaluate(db, _settings(db, tmp_path), NOW)
    assert all(
        m.message_id.endswith("@hospital.example.org>") for m in _mails(db, "mgr@example.org")
    )


def test_unsubscribe_is_honoured_by_repmon_recipients(workdir: Path) -> None:
    run = CliRunner().invoke
    assert run(main, ["init"]).exit_code == 0
    for topic in ("alerts", "digest"):
        assert run(main, ["recipients", "add", "a@example.org", "--topic", topic]).exit_code == 0
    out = run(main, ["recipients", "unsubscribe", "a@example.org", "--topic", "alerts"])
    assert out.exit_code == 0 and "1 subscription removed, 1 left" in out.output
    listed = run(main, ["recipients", "list", "--json"]).output
    assert "digest:all:0" in listed and "alerts:all:0" not in listed
    assert run(main, ["recipients", "add", "a@example.org", "--topic", "alerts"]).exit_code == 0
    table = run(main, ["recipients", "list"]).output  # in the words `add` uses, not codes
    assert "alerts, digest for all" in table and ":all:" not in table, table
    out = run(main, ["recipients", "unsubscribe", "nobody@example.org"])
    assert out.exit_code != 0 and "no recipient nobody@example.org" in out.output


def test_links_and_source_names_people_can_use() -> None:
    broken = "http://h/schemaorg/p/d#http://h/schemaorg/p/d#review-rev-152"
    assert safe_url(broken) == "http://h/schemaorg/p/d#review-rev-152"
    assert safe_url("https://x.example/a#b#c") == ""
    assert source_name("schemaorg") == "schema.org pages" and source_name("ratemds") == "RateMDs"


def test_plan_keeps_each_safety_alert_alone_and_batches_unanswered() -> None:
    from types import SimpleNamespace as NS

    def row(kind: str, entity: str, fp: str) -> NS:
        return NS(kind=kind, labels={"entity": entity}, fingerprint=fp)

    move = NS(event="fired")
    rows = [
        row("unanswered", "physician:1", "u1"),
        row("immediate", "physician:2", "h1"),
        row("cluster", "physician:3", "c1"),
        row("immediate", "physician:2", "h2"),
        row("cluster", "physician:3", "c2"),
        row("unanswered", "physician:4", "u2"),
        row("crawl_health", "source:yelp", "s1"),
    ]
    plan = plan_mails([(move, r) for r in rows])  # type: ignore[misc]
    assert [p.topic for p in plan] == ["safety", "safety", "cluster", "crawl_health", "replies"]
    assert [[r.fingerprint for _, r in p.moves] for p in plan] == [
        ["h1"],
        ["h2"],
        ["c1", "c2"],
        ["s1"],
        ["u1", "u2"],
    ]


def test_alerts_list_and_show_speak_in_names_and_words(
    db: Database, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _world(db, tmp_path)
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    monkeypatch.setattr(app_console, "width", 200)  # a table row per alert, not wrapped
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    assert run(main, ["alerts", "evaluate", "--now", NOW.isoformat()]).exit_code == 0
    listed = run(main, ["alerts", "list", "--state", "firing", "--now", NOW.isoformat()]).output
    assert "Dr. Dev Abara 3" in listed and "physician:" not in listed
    assert "possible patient harm" in listed and "Firing" not in listed and "firing" not in listed
    with db.session() as s:
        harm = s.scalars(select(Alert).where(Alert.kind == "immediate")).first()
        assert harm is not None
    shown = run(main, ["alerts", "show", str(harm.id), "--now", NOW.isoformat()]).output
    assert "Alleged patient harm in a review of Dr. Dev Abara 3" in shown
    flat = " ".join(shown.split())
    assert RISK_ROUTED in flat and ("nearly died" in flat or ALLEGES in flat) and "q = " not in flat
    assert '"fingerprint"' in run(main, ["alerts", "show", str(harm.id), "--json"]).output


def test_evaluate_says_how_many_emails_it_enqueued(
    db: Database, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _world(db, tmp_path)
    _subscribe(db, "mgr@example.org", "alerts")
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["alerts", "evaluate", "--now", NOW.isoformat()]).output
    sent = len(_mails(db, "mgr@example.org"))
    assert sent > 1 and f"{sent} emails to 1 recipient enqueued" in out
    again = CliRunner().invoke(main, ["alerts", "evaluate", "--now", NOW.isoformat()]).output
    assert "0 emails to 0 recipients enqueued" in again


def test_migration_keeps_each_existing_thread_with_its_recipient(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from reputation.storage.db import alembic_config

    old = Database(db_url)
    with old.engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    at = NOW.isoformat(" ")
    with old.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO recipient (id, email, name, timezone) VALUES (7, 'a@x.org', '', '')")
        )
        conn.execute(
            text(
                "INSERT INTO alert (id, fingerprint, kind, labels, annotations, state, started_at,"
                " last_seen_at, thread_message_id, consecutive) VALUES (3, 'f', 'cluster', '{}',"
                " '{}', 'firing', :at, :at, '<m1@x.org>', 1)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO outbox_message (dedup_key, kind, recipient_id, to_addr, subject,"
                " message_id, body_text, body_html, status, attempts, created_at,"
                " next_attempt_at) VALUES ('k', 'alert', 7, 'a@x.org', 's', '<m1@x.org>', '',"
                " '', 'sent', 1, :at, :at)"
            ),
            {"at": at},
        )
    assert old.upgrade()[1] == old.head_revision()
    with old.session() as s:
        (thread,) = s.scalars(select(AlertThread)).all()
    assert (thread.alert_id, thread.recipient_id, thread.message_id) == (3, 7, "<m1@x.org>")
    old.dispose()


@pytest.mark.parametrize(
    ("addr", "plain"),
    [
        ("ann@example.org", True),
        ("ann@x@example.org", False),
        ("ann@", False),
        ("@example.org", False),
        ("Ann <ann@example.org>", False),
        ("ann@example.org\r\nBcc: x@example.org", False),
        ("a@b.org, c@d.org", False),
    ],
    ids=["plain", "two-ats", "no-domain", "no-local-part", "display-name", "crlf", "two-addresses"],
)
def test_one_check_of_a_plain_address_for_the_relay_and_the_cli(
    workdir: Path, addr: str, plain: bool
) -> None:
    assert plain_address(addr) is plain
    result = CliRunner().invoke(main, ["recipients", "add", addr, "--topic", "alerts"])
    assert (result.exit_code == 0) is plain, result.output
    if not plain:
        assert "is not a plain email address" in result.output
