"""Loading digest facts from the database in bulk: one pass for every scope of a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from reputation.crawlhealth import CrawlFact
from reputation.digest import TREND_WEEKS, AlertFact, DigestData, ReviewFact
from reputation.isoweek import IsoWeek
from reputation.lexicon import CATEGORIES
from reputation.models import Alert, Classification, CrawlRun, Physician, Practice, Profile, Review

__all__ = ["CRAWL_LOOKBACK_DAYS", "UNANSWERED_LOOKBACK_DAYS", "load_digest_data", "load_window"]

Scope = tuple[str, int]
UNANSWERED_LOOKBACK_DAYS = 180
CRAWL_LOOKBACK_DAYS = 30
_FLAGS = ("harm", "legal", "phi")
_IN_LIMIT = 500  # above this many physicians, load everything and filter in Python


def load_window(weeks: Iterable[IsoWeek]) -> tuple[datetime, datetime]:
    """UTC bounds that hold the 12-week trend of each week in any timezone (±14 h, so a day)."""
    weeks = list(weeks)
    first = min(weeks).shift(1 - TREND_WEEKS).monday()
    last = max(weeks).shift(1).monday()
    return (
        datetime.combine(first, time(0), tzinfo=UTC) - timedelta(days=1),
        datetime.combine(last, time(0), tzinfo=UTC) + timedelta(days=1),
    )


def _evidence(detail: dict[str, Any] | None) -> tuple[str, ...]:
    out = []
    for category in (detail or {}).get("categories", []):
        for ev in category.get("evidence", []) if isinstance(category, dict) else []:
            if isinstance(ev, dict) and isinstance(ev.get("text"), str):
                out.append(ev["text"])
    return tuple(out)


def _review_stmt(version: str, physician_ids: Sequence[int] | None) -> Any:
    c = Classification
    stmt = (
        select(
            Review.id,
            Review.physician_id,
            Review.source,
            Review.rating,
            Review.published_at,
            Review.text,
            Review.url,
            Review.response_at,
            Review.response_text,
            c.negative,
            c.bedside_manner,
            c.service,
            c.clinical_skill,
            c.harm,
            c.legal,
            c.phi,
            c.detail,
        )
        .outerjoin(c, and_(c.review_id == Review.id, c.classifier_version == version))
        .where(
            Review.deleted_at.is_(None),
            Review.physician_id.is_not(None),
            Review.published_at.is_not(None),
        )
    )
    if physician_ids is not None:
        stmt = stmt.where(Review.physician_id.in_(physician_ids))
    return stmt


def _fact(row: Any, names: dict[int, str]) -> tuple[int, ReviewFact]:
    negative = (
        bool(row.negative)
        if row.negative is not None
        else (row.rating is not None and row.rating <= 2)
    )
    return row.physician_id, ReviewFact(
        id=row.id,
        physician_name=names.get(row.physician_id, ""),
        source=row.source,
        rating=row.rating,
        published_at=row.published_at,
        text=row.text or "",
        url=row.url or "",
        response_at=row.response_at,
        negative=negative,
        responded=bool(row.response_text) or row.response_at is not None,
        categories=tuple(n for n in CATEGORIES if getattr(row, n)),
        flags=tuple(n for n in _FLAGS if getattr(row, n)),
        evidence=_evidence(row.detail),
    )


def _org_mix(
    session: Session, version: str, start: datetime, end: datetime
) -> tuple[tuple[tuple[str, int], ...], int]:
    c = Classification
    sums = [
        func.coalesce(func.sum(case((getattr(c, n).is_(True), 1), else_=0)), 0) for n in CATEGORIES
    ]
    row = session.execute(
        select(func.count(Review.id), *sums)
        .outerjoin(c, and_(c.review_id == Review.id, c.classifier_version == version))
        .where(Review.deleted_at.is_(None), Review.published_at >= start, Review.published_at < end)
    ).one()
    return tuple((n, int(v)) for n, v in zip(CATEGORIES, row[1:], strict=True)), int(row[0])


def _crawls(session: Session, now: datetime) -> list[CrawlFact]:
    since = now - timedelta(days=CRAWL_LOOKBACK_DAYS)
    latest = (
        select(CrawlRun.source, func.max(CrawlRun.started_at).label("at"))
        .where(CrawlRun.started_at <= now)
        .group_by(CrawlRun.source)
        .subquery()
    )
    recent = select(CrawlRun).where(CrawlRun.started_at >= since, CrawlRun.started_at <= now)
    last = select(CrawlRun).join(
        latest, and_(CrawlRun.source == latest.c.source, CrawlRun.started_at == latest.c.at)
    )
    runs = {r.id: r for stmt in (recent, last) for r in session.scalars(stmt)}
    return [
        CrawlFact(
            r.source,
            r.status,
            r.started_at,
            r.finished_at,
            str(r.errors[0]) if r.errors and r.status != "ok" else "",
        )
        for r in runs.values()
    ]


def load_digest_data(
    session: Session,
    scopes: Iterable[Scope],
    weeks: Iterable[IsoWeek],
    now: datetime,
    version: str,
    org_tz: str = "UTC",
) -> dict[Scope, DigestData]:
    """DigestData for each (scope, id) -- "physician" or "practice" -- in a few bulk queries."""
    scopes = sorted(set(scopes))
    weeks = list(weeks)
    if not scopes or not weeks:
        return {}
    start, end = load_window(weeks)
    practices = {p.id: p for p in session.scalars(select(Practice))}
    people = session.execute(
        select(Physician.id, Physician.name, Physician.specialty, Physician.practice_id)
    ).all()
    names = {p.id: p.name for p in people}
    members: dict[int, list[int]] = defaultdict(list)
    for p in people:
        if p.practice_id is not None:
            members[p.practice_id].append(p.id)
    wanted = {i for kind, i in scopes if kind == "physician"}
    for kind, i in scopes:
        if kind == "practice":
            wanted.update(members.get(i, []))
    ids = sorted(wanted) if len(wanted) <= _IN_LIMIT else None

    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    stmt = _review_stmt(version, ids).where(Review.published_at >= start, Review.published_at < end)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        pid, fact = _fact(row, names)
        if pid in wanted:
            reviews[pid].append(fact)
    unanswered: dict[int, list[ReviewFact]] = defaultdict(list)
    old = now - timedelta(days=UNANSWERED_LOOKBACK_DAYS)
    c = Classification
    stmt = _review_stmt(version, ids).where(
        Review.published_at >= old,
        Review.published_at < end,
        Review.response_at.is_(None),
        or_(Review.response_text.is_(None), Review.response_text == ""),
        or_(c.negative.is_(True), and_(c.id.is_(None), Review.rating <= 2)),
    )
    for row in session.execute(stmt):
        pid, fact = _fact(row, names)
        if pid in wanted:
            unanswered[pid].append(fact)

    alerts_of: dict[Scope, list[AlertFact]] = defaultdict(list)
    for a in session.scalars(select(Alert).where(Alert.state == "firing")):
        alert = AlertFact(
            a.kind,
            str(
                a.annotations.get("title")
                or a.annotations.get("summary")
                or a.kind.replace("_", " ")
            ),
            a.fired_at or a.started_at,
            names.get(a.physician_id or 0, ""),
        )
        if a.physician_id is not None:
            alerts_of["physician", a.physician_id].append(alert)
        if a.practice_id is not None:
            alerts_of["practice", a.practice_id].append(alert)
    sources: dict[int, set[str]] = defaultdict(set)
    for pid, source in session.execute(select(Profile.physician_id, Profile.source)):
        sources[pid].add(source)
    crawls = _crawls(session, now)
    trend_bounds = max(weeks).shift(1 - TREND_WEEKS).bounds(org_tz)[0], max(weeks).bounds(org_tz)[1]
    org_mix, org_total = _org_mix(session, version, *trend_bounds)
    by_id = {p.id: p for p in people}

    out: dict[Scope, DigestData] = {}
    for kind, i in scopes:
        if kind == "physician" and i in by_id:
            doc = by_id[i]
            practice = practices.get(doc.practice_id) if doc.practice_id else None
            who = [i]
            context = " · ".join(x for x in (doc.specialty, practice.name if practice else "") if x)
            name = doc.name
            scoped_alerts = alerts_of["physician", i]
        elif kind == "practice" and i in practices:
            who = members.get(i, [])
            name = practices[i].name
            context = " · ".join(x for x in (practices[i].hospital, f"{len(who)} physicians") if x)
            seen = {id(a) for a in alerts_of["practice", i]}
            scoped_alerts = alerts_of["practice", i] + [
                a for p in who for a in alerts_of["physician", p] if id(a) not in seen
            ]
        else:
            continue
        mine = set().union(*(sources[p] for p in who)) if who else set()
        out[kind, i] = DigestData(
            scope=kind,
            scope_id=i,
            name=name,
            context=context,
            reviews=tuple(r for p in who for r in reviews.get(p, [])),
            unanswered=tuple(r for p in who for r in unanswered.get(p, [])),
            alerts=tuple(scoped_alerts),
            crawls=tuple(r for r in crawls if r.source in mine),
            sources=tuple(sorted(mine)),
            org_mix=org_mix,
            org_reviews=org_total,
        )
    return out
