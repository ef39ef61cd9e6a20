"""Social mentions reach people: `repmon mentions`, a person's assignment, and alerting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerts.evaluate import evaluate
from alerts.notify import describe_alert
from repmon.cli import main
from reputation.classifier.stored import classify_stored
from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.mail.render import render_mail
from reputation.mentions import candidates, post_text, store_mention
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import Alert, Mention, Physician
from tests.factories import npi, roster_csv, write_jsonl

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
RUDE = "{name} at {place} was rude and dismissive and did not listen to me at all."
HARM = "{name} at {place} botched my surgery; I got a serious infection and nearly died."


def _physician(db: Database, i: int) -> tuple[str, str]:
    """The roster name ("Ben Abara") and practice of the i-th test physician."""
    with db.session() as s:
        doc = s.scalars(select(Physician).where(Physician.npi == npi(i))).one()
        assert doc.practice is not None
        return " ".join(doc.name.split()[1:3]), doc.practice.name


def _post(db: Database, key: str, text: str, when: datetime, author: str = "") -> bool:
    raw: dict[str, object] = {
        "source": "reddit",
        "external_id": key,
        "author": author or f"u/{key}",
        "title": "",
        "text": text,
        "url": f"https://reddit.example/r/city/{key}",
        "published_at": when.isoformat(),
    }
    with db.transaction() as s:
        return store_mention(s, raw, candidates(s), NOW)


@pytest.fixture
def roster(db: Database) -> Database:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(30)))
    return db


@pytest.mark.parametrize(
    ("title", "text", "shown"),
    [
        (
            "Shout-out to Dr",
            "Shout-out to Dr. Abara, who listened.",
            "Shout-out to Dr. Abara, who listened.",
        ),
        ("Avoid Dr. Abara…", "Avoid Dr. Abara. Rude.", "Avoid Dr. Abara. Rude."),
        ("Rude doctor", "Dr. Abara never looked up.", "Rude doctor Dr. Abara never looked up."),
        ("", "Dr. Abara never looked up.", "Dr. Abara never looked up."),
        ("Dr. Abara never looked up", "", "Dr. Abara never looked up"),
    ],
)
def test_a_post_is_shown_once_even_when_its_title_is_its_first_words(
    title: str, text: str, shown: str
) -> None:
    assert post_text(title, text) == shown


def test_list_assign_and_a_later_crawl_keeps_the_assignment(
    roster: Database, workdir: Path
) -> None:
    db = roster
    name, place = _physician(db, 13)
    assert _post(db, "m1", RUDE.format(name=name, place=place), NOW - timedelta(days=2))
    assert _post(db, "m2", "Some doctor downtown was rude to my mother.", NOW - timedelta(days=1))
    classify_stored(db, NOW)
    run = CliRunner().invoke

    def listed(*args: str) -> list[dict[str, object]]:
        out = run(main, ["mentions", "--json", *args])
        assert out.exit_code == 0, out.output
        return [json.loads(line) for line in out.output.splitlines()]

    rows = listed()
    assert [r["external_id"] for r in rows] == ["m2", "m1"]  # newest first
    matched = rows[1]
    assert matched["npi"] == npi(13) and matched["confidence"] == 0.95
    assert matched["url"] == "https://reddit.example/r/city/m1"
    assert matched["sentiment"] == "negative" and matched["categories"]
    assert [r["external_id"] for r in listed("--unmatched")] == ["m2"]
    assert [r["external_id"] for r in listed("--physician", npi(13))] == ["m1"]
    assert {r["external_id"] for r in listed("--negative")} == {"m1", "m2"}
    csv_out = run(main, ["mentions", "--csv"]).output.splitlines()
    assert csv_out[0].startswith("id,source,external_id,url") and len(csv_out) == 3
    assert "reddit" in run(main, ["mentions"]).output  # the table

    unmatched, wrong = int(str(rows[0]["id"])), int(str(rows[1]["id"]))
    out = run(main, ["mentions", "assign", str(unmatched), "--physician", npi(4), "--by", "kim"])
    assert out.exit_code == 0 and "physician" in out.output, out.output
    assert run(main, ["mentions", "assign", str(wrong), "--none"]).exit_code == 0
    # The next crawl sees both posts again: it stores nothing and keeps both decisions.
    assert not _post(db, "m1", RUDE.format(name=name, place=place), NOW - timedelta(days=2))
    assert not _post(db, "m2", "Some doctor downtown was rude to my mother.", NOW)
    after = {r["external_id"]: r for r in listed()}
    assert after["m2"]["npi"] == npi(4) and after["m2"]["assignment"] == "confirmed"
    assert after["m2"]["confidence"] == 1.0 and after["m2"]["assigned_by"] == "kim"
    assert after["m1"]["npi"] == "" and after["m1"]["assignment"] == "rejected"
    assert listed("--unmatched") == []  # a rejected post is decided, not unmatched

    bad = run(main, ["mentions", "assign", "999", "--none"])
    assert bad.exit_code == 2 and "no social post 999" in bad.output
    both = run(main, ["mentions", "assign", str(wrong), "--none", "--physician", npi(4)])
    assert both.exit_code == 2 and "exactly one" in both.output


def test_social_posts_in_alerting(roster: Database, tmp_path: Path) -> None:
    # A harm post pages like a review; negative posts matched surely (name and place) count
    # toward a cluster, and the alert names them as social posts, apart from reviews.
    db = roster
    name, place = _physician(db, 13)
    for k in range(5):
        text = RUDE.format(name=name, place=place)
        _post(db, f"neg{k}", text, NOW - timedelta(days=2 + 2 * k), author=f"u/angry{k}")
    weak, _ = _physician(db, 14)  # name only, no place: 0.7, pages on harm but never clusters
    for k in range(5):
        text = f"{weak} was rude and dismissive and did not listen to me at all."
        _post(db, f"weak{k}", text, NOW - timedelta(days=2 + 2 * k), author=f"u/weak{k}")
    harm_name, harm_place = _physician(db, 20)
    _post(db, "harm", HARM.format(name=harm_name, place=harm_place), NOW - timedelta(days=1))
    _history(db, tmp_path)
    classify_stored(db, NOW)
    settings = load_settings(None, {"REPMON_DATABASE_URL": db.url}, tmp_path)
    evaluate(db, settings, NOW, notify=False)
    with db.session() as s:
        firing = s.scalars(select(Alert).where(Alert.state == "firing")).all()
        ids = {m.external_id: m.id for m in s.scalars(select(Mention))}
        doc = {p.npi: p.id for p in s.scalars(select(Physician))}
    pages = [a for a in firing if a.kind == "immediate"]
    assert [(a.labels["entity"], a.labels["window"]) for a in pages] == [
        (f"physician:{doc[npi(20)]}", f"mention:{ids['harm']}")
    ]
    assert pages[0].annotations["mention_ids"] == [ids["harm"]]
    clusters = [a for a in firing if a.kind == "cluster"]
    on = {a.labels["entity"] for a in clusters}
    assert f"physician:{doc[npi(13)]}" in on and f"physician:{doc[npi(14)]}" not in on
    lead = next(a for a in clusters if a.labels["entity"] == f"physician:{doc[npi(13)]}")
    assert set(lead.annotations["mention_ids"]) == {ids[f"neg{k}"] for k in range(5)}
    notes = lead.annotations  # every negative by its own author: reviews and posts add up
    assert notes["observed"] == len(notes["mention_ids"]) + len(notes["review_ids"])
    # The email shows which evidence came from social posts, and routes the harm post to risk.
    with db.session() as s:
        page = describe_alert(s, s.get_one(Alert, pages[0].id), "fired", NOW)
        cluster = describe_alert(s, s.get_one(Alert, lead.id), "fired", NOW)
        context = {
            "recipient": {"name": "", "email": "risk@example.org"}, "now": NOW, "tz": "UTC",
            "topic": "safety", "subject": page["subject"], "alerts": [page],
            "sender": "repmon@example.org", "deadline_days": 7, "unsubscribe": "mailto:x",
        }  # fmt: skip
        mail = render_mail("alert", context)
    (post,) = page["reviews"]
    assert post["social"] and post["flags"] == ["harm"] and post["draft"] is None
    assert "social post" in mail.text and "Routed to risk management" in mail.text
    assert "social post" in mail.html and "Routed to risk management" in mail.html
    social = [r for r in cluster["reviews"] if r.get("social")]
    assert {r["id"] for r in social} == {ids[f"neg{k}"] for k in range(5)}


def _history(db: Database, folder: Path) -> None:
    """A year of ordinary reviews (one negative in eight), so clusters have a baseline."""
    rows = []
    for p in range(30):
        for m in range(12):
            for j in range(3):
                negative = (p + m + j) % 8 == 0
                rows.append(
                    {
                        "source": "ratemds",
                        "external_id": f"h{p}-{m}-{j}",
                        "npi": npi(p),
                        "author": f"patient {p}-{m}-{j}",
                        "rating": 1 if negative else 5,
                        "text": "Rude and dismissive, did not listen." if negative else "Kind.",
                        "published_at": (NOW - timedelta(days=30 * m + 10 * j + 3)).isoformat(),
                    }
                )
    ingest_file(db, write_jsonl(folder / "h.jsonl", rows), NOW)
