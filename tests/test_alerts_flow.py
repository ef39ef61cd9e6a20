"""Alerts end to end on a database: history in, alerts and grouped emails out, once."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from alerts.evaluate import evaluate
from repmon.cli import main
from reputation.classifying import classify_stored
from reputation.db import Database
from reputation.ingest import ingest_file
from reputation.models import Alert, OutboxMessage
from reputation.roster import apply_roster, parse_roster
from reputation.settings import load_settings
from tests.factories import npi, roster_csv, write_jsonl

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
GOOD = "Very kind and thorough, explained everything."
BAD = "The doctor was rude and dismissive and did not listen to me."
HARM = "After the surgery I got a serious infection and nearly died; the surgeon botched it."


def history(seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for p in range(30):
        for month in range(12):
            for _ in range(rng.randint(1, 5)):
                when = NOW - timedelta(days=30 * month + rng.uniform(0, 30))
                negative = rng.random() < 0.15
                rows.append(
                    {
                        "source": "ratemds",
                        "external_id": f"h{len(rows)}",
                        "npi": npi(p),
                        "author": f"patient {rng.randrange(100000)}",
                        "rating": 1 if negative else 5,
                        "text": BAD if negative else GOOD,
                        "published_at": when.isoformat(),
                    }
                )
    for i in range(5):  # the planted cluster: 5 reviewers within 12 days on physician 7
        rows.append(
            {
                "source": "google",
                "external_id": f"c{i}",
                "npi": npi(7),
                "author": f"angry {i}",
                "rating": 1,
                "text": BAD,
                "published_at": (NOW - timedelta(days=12 - 2 * i)).isoformat(),
            }
        )
    rows.append(
        {
            "source": "yelp",
            "external_id": "harm1",
            "npi": npi(3),
            "author": "K",
            "rating": 1,
            "text": HARM,
            "published_at": (NOW - timedelta(days=1)).isoformat(),
        }
    )
    return rows


def _setup(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(30)))
    ingest_file(db, write_jsonl(tmp_path / "h.jsonl", history()), NOW)
    classify_stored(db, NOW)


def test_cluster_and_harm_alert_and_one_email_per_recipient(
    db: Database, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _setup(db, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    run = CliRunner().invoke
    assert run(main, ["recipients", "add", "risk@example.org", "--topic", "safety"]).exit_code == 0
    assert run(main, ["recipients", "add", "mgr@example.org", "--topic", "alerts"]).exit_code == 0
    settings = load_settings(None, {"REPMON_DATABASE_URL": db.url}, tmp_path)
    report = evaluate(db, settings, NOW)
    with db.session() as s:
        firing = s.scalars(select(Alert).where(Alert.state == "firing")).all()
        kinds = sorted((a.kind, a.labels["entity"]) for a in firing if a.kind != "unanswered")
        clusters = [a for a in firing if a.kind == "cluster"]
        assert clusters, kinds
        assert {a.labels["entity"] for a in clusters} <= {"physician:8", "practice:2"}, kinds
        harm = [a for a in firing if a.kind == "immediate"]
        assert [a.labels["category"] for a in harm] == ["harm"]
        c = clusters[0].annotations
        assert c["observed"] >= 5 and c["expected"] < 2 and c["q_value"] < 0.05
        mails = s.scalars(select(OutboxMessage)).all()
        assert sorted(m.to_addr for m in mails) == ["mgr@example.org", "risk@example.org"]
        risk = next(m for m in mails if m.to_addr == "risk@example.org")
        assert "harm" in risk.subject.lower() or "harm" in risk.body_text.lower()
    assert report.emails == 2
    # The same evaluation again changes nothing and sends nothing twice.
    again = evaluate(db, settings, NOW)
    assert again.emails == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_alerts_cli_list_show_backtest(db: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _setup(db, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    run = CliRunner().invoke
    out = run(main, ["alerts", "evaluate", "--now", NOW.isoformat()])
    assert out.exit_code == 0 and "fired" in out.output, out.output
    listed = run(main, ["alerts", "list", "--state", "firing", "--json"]).output.splitlines()
    assert listed
    assert run(main, ["alerts", "show", "1"]).exit_code == 0
    bt = run(main, ["alerts", "backtest", "--from", "2026-01-01", "--to", "2026-11-21"])
    assert bt.exit_code == 0 and "would have fired" in bt.output, bt.output
    silence = run(main, ["alerts", "silence", "--match", "kind=unanswered", "--reason", "triaged"])
    assert silence.exit_code == 0 and "silence 1" in silence.output
