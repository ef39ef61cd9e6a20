"""Loading digest facts from the database in bulk: one pass for every scope of a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from reputation.classifier.stored import evidence_spans
from reputation.crawls.health import CrawlFact
from reputation.crawls.runs import decides_health
from reputation.digests.build import TREND_WEEKS, AlertFact, DigestData, MentionFact, ReviewFact
from reputation.findings import describe
from reputation.imports.incoming import MENTION_SOURCES
from reputation.isoweek import IsoWeek
from reputation.mail.render import doctor
from reputation.mentions import MIN_CONFIDENCE, post_text
from reputation.storage.models import (
    Alert,
    Classification,
    CrawlRun,
    Mention,
    Physician,
    Practice,
    Profile,
    Review,
)
from reputation.storage.queries import classified
from reputation.vocabulary import CATEGORIES, FLAGS

__all__ = ["CRAWL_LOOKBACK_DAYS", "UNANSWERED_LOOKBACK_DAYS", "load_digest_data", "load_window"]

Scope = tuple[str, int]
Public = tuple[str, float | None, int | None]  # source, the site's own stars, rating count
UNANSWERED_LOOKBACK_DAYS = 180
CRAWL_LOOKBACK_DAYS = 30
_IN_LIMIT = 500  # above this many physicians, load everything and filter in Python


def load_window(weeks: Iterable[IsoWeek]) -> tuple[datetime, datetime]:
    """UTC bounds that hold each week's 12-week trend and the 12 weeks before it (±1 day)."""
    weeks = list(weeks)
    first = min(weeks).shift(1 - 2 * TREND_WEEKS).monday()  # the trend and its prior period
    last = max(weeks).shift(1).monday()
    return (
        datetime.combine(first, time(0), tzinfo=UTC) - timedelta(days=1),
        datetime.combine(last, time(0), tzinfo=UTC) + timedelta(days=1),
    )


def _review_stmt(version: str, physician_ids: Sequence[int] | None) -> Any:
    c = Classification
    stmt = (
        select(
            Review.id,
            Review.physician_id,
            Review.source,
            Review.rating,
            Review.published_at,
            Review.published_date_only,
            Review.text,
            Review.url,
            Review.response_at,
            Review.response_text,
            c.negative,
            c.label,
            c.bedside_manner,
            c.service,
            c.clinical_skill,
            c.harm,
            c.legal,
            c.phi,
            c.detail,
        )
        .outerjoin(c, classified(version))
        .where(
            Review.deleted_at.is_(None),
            Review.physician_id.is_not(None),
            Review.published_at.is_not(None),
        )
    )
    if physician_ids is not None:
        stmt = stmt.where(Review.physician_id.in_(physician_ids))
    return stmt


def _fact(
    row: Any, names: dict[int, str], practice_of: dict[int, str] | None = None
) -> tuple[int, ReviewFact]:
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
        flags=tuple(n for n in FLAGS if getattr(row, n)),
        evidence=tuple(e["text"] for e in evidence_spans(row.detail)),
        positive=row.label == "positive" if row.label is not None else (row.rating or 0) >= 4,
        practice_name=(practice_of or {}).get(row.physician_id, ""),
        published_date_only=row.published_date_only,
    )


def _org_mix(
    session: Session, version: str, start: datetime, end: datetime
) -> tuple[tuple[tuple[str, int], ...], int]:
    c = Classification
    sums = [  # complaints: negative reviews naming the category
        func.coalesce(
            func.sum(case((and_(getattr(c, n).is_(True), c.negative.is_(True)), 1), else_=0)), 0
        )
        for n in CATEGORIES
    ]
    row = session.execute(
        select(func.count(Review.id), *sums)
        .outerjoin(c, classified(version))
        .where(Review.deleted_at.is_(None), Review.published_at >= start, Review.published_at < end)
    ).one()
    return tuple((n, int(v)) for n, v in zip(CATEGORIES, row[1:], strict=True)), int(row[0])


def _crawls(session: Session, now: datetime) -> list[CrawlFact]:
    since = now - timedelta(days=CRAWL_LOOKBACK_DAYS)
    latest = (
        select(CrawlRun.source, func.max(CrawlRun.started_at).label("at"))
        .where(CrawlRun.started_at <= now, decides_health())
        .group_by(CrawlRun.source)
        .subquery()
    )
    recent = select(CrawlRun).where(
        CrawlRun.started_at >= since, CrawlRun.started_at <= now, decides_health()
    )
    last = (
        select(CrawlRun)
        .join(latest, and_(CrawlRun.source == latest.c.source, CrawlRun.started_at == latest.c.at))
        .where(decides_health())
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
    practice_of = {
        p.id: practices[p.practice_id].name for p in people if p.practice_id in practices
    }
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
        pid, fact = _fact(row, names, practice_of)
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
        pid, fact = _fact(row, names, practice_of)
        if pid in wanted:
            unanswered[pid].append(fact)

    alerts_of = _alerts(session, names, practices)
    sources: dict[int, set[str]] = defaultdict(set)
    public: dict[int, list[Public]] = defaultdict(list)
    for pid, source, stars, count in session.execute(
        select(
            Profile.physician_id, Profile.source, Profile.public_rating, Profile.public_rating_count
        )
    ):
        sources[pid].add(source)
        public[pid].append((source, stars, count))
    crawls = _crawls(session, now)
    ratings = _site_ratings(session, ids)
    mentions = _mentions(session, version, ids, start, end, names)
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
        # Profile sources, and the social sources searched for everyone once they have run.
        mine = set().union(*(sources[p] for p in who)) if who else set()
        mine |= {r.source for r in crawls if r.source in MENTION_SOURCES}
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
            site_ratings=_pool(ratings, who),
            public_ratings=_pool_public(public, who),
            mentions=tuple(m for p in who for m in mentions.get(p, [])),
        )
    return out


def _alerts(
    session: Session, names: dict[int, str], practices: dict[int, Practice]
) -> dict[Scope, list[AlertFact]]:
    """Firing alerts in plain sentences, by the physician and the practice they concern."""
    out: dict[Scope, list[AlertFact]] = defaultdict(list)
    rows = list(session.scalars(select(Alert).where(Alert.state == "firing")))
    newest: dict[int, str] = {}
    ids = {int(i) for a in rows for i in a.annotations.get("review_ids", []) if isinstance(i, int)}
    if ids:
        for rid, url in session.execute(select(Review.id, Review.url).where(Review.id.in_(ids))):
            newest[rid] = url or ""
    # One finding per kind and physician or practice: its most significant alert stands for
    # the others (a cluster seen in several windows and categories is one piece of news).
    best: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for a in rows:
        if a.kind != "unanswered":  # those are listed as reviews awaiting a response
            best[a.kind, str(a.labels.get("entity", a.id))].append(a)
    for group in best.values():
        group.sort(key=lambda a: _significance(a.annotations))
        a, related = group[0], len(group) - 1
        if a.physician_id is not None:
            name = names.get(a.physician_id, "")
            short = doctor(name)
        elif a.practice_id is not None and a.practice_id in practices:
            name = short = practices[a.practice_id].name
        else:
            continue
        found = describe(a.kind, a.labels, a.annotations, name, short,
                         "physician" if a.physician_id is not None else "practice")  # fmt: skip
        more = f" (and {related} related finding{'s' if related != 1 else ''})" if related else ""
        review_ids = [i for i in a.annotations.get("review_ids", []) if isinstance(i, int)]
        fact = AlertFact(
            found.kind,
            found.title + more,
            min(x.fired_at or x.started_at for x in group),
            names.get(a.physician_id or 0, ""),
            url=next((newest[i] for i in reversed(review_ids) if newest.get(i)), ""),
            rank=found.rank,
        )
        if a.physician_id is not None:
            out["physician", a.physician_id].append(fact)
        if a.practice_id is not None:
            out["practice", a.practice_id].append(fact)
    return out


def _significance(notes: dict[str, Any]) -> float:
    q = notes.get("q_value")
    return float(q) if isinstance(q, int | float) else 1.0


def _site_ratings(
    session: Session, ids: Sequence[int] | None
) -> dict[int, list[tuple[str, float, int]]]:
    """Per physician and source: the sum of stars and how many rated reviews, all time."""
    stmt = (
        select(
            Review.physician_id, Review.source, func.sum(Review.rating), func.count(Review.rating)
        )
        .where(Review.deleted_at.is_(None), Review.rating.is_not(None))
        .group_by(Review.physician_id, Review.source)
    )
    if ids is not None:
        stmt = stmt.where(Review.physician_id.in_(ids))
    out: dict[int, list[tuple[str, float, int]]] = defaultdict(list)
    for pid, source, total, count in session.execute(stmt):
        if pid is not None and count:
            out[pid].append((source, float(total or 0.0), int(count)))
    return out


def _pool(
    ratings: dict[int, list[tuple[str, float, int]]], who: Iterable[int]
) -> tuple[tuple[str, float, int], ...]:
    """Each source's mean rating over the scope's physicians."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for pid in who:
        for source, total, count in ratings.get(pid, []):
            sums[source][0] += total
            sums[source][1] += count
    return tuple((s, t / n, int(n)) for s, (t, n) in sorted(sums.items()) if n)


def _pool_public(
    public: dict[int, list[Public]], who: Iterable[int]
) -> tuple[tuple[str, float, int | None], ...]:
    """Each source's public rating over the scope's physicians, weighted by rating count.

    A source counts only when every profile the scope has on it carries the site's rating:
    a practice figure from some physicians' pages would pass for the whole practice's.
    """
    by_source: dict[str, list[tuple[float | None, int | None]]] = defaultdict(list)
    for pid in who:
        for source, stars, count in public.get(pid, []):
            by_source[source].append((stars, count))
    out = []
    for source, rows in sorted(by_source.items()):
        known = [(stars, count) for stars, count in rows if stars is not None]
        if len(known) < len(rows):
            continue
        weight = sum(count or 1 for _, count in known)
        stars = sum(s * (count or 1) for s, count in known) / weight
        counts = [count for _, count in known]
        total = None if None in counts else sum(c or 0 for c in counts)
        out.append((source, stars, total))
    return tuple(out)


def _mentions(
    session: Session,
    version: str,
    ids: Sequence[int] | None,
    start: datetime,
    end: datetime,
    names: dict[int, str],
) -> dict[int, list[MentionFact]]:
    """Social posts matched to a physician with enough confidence, published in the window."""
    c = Classification
    stmt = (
        select(Mention, c.negative, *(getattr(c, n) for n in CATEGORIES))
        .outerjoin(c, classified(version, mention=True))
        .where(
            Mention.physician_id.is_not(None),
            Mention.confidence >= MIN_CONFIDENCE,
            Mention.published_at >= start,
            Mention.published_at < end,
        )
    )
    if ids is not None:
        stmt = stmt.where(Mention.physician_id.in_(ids))
    out: dict[int, list[MentionFact]] = defaultdict(list)
    for m, negative, *marks in session.execute(stmt):
        if m.physician_id is None or m.published_at is None:
            continue
        out[m.physician_id].append(
            MentionFact(
                id=m.id,
                source=m.source,
                physician_name=names.get(m.physician_id, ""),
                published_at=m.published_at,
                text=post_text(m.title, m.text),
                url=m.url,
                confidence=m.confidence,
                categories=tuple(n for n, on in zip(CATEGORIES, marks, strict=True) if on),
                negative=bool(negative),
            )
        )
    return out
