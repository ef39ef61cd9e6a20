"""`repmon demo`: the whole product on the local sandbox, end to end, on a fresh database."""

from __future__ import annotations

import asyncio
import json
import mailbox
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from sqlalchemy import select

from alerts.evaluate import evaluate
from alerts.kinds import entity_label
from repmon.processes import CrawlRequest, run_crawls
from repmon.relay import drain
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.classifier.stored import classify_stored
from reputation.digests.plan import DigestOptions, enqueue_digests
from reputation.imports.roster import apply_roster, parse_roster
from reputation.settings import Settings
from reputation.storage.db import Database
from reputation.storage.models import Alert, CrawlRun, Physician, Practice, Recipient, Subscription
from spiders.sandbox import DEFAULT_ANCHOR, DEFAULT_SEED, scrapy_settings, serve

__all__ = ["DATABASE", "DemoReport", "run_demo"]

DATABASE = "demo.db"  # in the demo folder


@dataclass
class DemoReport:
    """What the demo did and found."""

    folder: Path
    runs: list[CrawlRun] = field(default_factory=list)
    classified: int = 0
    alerts: list[Alert] = field(default_factory=list)
    mails: list[tuple[str, Path, Path]] = field(default_factory=list)  # subject, html, eml
    checks: list[tuple[bool, str]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)  # fingerprints held under another alert
    seconds: dict[str, float] = field(default_factory=dict)


DEMO_RECIPIENTS = (
    ("risk@hospital.example", "Risk & Patient Safety", "America/Chicago", [("safety", "all")]),
    (
        "reputation@hospital.example",
        "Reputation Office",
        "America/Chicago",
        [("alerts", "all"), ("digest", "all")],
    ),
)


def _subscribe(db: Database, truth: dict[str, dict[str, str]]) -> None:
    with db.transaction() as session:
        for email, name, tz, subs in DEMO_RECIPIENTS:
            r = Recipient(email=email, name=name, timezone=tz)
            session.add(r)
            session.flush()
            for topic, scope in subs:
                session.add(Subscription(recipient_id=r.id, topic=topic, scope_type=scope))
        # The cluster physician's department chair gets that physician's weekly digest.
        doc = session.scalar(select(Physician).where(Physician.npi == truth["cluster"]["npi"]))
        assert doc is not None
        chair = Recipient(
            email="chair@hospital.example", name="Department Chair", timezone="America/New_York"
        )
        session.add(chair)
        session.flush()
        session.add(
            Subscription(
                recipient_id=chair.id, topic="digest", scope_type="physician", scope_id=doc.id
            )
        )


def _export(maildir: Path, out: Path) -> list[tuple[str, Path, Path]]:
    out.mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(str(maildir), create=False)
    raw = [box.get_bytes(key) for key in box.iterkeys()]
    messages = sorted(
        ((data, message_from_bytes(data, policy=default_policy)) for data in raw),
        key=lambda pair: (str(pair[1]["To"]), str(pair[1]["Subject"])),
    )
    found = []
    for n, (data, msg) in enumerate(messages, start=1):
        assert isinstance(msg, EmailMessage)
        subject = str(msg["Subject"])
        slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:60]
        to = re.sub(r"[^a-z0-9]+", "-", str(msg["To"]).lower()).strip("-")[:30]
        stem = out / f"{n:02d}-{to}-{slug}"
        html_part = msg.get_body(preferencelist=("html",))
        html = html_part.get_content() if html_part is not None else ""
        stem.with_suffix(".html").write_text(str(html), encoding="utf-8")
        stem.with_suffix(".eml").write_bytes(data)
        found.append((subject, stem.with_suffix(".html"), stem.with_suffix(".eml")))
    return found


def _check(report: DemoReport, truth: dict[str, dict[str, str]], db: Database) -> None:
    with db.session() as session:
        doc = session.scalar(select(Physician).where(Physician.npi == truth["cluster"]["npi"]))
        surgeon = session.scalar(select(Physician).where(Physician.npi == truth["harm"]["npi"]))
        practice = session.scalar(
            select(Practice).where(Practice.name == truth["cluster"]["practice"])
        )
    assert doc is not None and surgeon is not None
    firing = [a for a in report.alerts if a.state == "firing"]
    clusters = [a for a in firing if a.kind == "cluster"]
    shown = [a for a in clusters if a.fingerprint not in report.held]
    planted = entity_label("physician", doc.id)
    # The physician's own alert, not a practice alert that folds them in (issue 14 item 2).
    on_planted = [a for a in shown if a.labels["entity"] == planted]
    elsewhere = [a for a in shown if a.labels["entity"] != planted]
    context = [a for a in clusters if a.labels["entity"] != planted and a not in elsewhere]
    note = f"; practice {practice.name} as context" if practice and context else ""
    report.checks.append((bool(on_planted), f"cluster found on {doc.name} (planted){note}"))
    report.checks.append(
        (
            not elsewhere,
            "no cluster anywhere else"
            + (f" (found: {[a.labels['entity'] for a in elsewhere]})" if elsewhere else ""),
        )
    )
    misses: Any = truth.get("near_misses", {})
    with db.session() as session:
        near = {
            entity_label("physician", p.id): p.name
            for p in session.scalars(
                select(Physician).where(Physician.npi.in_([m["npi"] for m in misses.values()]))
            )
        }
    fired = sorted(
        {
            f"{near[a.labels['entity']]}: {a.kind}"
            for a in firing
            if a.labels["entity"] in near and a.kind in ("cluster", "rating_drop")
        }
    )
    report.checks.append(
        (
            len(near) == 2 and not fired,
            f"no cluster or rating drop on the near misses ({', '.join(sorted(near.values()))}: "
            "a busy physician's unlucky month, one angry patient on three sites)"
            + (f" (fired: {fired})" if fired else ""),
        )
    )
    harm = [a for a in firing if a.kind == "immediate"]
    report.checks.append(
        (
            any(a.labels["entity"] == entity_label("physician", surgeon.id) for a in harm),
            f"harm review on {surgeon.name} alerted at once",
        )
    )
    report.checks.append((len(harm) == 1, f"exactly one harm/legal alert ({len(harm)})"))
    bad = [r for r in report.runs if r.status != "ok"]
    report.checks.append(
        (
            not bad,
            "every source crawled ok"
            + (f" (not ok: {[(r.source, r.status) for r in bad]})" if bad else ""),
        )
    )


def run_demo(
    settings: Settings,
    folder: Path,
    say: Callable[[str], None],
    seed: int = DEFAULT_SEED,
    now: datetime = DEFAULT_ANCHOR,
) -> DemoReport:
    """Fresh database, sandbox, crawl, classify, alerts, digests, mail to a maildir."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    settings = settings.with_overrides(
        database__url=f"sqlite:///{folder / DATABASE}",
        mail__maildir=str(folder / "maildir"),
        smtp__host="",
        scrapyd__urls="",  # the demo crawls its own sandbox in local processes
        data_dir=str(folder),
    )
    db = Database(settings.database_url)
    db.ensure_schema()
    report = DemoReport(folder)
    t0 = time.perf_counter()
    with serve(seed=seed, now=now) as base:
        say(f"sandbox serving a seeded review web on {base} (clock {now:%Y-%m-%d %H:%M} UTC)")
        roster = urlopen(f"{base}/_sandbox/roster.csv").read().decode()
        truth = json.loads(urlopen(f"{base}/_sandbox/truth.json").read())
        rows = parse_roster(roster)
        with db.transaction() as session:
            apply_roster(session, rows)
        _subscribe(db, truth)
        say(f"roster: {len(rows)} physicians; recipients: risk, reputation office, a chair")
        t = time.perf_counter()
        extra = tuple((k, str(v)) for k, v in scrapy_settings(base).items())
        report.runs = run_crawls(
            db, settings, CrawlRequest(sources=(), now=now, settings=extra), now, jobs=2
        )
        report.seconds["crawl"] = time.perf_counter() - t
    t = time.perf_counter()
    report.classified = classify_stored(db, now)
    report.seconds["classify"] = time.perf_counter() - t
    t = time.perf_counter()
    evaluation = evaluate(db, settings, now)
    report.held = {m.fingerprint for m in evaluation.transitions if m.inhibited}
    with db.session() as session:
        report.alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
    report.seconds["alerts"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.transaction() as session:
        enqueue_digests(
            session, None, now, DigestOptions.from_settings(settings, CLASSIFIER_VERSION)
        )
    relay = asyncio.run(drain(db, settings, lambda: now + timedelta(seconds=1)))
    report.mails = _export(settings.maildir, folder / "mail")
    report.seconds["mail"] = time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - t0
    if relay.failed or relay.retrying:
        report.checks.append((False, f"mail: {relay.failed} failed, {relay.retrying} retrying"))
    _check(report, truth, db)
    db.dispose()
    return report
