"""Alerts end to end on a database: history in, alerts and grouped emails out, once."""

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from alerts.detectors import Thresholds, history_horizon, run_detectors
from alerts.evaluate import evaluate
from alerts.history import HistoryCache, load_history
from alerts.simulation import generate_history, plant_clusters
from repmon.cli import main
from reputation.classifier.stored import classify_stored
from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.mentions import candidates, store_mention
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import Alert, OutboxMessage, Physician, Review, Silence
from tests.factories import npi, roster_csv, store_history, write_jsonl

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
        assert sorted({m.to_addr for m in mails}) == ["mgr@example.org", "risk@example.org"]
        risk = next(m for m in mails if m.to_addr == "risk@example.org")
        assert "harm" in risk.subject.lower() or "harm" in risk.body_text.lower()
    assert report.emails == len(mails) and report.recipients == 2  # counts agree with the outbox
    status = CliRunner().invoke(main, ["status"], env={"REPMON_DATABASE_URL": db.url})
    assert "Possible patient harm 1" in status.output, status.output  # the mails' words
    # The same evaluation again changes nothing and sends nothing twice.
    again = evaluate(db, settings, NOW)
    assert again.emails == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == len(mails)


def test_alerts_cli_list_show_backtest(db: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _setup(db, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    run = CliRunner().invoke
    out = run(main, ["alerts", "evaluate", "--now", NOW.isoformat()])
    assert out.exit_code == 0 and "New " in out.output, out.output
    listed = run(main, ["alerts", "list", "--state", "firing", "--json"]).output.splitlines()
    assert listed
    # Fired by this evaluation: New in the list, as in their mails; Ongoing a day later.
    table = run(main, ["alerts", "list", "--state", "firing", "--now", NOW.isoformat()]).output
    assert "New" in table and "Ongoing" not in table, table
    later = (NOW + timedelta(days=2)).isoformat()
    table = run(main, ["alerts", "list", "--state", "firing", "--now", later]).output
    assert "Ongoing" in table and "New" not in table, table
    assert run(main, ["alerts", "show", "1"]).exit_code == 0
    bt = run(main, ["alerts", "backtest", "--from", "2026-01-01", "--to", "2026-11-21"])
    ahead = ["alerts", "backtest", "--from", "2026-11-01", "--to", "2027-03-01"]
    future = run(main, [*ahead, "--now", NOW.isoformat()])
    assert future.exit_code == 2 and "--to 2027-03-01 is in the future" in future.output
    assert bt.exit_code == 0 and "would have fired" in bt.output, bt.output
    silence = run(main, ["alerts", "silence", "--match", "kind=unanswered", "--reason", "triaged"])
    assert silence.exit_code == 0 and "silence 1" in silence.output
    assert "kind=unanswered (" in silence.output  # as typed, with what it mutes now
    cluster = json.loads(next(line for line in listed if '"cluster"' in line))
    entity = cluster["labels"]["entity"]
    mute = ["alerts", "silence", "--match", f"entity={entity}", "--reason", "known"]
    every = [json.loads(x) for x in run(main, ["alerts", "list", "--json"]).output.splitlines()]
    named = sum(a["labels"]["entity"] == entity and a["state"] != "resolved" for a in every)
    assert named >= 1 and f"mutes {named} open alert" in run(main, mute).output
    typo = run(main, ["alerts", "silence", "--match", "kind=clustr", "--reason", "x"])
    assert typo.exit_code == 2 and "kind is one of cluster, harm" in typo.output
    nobody = run(main, ["alerts", "silence", "--match", "entity=physician:99999", "--reason", "x"])
    assert nobody.exit_code == 2 and "no physician with id 99999" in nobody.output
    with db.session() as s:  # neither refused silence was stored
        assert s.scalar(select(func.count()).select_from(Silence)) == 2


def test_loading_only_the_horizon_finds_exactly_what_the_whole_history_finds(db: Database) -> None:
    # Three years of history on 60 physicians, clusters planted early and late, an old review
    # alleging harm first crawled yesterday, and physicians whose first review is years old.
    start = datetime(2023, 11, 1, tzinfo=UTC)
    simulated = generate_history(seed=5, physicians=60, months=36, practices=4, start=start)
    simulated, planted = plant_clusters(simulated, 6, seed=5, earliest_day=200)
    old_harm = simulated.events[10].review_id
    store_history(db, simulated, simulated.events, harm={old_harm})
    with db.transaction() as s:
        s.get_one(Review, old_harm).first_seen_at = simulated.end - timedelta(days=1)
    thresholds = Thresholds()
    horizon = history_horizon(thresholds)
    assert horizon >= timedelta(days=90 + 365)
    checks = [simulated.end - timedelta(days=d) for d in (0, 5, 40, 200)]
    found_any = set()
    for now in checks:
        with db.session() as s:
            whole = load_history(s, now)
            recent = load_history(s, now, since=now - horizon)
        assert recent.size < whole.size  # the point: less is loaded
        expected = run_detectors(whole, now, thresholds)
        assert run_detectors(recent, now, thresholds) == expected
        found_any |= {type(a).__name__ for a in expected}
    assert {"ClusterAlert", "FlagBacklogAlert"} <= found_any  # the comparison covered both
    assert planted


def test_the_cache_reads_only_what_changed_and_finds_what_a_full_load_finds(
    db: Database, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    cache, thresholds = HistoryCache(), Thresholds()
    horizon = history_horizon(thresholds)

    def both(now: datetime) -> list[object]:
        with db.session() as s:
            cached = cache.history(s, now, now - horizon)
            fresh = load_history(s, now, since=now - horizon)
        found = run_detectors(cached, now, thresholds)
        assert found == run_detectors(fresh, now, thresholds)
        assert cached.size == fresh.size
        return list(found)

    before = {a.fingerprint() for a in both(NOW)}  # type: ignore[attr-defined]
    assert cache.full_loads == 1 and cache.changed > 1000
    again = {a.fingerprint() for a in both(NOW + timedelta(minutes=5))}  # type: ignore[attr-defined]
    assert again == before and cache.changed == 0
    # New reviews (a cluster on another physician), an edit that turns a cluster review
    # positive, a reclassification, and the harm review deleted.
    later = NOW + timedelta(hours=2)
    rows: list[dict[str, object]] = [
        {
            "source": "google",
            "external_id": f"d{i}",
            "npi": npi(12),
            "author": f"upset {i}",
            "rating": 1,
            "text": BAD,
            "published_at": (NOW - timedelta(days=9 - 2 * i)).isoformat(),
        }
        for i in range(5)
    ]
    rows.append(
        {
            "source": "google",
            "external_id": "c0",
            "npi": npi(7),
            "author": "angry 0",
            "rating": 5,
            "text": GOOD,
            "published_at": (NOW - timedelta(days=12)).isoformat(),
        }
    )
    ingest_file(db, write_jsonl(tmp_path / "more.jsonl", rows), later)
    classify_stored(db, later)
    with db.transaction() as s:
        harm = s.scalars(select(Review).where(Review.external_id == "harm1")).one()
        harm.deleted_at = later
    after = both(later)
    assert cache.full_loads == 1 and 0 < cache.changed <= 10
    kinds = {(type(a).__name__, a.labels()["entity"]) for a in after}  # type: ignore[attr-defined]
    assert ("ClusterAlert", "physician:13") in kinds
    assert not [a for a in after if type(a).__name__ == "ImmediateAlert"]
    # A social post joins the evidence: the cached reviews stay, the index takes the post.
    with db.transaction() as s:
        doc = s.scalars(select(Physician).where(Physician.npi == npi(12))).one()
        place = doc.practice.name if doc.practice else ""
        post = {
            "source": "reddit",
            "external_id": "p1",
            "author": "u/upset",
            "text": f"{' '.join(doc.name.split()[1:3])} at {place}: {BAD}",
            "published_at": (later - timedelta(hours=1)).isoformat(),
        }
        assert store_mention(s, post, candidates(s), later)
    classify_stored(db, later)
    with_post = later + timedelta(minutes=1)
    both(with_post)
    with db.session() as s:
        cached = cache.history(s, with_post, with_post - horizon)
    assert cache.changed == 0 and cache.columns is not None
    assert cached.size == cache.columns.ids.size + 1 and cached.index.social.any()
    # A day later the window moved and nothing changed: nothing is read again.
    both(later + timedelta(days=1, minutes=1))
    assert cache.full_loads == 1 and cache.changed == 0


def test_an_old_harm_review_from_an_import_reaches_safety_as_one_summary(
    db: Database, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Issue 12: a history import brings three reviews from years ago alleging harm: the
    # safety team gets one summary naming them, not three pages.
    _setup(db, tmp_path)
    rows = [
        {
            "source": "yelp",
            "external_id": f"old{i}",
            "npi": npi(4 + i),
            "author": f"O{i}",
            "rating": 1,
            "text": HARM,
            "published_at": (NOW - timedelta(days=400 + 100 * i)).isoformat(),
        }
        for i in range(3)
    ]
    ingest_file(db, write_jsonl(tmp_path / "old.jsonl", rows), NOW)
    classify_stored(db, NOW)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPMON_DATABASE_URL", db.url)
    assert CliRunner().invoke(main, ["recipients", "add", "risk@example.org", "--topic", "safety"])
    settings = load_settings(None, {"REPMON_DATABASE_URL": db.url}, tmp_path)
    evaluate(db, settings, NOW)
    with db.session() as s:
        firing = s.scalars(select(Alert).where(Alert.state == "firing")).all()
        (summary,) = [a for a in firing if a.kind == "flag_backlog"]
        assert summary.annotations["summary"] == "3 older reviews allege harm"
        old = s.scalars(select(Review.id).where(Review.external_id.like("old%"))).all()
        assert sorted(summary.annotations["review_ids"]) == sorted(old)
        pages = [a for a in firing if a.kind == "immediate"]
        assert [a.labels["category"] for a in pages] == ["harm"]  # the recent one, harm1
        risk = [m for m in s.scalars(select(OutboxMessage)) if m.to_addr == "risk@example.org"]
        # two emails, each on its own: the new review's page, and one summary of the old ones
        subjects = sorted(m.subject for m in risk)
        assert len(risk) == 2 and subjects[0].startswith("3 older reviews allege harm"), subjects
        summary_mail = next(m for m in risk if m.subject.startswith("3 older"))
        assert "before we started watching" in summary_mail.body_text
        assert "Routed to risk management" in summary_mail.body_text
        assert "Crawl" not in summary_mail.subject
