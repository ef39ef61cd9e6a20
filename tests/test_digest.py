"""Weekly digests: ISO weeks and timezones, content for a known week, rendering, idempotency."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reputation.crawls.health import CrawlFact
from reputation.digests.build import AlertFact, DigestData, IsoWeek, ReviewFact, build_digest
from reputation.digests.plan import DigestOptions, build_digests, enqueue_digests, plan_digests
from reputation.errors import ConfigError
from reputation.mail.render import RISK_ROUTED, render_mail
from reputation.reply import check_reply
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import (
    Alert,
    Classification,
    CrawlRun,
    Mention,
    OutboxMessage,
    Physician,
    Practice,
    Profile,
    Recipient,
    Review,
    Subscription,
)

LA = "America/Los_Angeles"
MON = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday after 2026-W47, 07:00 in Los Angeles


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- ISO weeks and timezones -------------------------------------------------------------


def test_isoweek_parse_and_errors() -> None:
    assert str(IsoWeek.parse("2026-W47")) == "2026-W47"
    assert IsoWeek.parse("2026w07") == IsoWeek(2026, 7)
    assert IsoWeek.parse("2026-W47").shift(-47) == IsoWeek(2025, 52)
    for bad in ("2026-47", "W47", "2026-W54", "2026-W00"):
        with pytest.raises(ValueError, match="2026-W47|has no week"):
            IsoWeek.parse(bad)


def test_last_completed_week_depends_on_the_recipients_timezone() -> None:
    assert IsoWeek.last_completed(utc(2026, 11, 23, 9), "UTC") == IsoWeek(2026, 47)
    # 05:00 UTC Monday is still Sunday evening in Los Angeles: W47 has not ended there.
    assert IsoWeek.last_completed(utc(2026, 11, 23, 5), LA) == IsoWeek(2026, 46)
    # 10:30 UTC Sunday is already Monday 00:30 at UTC+14.
    assert IsoWeek.last_completed(utc(2026, 11, 22, 10, 30), "Pacific/Kiritimati") == IsoWeek(
        2026, 47
    )
    assert IsoWeek.last_completed(utc(2026, 1, 5, 12), "UTC") == IsoWeek(2026, 1)
    assert IsoWeek.last_completed(utc(2026, 1, 4, 12), "UTC") == IsoWeek(2025, 52)


def test_week_bounds_are_local_mondays_including_dst_weeks() -> None:
    assert IsoWeek(2026, 47).bounds(LA) == (utc(2026, 11, 16, 8), utc(2026, 11, 23, 8))
    start, end = IsoWeek(2026, 44).bounds(LA)  # DST ends Sunday 1 November 2026
    assert (start, end) == (utc(2026, 10, 26, 7), utc(2026, 11, 2, 8))
    assert end - start == timedelta(hours=169)
    start, end = IsoWeek(2026, 10).bounds(LA)  # DST starts Sunday 8 March 2026
    assert end - start == timedelta(hours=167)
    start, end = IsoWeek(2026, 43).bounds("Europe/Berlin")  # DST ends Sunday 25 October
    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))


def fact(i: int, published: datetime, rating: float | None = 4.0, **kw: object) -> ReviewFact:
    values: dict[str, object] = dict(
        id=i,
        physician_name="Dr. Ana Abara",
        source="ratemds",
        rating=rating,
        published_at=published,
        text=f"Review {i}.",
        url=f"https://ratemds.example/r/{i}",
        response_at=None,
        negative=rating is not None and rating <= 2,
    )
    values.update(kw)
    return ReviewFact(**values)  # type: ignore[arg-type]


def data(reviews: list[ReviewFact], **kw: object) -> DigestData:
    values: dict[str, object] = dict(
        scope="physician",
        scope_id=1,
        name="Dr. Ana Abara",
        context="Cardiology",
        reviews=tuple(reviews),
        unanswered=(),
        alerts=(),
        crawls=(),
        sources=(),
        org_mix=(("bedside_manner", 10), ("service", 30), ("clinical_skill", 5)),
        org_reviews=100,
    )
    values.update(kw)
    return DigestData(**values)  # type: ignore[arg-type]


def test_sunday_2330_local_belongs_to_that_week() -> None:
    sunday_late = utc(2026, 11, 23, 7, 30)  # Sunday 22 November 23:30 in Los Angeles
    monday_early = utc(2026, 11, 23, 8, 30)  # Monday 23 November 00:30 there
    dst_sunday = utc(2026, 11, 2, 7, 30)  # Sunday 1 November 23:30 PST, the day DST ended
    facts = [fact(1, sunday_late), fact(2, monday_early), fact(3, dst_sunday)]
    d = build_digest(data(facts), IsoWeek(2026, 47), LA, MON, 3)
    assert [r.id for r in d.new_reviews] == [1]
    assert d.new_reviews[0].when == "Sun 22 Nov 2026, 23:30"
    assert [r.id for r in build_digest(data(facts), IsoWeek(2026, 44), LA, MON, 3).new_reviews] == [
        3
    ]
    # The same instant is Monday in UTC, so a UTC recipient sees it in the next week.
    assert build_digest(data(facts), IsoWeek(2026, 47), "UTC", MON, 3).new_reviews == ()


def test_a_date_without_a_time_counts_in_that_dates_week_in_any_timezone() -> None:
    chicago = "America/Chicago"
    monday = fact(1, utc(2026, 11, 16), 2.0, source="healthgrades", published_date_only=True)
    tuesday = fact(2, utc(2026, 11, 17), 5.0, source="healthgrades", published_date_only=True)
    sunday = fact(3, utc(2026, 11, 22), 4.0, source="schemaorg", published_date_only=True)
    next_monday = fact(4, utc(2026, 11, 23), 4.0, source="healthgrades", published_date_only=True)
    # A real timestamp at the same instant is still Sunday 15 November 18:00 in Chicago.
    instant = fact(5, utc(2026, 11, 16), 1.0)
    facts = [monday, tuesday, sunday, next_monday]
    for tz in (chicago, "UTC", "Pacific/Kiritimati"):
        d = build_digest(data(facts, unanswered=(monday,)), IsoWeek(2026, 47), tz, MON, 1)
        assert [r.id for r in d.new_reviews] == [1, 2, 3]
        assert [r.when for r in d.new_reviews] == [
            "Mon 16 Nov 2026",
            "Tue 17 Nov 2026",
            "Sun 22 Nov 2026",
        ]
        assert [r.when for r in d.unanswered] == ["Mon 16 Nov 2026"]
    previous = build_digest(data([*facts, instant]), IsoWeek(2026, 46), chicago, MON, 1)
    assert [(r.id, r.when) for r in previous.new_reviews] == [(5, "Sun 15 Nov 2026, 18:00")]


def known_week() -> DigestData:
    w = IsoWeek(2026, 47).monday()

    def at(days: float, hour: int = 12) -> datetime:
        return datetime(w.year, w.month, w.day, hour, tzinfo=UTC) + timedelta(days=days)

    hostile = "Rude. <script>alert('x')</script> <a href=\"javascript:steal()\">prize</a>"
    this_week = [
        fact(
            1,
            at(1),
            1.0,
            text="The doctor was dismissive and rude to me. " + hostile,
            categories=("bedside_manner",),
            flags=("legal",),
            evidence=("The doctor was dismissive and rude to me.",),
            url="javascript:alert(1)",
        ),
        fact(2, at(2), 5.0, text="Kind and thorough.", response_at=at(3), responded=True),
    ]
    earlier = [
        fact(
            10 + k,
            at(-7 * k),
            4.0 if k % 2 else 2.0,
            categories=("service",),
            response_at=at(-7 * k, 20) if k % 3 == 0 else None,
            responded=k % 3 == 0,
        )
        for k in range(1, 12)
        for _ in range(3)
    ]
    earlier = [ReviewFact(**{**r.__dict__, "id": 100 + i}) for i, r in enumerate(earlier)]
    unanswered = (
        this_week[0],
        fact(
            50,
            at(-30),
            1.0,
            text="Billing was a mess.",
            categories=("service",),
            evidence=("Billing was a mess.",),
        ),
    )
    return data(
        this_week + earlier,
        unanswered=unanswered,
        sources=("google", "ratemds", "yelp"),
        alerts=(AlertFact("cluster", "Cluster of bedside-manner complaints", at(4)),),
        crawls=(
            CrawlFact("yelp", "ok", utc(2026, 11, 16, 3), utc(2026, 11, 16, 4)),
            CrawlFact(
                "yelp",
                "blocked",
                utc(2026, 11, 17, 3),
                utc(2026, 11, 17, 4),
                "2 challenge page(s) (bot protection)",
            ),
            CrawlFact("yelp", "blocked", utc(2026, 11, 22, 3), utc(2026, 11, 22, 4)),
            CrawlFact("ratemds", "ok", MON - timedelta(hours=3), MON - timedelta(hours=3)),
        ),
    )


def test_the_response_target_is_a_setting_and_must_be_a_percentage() -> None:
    options = DigestOptions.from_settings(
        load_settings(None, {"REPMON_DIGEST_RESPONSE_TARGET_PCT": "75"}, Path(".")), "v"
    )
    week = IsoWeek(2026, 47)
    d = build_digest(known_week(), week, "UTC", MON, 3, 7, target_pct=options.target_pct)
    assert d.response.target_pct == 75
    tile = next(t for t in d.tiles if t.label.startswith("Negatives answered"))
    assert tile.note.endswith("target 75%")
    for bad in ("0", "101"):
        environ = {"REPMON_DIGEST_RESPONSE_TARGET_PCT": bad}
        with pytest.raises(ConfigError, match=f"a percentage from 1 to 100, got {bad}"):
            load_settings(None, environ, Path("."))  # checked when loaded, by its rule


def test_digest_content_for_a_known_week() -> None:
    d = build_digest(known_week(), IsoWeek(2026, 47), "UTC", MON, 3, deadline_days=7)
    assert [r.id for r in d.new_reviews] == [1, 2]
    first = d.new_reviews[0]
    assert first.stars == "★☆☆☆☆" and first.chips == ("Bedside manner",)
    assert first.flags == () and first.risk and first.source == "RateMDs"
    assert ("The doctor was dismissive and rude to me.", True) in first.segments
    assert d.week_mean is None  # two reviews this week: below the minimum of three
    assert [p.count for p in d.trend] == [3] * 11 + [2]
    assert [p.mean for p in d.trend][:3] == [4.0, 2.0, 4.0] and d.trend[-1].mean is None
    assert d.trend[-1].current and not d.trend[0].current
    assert d.trend_count == 35 and d.trend_mean == pytest.approx(3.1, abs=0.05)
    # Complaints are negative reviews naming the theme, with the count beside the share.
    assert [(m.label, m.count, m.total, m.pct, m.org_pct) for m in d.mix] == [
        ("Bedside manner", 1, 35, 3, 10),
        ("Service", 15, 35, 43, 30),
        ("Clinical skill", 0, 35, 0, 5),
    ]
    # Days overdue count from the deadline; the legal review has no deadline (risk handles it).
    assert [(u.id, u.age_days, u.overdue, u.overdue_days, u.risk) for u in d.unanswered] == [
        (50, 37, True, 30, False),
        (1, 6, False, 0, True),
    ]
    assert (d.response.negatives, d.response.negatives_answered, d.response.negative_pct) == (
        16,
        3,
        19,
    )
    assert d.findings == (
        "Cluster of bedside-manner complaints.",
        "1 negative review waited past the 7-day response target (the oldest by 30 days).",
        "Crawling: Yelp: blocked since Tuesday (2 challenge page(s) (bot protection)).",
    )
    assert next((t.label, t.value, t.change) for t in d.tiles) == (
        "New reviews",
        "2",
        "▼ 1 vs last week",
    )
    assert (d.response.responded, d.response.total, d.response.rate_pct) == (10, 35, 29)
    assert d.response.median == "8 h"
    tile = next(t for t in d.tiles if t.label.startswith("Negatives answered"))
    assert tile.note == "3 of 16 · target 90%"
    assert [c.text for c in d.crawls] == [
        "Google: no crawl yet",
        "RateMDs: ok, last crawl 3 h ago",
        "Yelp: blocked since Tuesday (2 challenge page(s) (bot protection))",
    ]
    assert d.summary.startswith("2 new reviews; 1 negative; 1 negative review unanswered past")
    assert "1 open alert" in d.summary and "check crawling: Google, Yelp" in d.summary


def test_no_new_reviews_is_never_ambiguous() -> None:
    crawls = (CrawlFact("ratemds", "ok", MON - timedelta(hours=5), MON - timedelta(hours=5)),)
    d = build_digest(
        data([], sources=("ratemds",), crawls=crawls), IsoWeek(2026, 47), "UTC", MON, 3
    )
    assert d.summary == "No new reviews this week (all 1 sources crawled ok)."
    assert d.response.rate_pct is None and d.trend_mean is None
    blocked = (CrawlFact("ratemds", "blocked", MON - timedelta(hours=5)),)
    d = build_digest(
        data([], sources=("ratemds",), crawls=blocked), IsoWeek(2026, 47), "UTC", MON, 3
    )
    assert d.summary == "No new reviews this week; check crawling: RateMDs."
    assert d.crawls[0].text == "RateMDs: blocked since today 10:00"


def test_rendering_escapes_hostile_review_text() -> None:
    d = build_digest(known_week(), IsoWeek(2026, 47), "UTC", MON, 3)
    mail = render_mail(
        "digest",
        {
            "digest": d,
            "recipient": {"name": "Pat", "email": "p@x.org"},
            "now": MON,
            "tz": "UTC",
            "unsubscribe": "mailto:r@x.org?subject=unsubscribe%20digest",
        },
    )
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert '<a href="javascript' not in mail.html and "&lt;a href=" in mail.html
    assert "javascript:alert" not in mail.html  # the review's own URL is not http(s)
    assert "<mark" in mail.html and "The doctor was dismissive and rude to me.</mark>" in mail.html
    assert "»The doctor was dismissive and rude to me.«" in mail.text
    assert "Yelp: blocked since Tuesday" in mail.text and "Yelp: blocked since Tuesday" in mail.html
    assert mail.subject.startswith("Dr. Ana Abara, week 47: 2 new reviews")
    assert "\n" not in mail.subject


# --- from the database ---------------------------------------------------------------------


def seed(session: Session) -> dict[str, int]:
    """Two practices, three physicians, reviews over 12 weeks, subscribers in two timezones."""
    p1, p2 = Practice(name="Riverside Cardiology"), Practice(name="North Clinic")
    session.add_all([p1, p2])
    session.flush()
    docs = [
        Physician(npi=f"10000000{i}{i}", name=f"Dr. Doc {i}", practice_id=p.id)
        for i, p in enumerate((p1, p1, p2))
    ]
    session.add_all(docs)
    session.flush()
    for d in docs:
        session.add(Profile(physician_id=d.id, source="ratemds", url=f"https://r.example/{d.id}"))
    n = 0
    for d in docs:
        for k in range(20):
            n += 1
            published = utc(2026, 11, 22, 12) - timedelta(days=4 * k)
            review = Review(
                source="ratemds",
                external_id=f"e{n}",
                physician_id=d.id,
                rating=float(1 + k % 5),
                text=f"Waited long. Review {n}.",
                published_at=published,
                first_seen_at=published,
                last_seen_at=published,
                content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
            )
            session.add(review)
            session.flush()
            session.add(
                Classification(
                    review_id=review.id,
                    classifier_version="test-1",
                    content_hash="h",
                    created_at=published,
                    compound=-0.5,
                    label="negative",
                    negative=k % 5 < 2,
                    service=True,
                    detail={
                        "categories": [
                            {
                                "name": "service",
                                "evidence": [{"text": "Waited long.", "start": 0, "end": 12}],
                            }
                        ]
                    },
                )
            )
    session.add(
        Alert(
            fingerprint="f1",
            kind="cluster",
            labels={
                "kind": "cluster",
                "entity": f"physician:{docs[0].id}",
                "category": "service",
                "window": "30d",
            },
            state="firing",
            annotations={"observed": 4, "expected": 0.4, "q_value": 0.01, "review_ids": [1]},
            physician_id=docs[0].id,
            practice_id=p1.id,
            started_at=MON,
            fired_at=MON,
            last_seen_at=MON,
        )
    )
    session.add(
        CrawlRun(
            source="ratemds",
            spider="ratemds",
            started_at=MON - timedelta(hours=2),
            finished_at=MON - timedelta(hours=1),
            status="ok",
        )
    )
    west = Recipient(email="west@example.org", name="West", timezone=LA)
    east = Recipient(email="east@example.org", name="East", timezone="")
    session.add_all([west, east])
    session.flush()
    session.add_all(
        [
            Subscription(
                recipient_id=west.id, topic="digest", scope_type="physician", scope_id=docs[0].id
            ),
            Subscription(recipient_id=east.id, topic="digest", scope_type="all", scope_id=0),
            Subscription(
                recipient_id=east.id, topic="digest", scope_type="practice", scope_id=p1.id
            ),
            Subscription(recipient_id=east.id, topic="alerts", scope_type="all", scope_id=0),
        ]
    )
    return {"doc0": docs[0].id, "p1": p1.id, "p2": p2.id, "west": west.id, "east": east.id}


OPTIONS = DigestOptions(
    timezone="UTC",
    min_reviews=3,
    deadline_days=7,
    sender="Repmon <repmon@example.org>",
    classifier_version="test-1",
)


def test_plan_uses_each_recipients_timezone_and_scope(db: Database) -> None:
    with db.transaction() as session:
        ids = seed(session)
    early = utc(2026, 11, 23, 5)  # Monday in UTC, still Sunday in Los Angeles
    with db.session() as session:
        jobs = plan_digests(session, None, early, "UTC")
    keys = sorted(j.dedup_key for j in jobs)
    assert keys == sorted(
        [
            f"digest:{ids['west']}:physician:{ids['doc0']}:2026-W46",
            f"digest:{ids['east']}:practice:{ids['p1']}:2026-W47",
            f"digest:{ids['east']}:practice:{ids['p2']}:2026-W47",
        ]
    )
    with db.session() as session:
        only = plan_digests(session, IsoWeek(2026, 47), early, practice_id=ids["p2"])
    assert [(j.scope, j.scope_id) for j in only] == [("practice", ids["p2"])]


def test_digests_from_the_database(db: Database) -> None:
    with db.transaction() as session:
        ids = seed(session)
    with db.session() as session:
        jobs = plan_digests(session, IsoWeek(2026, 47), MON, "UTC")
        built = {(j.scope, j.scope_id): d for j, d in build_digests(session, jobs, MON, OPTIONS)}
    doc = built["physician", ids["doc0"]]
    assert [r.id for r in doc.new_reviews] and doc.new_reviews[0].chips == ("Service",)
    assert ("Waited long.", True) in doc.new_reviews[0].segments
    assert doc.alerts[0].summary == "4 service complaints in 30 days for Dr. Doc 0 (usually none)"
    assert doc.alerts[0].url == "" and doc.findings[0] == doc.alerts[0].summary + "."
    assert [(s.source, s.count) for s in doc.site_ratings] == [("RateMDs", 20)]
    assert doc.crawls[0].text == "RateMDs: ok, last crawl 1 h ago"
    roll = built["practice", ids["p1"]]
    assert roll.trend_count == 2 * doc.trend_count and roll.alerts == doc.alerts
    assert {r.physician_name for r in roll.new_reviews} == {"Dr. Doc 0", "Dr. Doc 1"}
    assert (roll.mix[1].count, roll.mix[1].pct, roll.mix[1].org_pct) == (16, 40, 40)
    assert all(u.overdue == (u.age_days > 7) for u in roll.unanswered) and roll.unanswered


def test_enqueue_twice_gives_one_message_per_recipient_scope_week(db: Database) -> None:
    with db.transaction() as session:
        seed(session)
    with db.transaction() as session:
        first = enqueue_digests(session, IsoWeek(2026, 47), MON, OPTIONS)
    with db.transaction() as session:
        second = enqueue_digests(session, IsoWeek(2026, 47), MON + timedelta(hours=1), OPTIONS)
    assert (first.planned, first.enqueued, first.already) == (3, 3, 0)
    assert (second.planned, second.enqueued, second.already) == (3, 0, 3)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        msg = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert msg is not None and msg.kind == "digest" and "<table" in msg.body_html
        assert msg.message_id.endswith("@example.org>")


def test_long_lists_are_capped_negatives_first_and_counted() -> None:
    start = IsoWeek(2026, 47).bounds("UTC")[0]
    facts = [
        fact(i, start + timedelta(hours=3 * i), 1.0 if i % 10 == 0 else 5.0) for i in range(40)
    ]
    d = build_digest(
        data(facts, unanswered=tuple(f for f in facts if f.negative)),
        IsoWeek(2026, 47),
        "UTC",
        MON,
        3,
    )
    assert d.new_total == 40 and len(d.new_reviews) == 25
    assert {0, 10, 20, 30} <= {r.id for r in d.new_reviews}
    assert [r.id for r in d.new_reviews] == sorted(r.id for r in d.new_reviews)
    assert d.unanswered_total == 4 and d.overdue_total == 0
    mail = render_mail(
        "digest",
        {
            "digest": d,
            "recipient": {"name": "", "email": "x@y.org"},
            "now": MON,
            "tz": "UTC",
            "unsubscribe": "mailto:r@x.org?subject=unsubscribe%20digest",
        },
    )
    assert "15 more this week" in mail.html and "and 15 more" in mail.text
    assert "40 new reviews" in mail.subject


# --- acting on it: harm, praise, replies, social media (issue 16) ---------------------------


def _render(d: object) -> object:
    return render_mail(
        "digest",
        {"digest": d, "recipient": {"name": "Pat", "email": "p@x.org"}, "now": MON, "tz": "UTC",
         "unsubscribe": "mailto:r@x.org?subject=unsubscribe%20digest"},
    )  # fmt: skip


def test_harm_review_in_a_digest_is_routed_not_answered() -> None:
    start = IsoWeek(2026, 47).bounds("UTC")[0]
    harm = fact(
        7,
        start - timedelta(days=20),
        1.0,
        text="I developed sepsis. Rude staff.",
        flags=("harm",),
        categories=("bedside_manner",),
        url="https://hg.example/r/7",
    )
    plain = fact(8, start - timedelta(days=20), 1.0, text="Rude staff.", categories=("service",),
                 url="https://hg.example/r/8")  # fmt: skip
    d = build_digest(
        data([harm, plain], unanswered=(harm, plain)), IsoWeek(2026, 47), "UTC", MON, 3,
        drafts=lambda r: f"Approved reply for {r.id}.",
    )  # fmt: skip
    mail = _render(d)
    for part in (mail.text, mail.html):  # type: ignore[attr-defined]
        assert part.count(RISK_ROUTED) == 1
        assert "https://hg.example/r/7" not in part and "Approved reply for 7." not in part
        assert "https://hg.example/r/8" in part and "Approved reply for 8." in part
        assert "repmon reply suggest" not in part and "Possible harm" not in part
    # The harm review highlights what alleges harm, not the side complaint.
    assert d.unanswered[0].segments == (("I developed sepsis.", True), (" Rude staff.", False))
    # Only the plain review has a deadline: "N days overdue" counts from the 7-day target.
    assert [(u.id, u.age_days, u.overdue_days) for u in d.unanswered] == [(7, 27, 0), (8, 27, 20)]
    assert "20 days overdue" in mail.text and mail.text.count("days overdue") == 1  # type: ignore[attr-defined]
    # The heading's count says the harm review is among them, but not to be answered in public.
    assert d.routed_total == 1
    for part in (mail.text, mail.html):  # type: ignore[attr-defined]
        assert "1 routed to risk management, no public reply" in " ".join(part.split())


def test_praise_has_no_complaint_chips_or_highlighting() -> None:
    start = IsoWeek(2026, 47).bounds("UTC")[0]
    praise = fact(3, start + timedelta(days=1), 5.0, text="Never rushed, so kind.", positive=True,
                  categories=("bedside_manner",), evidence=("Never rushed, so kind.",))  # fmt: skip
    d = build_digest(data([praise]), IsoWeek(2026, 47), "UTC", MON, 3)
    item = d.new_reviews[0]
    assert item.chips == () and item.segments == (("Never rushed, so kind.", False),)
    assert next((m.label, m.count, m.praised) for m in d.mix) == ("Bedside manner", 0, 1)
    mail = _render(d)
    assert "<mark" not in mail.html and "»" not in mail.text  # type: ignore[attr-defined]


def test_social_media_mentions_from_the_database(db: Database) -> None:
    with db.transaction() as session:
        ids = seed(session)
        posted = utc(2026, 11, 18, 12)
        for i, (confidence, who) in enumerate([(0.9, ids["doc0"]), (0.3, ids["doc0"])]):
            m = Mention(
                source="reddit", external_id=f"m{i}", physician_id=who, confidence=confidence,
                title="Dr. Doc 0", text="Anyone seen Dr. Doc 0? Long waits.",
                url=f"https://reddit.example/m{i}", published_at=posted, first_seen_at=posted,
                content_hash=f"m{i}",
            )  # fmt: skip
            session.add(m)
            session.flush()
            session.add(
                Classification(
                    mention_id=m.id,
                    classifier_version="test-1",
                    content_hash="h",
                    created_at=posted,
                    compound=-0.4,
                    label="negative",
                    negative=True,
                    service=True,
                )
            )
    with db.session() as session:
        jobs = plan_digests(session, IsoWeek(2026, 47), MON, "UTC")
        built = {(j.scope, j.scope_id): d for j, d in build_digests(session, jobs, MON, OPTIONS)}
    doc = built["practice", ids["p1"]]
    assert [(m.source, m.confidence_pct, m.categories) for m in doc.mentions] == [
        ("Reddit", 90, ("Service",))
    ]  # the 0.3 match is below the matching threshold and stays out
    mail = _render(doc)
    for part in (mail.text, mail.html):  # type: ignore[attr-defined]
        assert "Mentioned on social media" in part.replace(
            "MENTIONED ON SOCIAL MEDIA", "Mentioned on social media"
        )
        assert "https://reddit.example/m0" in part and "match confidence 90%" in part
        assert "https://reddit.example/m1" not in part
    assert "1 social media post mentioned this week." in doc.findings


def test_digest_replies_are_drafted_and_phi_checked(db: Database) -> None:
    with db.transaction() as session:
        ids = seed(session)
    with db.session() as session:
        jobs = plan_digests(session, IsoWeek(2026, 47), MON, "UTC")
        built = {(j.scope, j.scope_id): d for j, d in build_digests(session, jobs, MON, OPTIONS)}
    waiting = built["physician", ids["doc0"]].unanswered
    assert waiting and all(u.draft for u in waiting)
    assert all(
        not check_reply(u.draft or "", ["Dr. Doc 0", "Riverside Cardiology"]) for u in waiting
    )
    assert "Wait times, scheduling" in (waiting[0].draft or "")  # the service template


def test_each_site_shows_its_public_rating_else_the_mean_of_reviews_held() -> None:
    """Google shows 4.2 from 128 ratings though the 5 reviews its API gives us average 1.0."""
    start = IsoWeek(2026, 47).bounds("UTC")[0]
    held = [fact(i, start + timedelta(hours=i), 1.0, source="google") for i in range(5)]
    held += [fact(10 + i, start + timedelta(hours=i), 4.0) for i in range(3)]
    d = build_digest(
        data(held, site_ratings=(("google", 1.0, 5), ("ratemds", 4.0, 3)),
             public_ratings=(("google", 4.2, 128),)),
        IsoWeek(2026, 47), "UTC", MON, 3,
    )  # fmt: skip
    mail = _render(d)
    assert "Google 4.2★ (128 ratings), RateMDs 4.0★ from the 3 reviews we hold" in mail.text
    assert "Google 1.0★" not in mail.text and "Google 1.0★" not in mail.html
    assert "Google 4.2★</strong> (128 ratings)" in mail.html
    assert "RateMDs 4.0★</strong> from the 3 reviews we hold" in mail.html


def test_public_ratings_are_loaded_per_scope_from_the_profiles(db: Database) -> None:
    with db.transaction() as session:
        ids = seed(session)
        profiles = {p.physician_id: p for p in session.scalars(select(Profile))}
        profiles[ids["doc0"]].public_rating, profiles[ids["doc0"]].public_rating_count = 4.6, 90
        profiles[ids["doc0"]].public_rating_at = MON
    with db.session() as session:
        jobs = plan_digests(session, IsoWeek(2026, 47), MON, "UTC")
        built = {(j.scope, j.scope_id): d for j, d in build_digests(session, jobs, MON, OPTIONS)}
    doc = built["physician", ids["doc0"]].site_ratings
    assert [(s.source, s.stars, s.count, s.public) for s in doc] == [("RateMDs", 4.6, 90, True)]
    # Dr. Doc 1's page was never read: the practice shows the mean of what we hold, not 4.6.
    roll = built["practice", ids["p1"]].site_ratings
    assert [(s.source, s.count, s.public) for s in roll] == [("RateMDs", 40, False)]
    with db.transaction() as session:
        other = session.scalars(select(Profile).where(Profile.physician_id != ids["doc0"])).all()
        for p in other:
            p.public_rating, p.public_rating_count = 3.6, 10
    with db.session() as session:
        built = {(j.scope, j.scope_id): d for j, d in build_digests(session, jobs, MON, OPTIONS)}
    roll = built["practice", ids["p1"]].site_ratings  # weighted by each page's rating count
    assert [(s.source, s.stars, s.count, s.public) for s in roll] == [("RateMDs", 4.5, 100, True)]
