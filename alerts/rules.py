"""Alert kinds (one closed list), the simple detectors, and the pure alert lifecycle.

Identity is a fingerprint of labels (kind, entity, category, window); numbers are annotations.
The lifecycle follows Prometheus Alertmanager: pending -> firing -> resolved, with a `for`
duration and a consecutive-evaluation count so alerts do not flap, a hold-down before
resolving, repeat-interval reminders and silences that mute notifications but not state.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar, Literal

__all__ = [
    "IMMEDIATE_LOOKBACK",
    "RATING_DROP_PRIOR_DAYS",
    "RATING_DROP_WINDOW_DAYS",
    "Alert",
    "AlertState",
    "ClusterAlert",
    "CrawlHealthAlert",
    "CrawlRunFacts",
    "FlagBacklogAlert",
    "ImmediateAlert",
    "LifecyclePolicy",
    "RatingDropAlert",
    "ReviewFacts",
    "SilenceRule",
    "StepResult",
    "Transition",
    "UnansweredAlert",
    "crawl_health",
    "expand",
    "fingerprint",
    "immediate",
    "step",
    "unanswered",
]

State = Literal["pending", "firing", "resolved"]


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 64-hex identity of a label set (order-independent)."""
    blob = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


class _Kind:
    """Mixin: every alert kind has labels (identity) and annotations (numbers)."""

    kind: ClassVar[str]

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        raise NotImplementedError

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Stable identity over the labels only."""
        return fingerprint(self.labels())


@dataclass(frozen=True)
class ClusterAlert(_Kind):
    """Negative reviews on one physician or practice beyond what chance explains."""

    kind: ClassVar[str] = "cluster"
    entity_kind: Literal["physician", "practice"]
    entity_id: int
    category: str
    window_days: int
    observed: int
    expected: float
    p_value: float
    q_value: float
    n_reviews: int
    distinct_reviewers: int
    category_split: tuple[tuple[str, int], ...] = ()
    review_ids: tuple[int, ...] = ()
    inhibited: tuple[ClusterAlert, ...] = ()
    mention_ids: tuple[int, ...] = ()  # negatives that are social posts, not reviews
    members: tuple[tuple[int, int], ...] = ()  # a practice's negatives per physician

    @property
    def ratio(self) -> float:
        """Observed over expected negatives."""
        return self.observed / self.expected if self.expected > 0 else float("inf")

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": f"{self.entity_kind}:{self.entity_id}",
            "category": self.category,
            "window": f"{self.window_days}d",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {
            "observed": self.observed,
            "expected": round(self.expected, 3),
            "ratio": round(self.ratio, 2),
            "p_value": self.p_value,
            "q_value": self.q_value,
            "n_reviews": self.n_reviews,
            "distinct_reviewers": self.distinct_reviewers,
            "category_split": dict(self.category_split),
            "review_ids": list(self.review_ids),
            "mention_ids": list(self.mention_ids),
            "members": {f"physician:{p}": n for p, n in self.members},
            "inhibited": [
                {"entity": a.labels()["entity"], **a.labels(), **a.annotations()}
                for a in self.inhibited
            ],
        }


@dataclass(frozen=True)
class ImmediateAlert(_Kind):
    """A review or social post flagged harm or legal, new to the world: alerts at once."""

    kind: ClassVar[str] = "immediate"
    review_id: int
    physician_id: int
    flag: str
    published_at: datetime
    social: bool = False  # review_id is then the id of a social post (mention)

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": f"physician:{self.physician_id}",
            "category": self.flag,
            "window": f"{'mention' if self.social else 'review'}:{self.review_id}",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        ids = [self.review_id]
        return {
            "review_ids": [] if self.social else ids,
            "mention_ids": ids if self.social else [],
            "published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True)
class FlagBacklogAlert(_Kind):
    """Harm or legal flags on reviews that are old news: published long before we first saw
    them (a first crawl, a history import). One summary per flag, not one page per review."""

    kind: ClassVar[str] = "flag_backlog"
    flag: str
    review_ids: tuple[int, ...]
    physician_counts: tuple[tuple[int, int], ...]  # (physician id, reviews), most first
    oldest: datetime
    newest: datetime

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {"kind": self.kind, "entity": "organisation", "category": self.flag, "window": ""}

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        word = "allege harm" if self.flag == "harm" else "mention legal action"
        return {
            "summary": f"{len(self.review_ids)} older reviews {word}",
            "count": len(self.review_ids),
            "review_ids": list(self.review_ids),
            "physicians": {f"physician:{p}": n for p, n in self.physician_counts},
            "oldest": self.oldest.isoformat(),
            "newest": self.newest.isoformat(),
        }


@dataclass(frozen=True)
class RatingDropAlert(_Kind):
    """A physician's mean rating over the window fell against the prior period."""

    kind: ClassVar[str] = "rating_drop"
    physician_id: int
    window_days: int
    window_mean: float
    prior_mean: float
    window_count: int
    prior_count: int
    review_ids: tuple[int, ...] = ()
    p_value: float = 0.0

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": f"physician:{self.physician_id}",
            "category": "all",
            "window": f"{self.window_days}d",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {
            "window_mean": round(self.window_mean, 2),
            "prior_mean": round(self.prior_mean, 2),
            "drop": round(self.prior_mean - self.window_mean, 2),
            "window_count": self.window_count,
            "prior_count": self.prior_count,
            "p_value": self.p_value,
            "review_ids": list(self.review_ids),
        }


@dataclass(frozen=True)
class UnansweredAlert(_Kind):
    """A negative review without an owner response past the deadline."""

    kind: ClassVar[str] = "unanswered"
    review_id: int
    physician_id: int
    published_at: datetime
    age_days: float

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": f"physician:{self.physician_id}",
            "category": "all",
            "window": f"review:{self.review_id}",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {"review_ids": [self.review_id], "age_days": round(self.age_days, 1)}


@dataclass(frozen=True)
class CrawlHealthAlert(_Kind):
    """A source blocked, broken or failing, or silent for longer than expected."""

    kind: ClassVar[str] = "crawl_health"
    source: str
    problem: str
    since: datetime
    detail: str = ""

    def labels(self) -> dict[str, str]:
        """Identity labels of this alert."""
        return {
            "kind": self.kind,
            "entity": f"source:{self.source}",
            "category": self.problem,
            "window": "",
        }

    def annotations(self) -> dict[str, object]:
        """The numbers and evidence a person needs to judge the alert."""
        return {"since": self.since.isoformat(), "detail": self.detail}


Alert = (
    ClusterAlert
    | ImmediateAlert
    | FlagBacklogAlert
    | RatingDropAlert
    | UnansweredAlert
    | CrawlHealthAlert
)


@dataclass(frozen=True)
class ReviewFacts:
    """What the simple detectors need to know about one review."""

    review_id: int
    physician_id: int
    published_at: datetime
    rating: float | None = None
    negative: bool = False
    response_at: datetime | None = None
    flags: frozenset[str] = frozenset()
    first_seen_at: datetime | None = None
    watched_since: datetime | None = None  # first crawl of the review's profile
    social: bool = False  # a social post (mention); review_id is the mention id
    author: str = ""


@dataclass(frozen=True)
class CrawlRunFacts:
    """What crawl health needs to know about one crawl run."""

    source: str
    started_at: datetime
    status: str
    items: int = 0


# How far back the immediate and rating-drop detectors look (alerts.evaluate loads that much).
IMMEDIATE_LOOKBACK = timedelta(days=30)
RATING_DROP_WINDOW_DAYS = 90
RATING_DROP_PRIOR_DAYS = 365


def immediate(
    reviews: Iterable[ReviewFacts], now: datetime, lookback: timedelta = IMMEDIATE_LOOKBACK
) -> list[ImmediateAlert | FlagBacklogAlert]:
    """Harm/legal flags on reviews published, or first seen, within the lookback.

    A flag pages at once only when the review is new to the world: published at most
    `lookback` before we first saw it, or after its profile's first crawl. Older reviews that
    a first crawl or an import brings in go into one FlagBacklogAlert per flag. In a replay
    of history (first_seen_at after `now`) the publication date decides.
    """
    out: list[ImmediateAlert | FlagBacklogAlert] = []
    backlog: dict[str, list[ReviewFacts]] = defaultdict(list)
    for r in reviews:
        flags = sorted(r.flags & {"harm", "legal"})
        if not flags or r.published_at > now:
            continue
        seen = r.first_seen_at if r.first_seen_at is not None and r.first_seen_at <= now else None
        if seen is None or seen < now - lookback:
            new = now - lookback <= r.published_at
        else:
            late = r.watched_since is not None and r.published_at >= r.watched_since
            if not (late or r.published_at >= seen - lookback):
                for flag in flags:
                    backlog[flag].append(r)
                continue
            new = True
        if new:
            for flag in flags:
                out.append(
                    ImmediateAlert(r.review_id, r.physician_id, flag, r.published_at, r.social)
                )
    for flag, rows in sorted(backlog.items()):
        rows.sort(key=lambda r: (r.published_at, r.review_id))
        counts = Counter(r.physician_id for r in rows).most_common()
        out.append(
            FlagBacklogAlert(
                flag,
                tuple(r.review_id for r in rows),
                tuple(counts),
                rows[0].published_at,
                rows[-1].published_at,
            )
        )
    return out


def unanswered(
    reviews: Iterable[ReviewFacts],
    now: datetime,
    deadline: timedelta = timedelta(days=7),
    max_age: timedelta = timedelta(days=60),
) -> list[UnansweredAlert]:
    """Negative reviews with no owner response older than the deadline (newer than max_age)."""
    out = []
    for r in reviews:
        age = now - r.published_at
        answered = r.response_at is not None and r.response_at <= now
        if r.negative and not answered and deadline <= age <= max_age:
            out.append(
                UnansweredAlert(
                    r.review_id, r.physician_id, r.published_at, age / timedelta(days=1)
                )
            )
    return out


def crawl_health(
    runs: Iterable[CrawlRunFacts],
    now: datetime,
    stale_after: timedelta = timedelta(days=14),
    bad_statuses: frozenset[str] = frozenset({"blocked", "broken", "failed"}),
) -> list[CrawlHealthAlert]:
    """Sources whose latest run is bad, or that used to yield reviews and have gone silent."""
    by_source: dict[str, list[CrawlRunFacts]] = defaultdict(list)
    for run in runs:
        if run.started_at <= now and run.status != "running":
            by_source[run.source].append(run)
    out = []
    for source, rows in sorted(by_source.items()):
        rows.sort(key=lambda r: r.started_at)
        latest = rows[-1]
        if latest.status in bad_statuses:
            since = latest.started_at
            for run in reversed(rows):
                if run.status != latest.status:
                    break
                since = run.started_at
            out.append(CrawlHealthAlert(source, latest.status, since, f"latest run {since:%F}"))
            continue
        productive = [r for r in rows if r.items > 0]
        if productive and now - productive[-1].started_at > stale_after and latest.items == 0:
            last = productive[-1].started_at
            idle = len(rows) - rows.index(productive[-1]) - 1
            detail = f"no reviews since {last:%F} in {idle} runs"
            out.append(CrawlHealthAlert(source, "stale", last, detail))
    return out


@dataclass(frozen=True)
class SilenceRule:
    """Mutes notifications of alerts whose labels match every matcher, until it expires."""

    matchers: Mapping[str, str]
    expires_at: datetime
    starts_at: datetime | None = None
    reason: str = ""

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        """True when active at `now` and every matcher equals the label ('*' matches any)."""
        if now >= self.expires_at or (self.starts_at is not None and now < self.starts_at):
            return False
        return all(v == "*" or labels.get(k) == v for k, v in self.matchers.items())


@dataclass(frozen=True)
class LifecyclePolicy:
    """Timing of the lifecycle, per kind where it matters."""

    for_: Mapping[str, timedelta] = field(default_factory=dict)
    min_consecutive: Mapping[str, int] = field(default_factory=dict)
    resolve_after: Mapping[str, timedelta] = field(
        default_factory=lambda: {"cluster": timedelta(days=14)}
    )
    default_resolve_after: timedelta = timedelta(days=1)
    repeat_interval: timedelta = timedelta(days=7)
    send_resolved: bool = True
    immediate_kinds: frozenset[str] = frozenset({"immediate"})

    def hold_down(self, kind: str) -> timedelta:
        """How long an alert stays firing after its condition was last seen."""
        return self.resolve_after.get(kind, self.default_resolve_after)

    def ready(self, kind: str, started: datetime, consecutive: int, now: datetime) -> bool:
        """Whether a pending alert has persisted long enough to fire."""
        if kind in self.immediate_kinds:
            return True
        wait = self.for_.get(kind, timedelta(0))
        return now - started >= wait and consecutive >= self.min_consecutive.get(kind, 1)


@dataclass(frozen=True)
class AlertState:
    """The stored state of one alert identity."""

    fingerprint: str
    kind: str
    labels: Mapping[str, str]
    state: State
    started_at: datetime
    last_seen_at: datetime
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_notified_at: datetime | None = None
    consecutive: int = 1
    annotations: Mapping[str, object] = field(default_factory=dict)


Event = Literal["pending", "fired", "reminder", "resolved", "dropped"]


def expand(findings: Sequence[Alert]) -> tuple[dict[str, Alert], frozenset[str]]:
    """All alerts by fingerprint, including those held (inhibited) by another, and the held."""
    current: dict[str, Alert] = {}
    held: set[str] = set()
    for a in findings:
        current.setdefault(a.fingerprint(), a)
        if isinstance(a, ClusterAlert):
            for child in a.inhibited:
                fp = child.fingerprint()
                current[fp] = child
                held.add(fp)
    return current, frozenset(held - {a.fingerprint() for a in findings})


@dataclass(frozen=True)
class Transition:
    """One change worth recording; `notify` is False when silenced or not notifiable."""

    fingerprint: str
    event: Event
    state: AlertState
    alert: Alert | None
    notify: bool
    silenced: bool = False
    inhibited: bool = False


@dataclass(frozen=True)
class StepResult:
    """New states of every known alert and the transitions of this evaluation."""

    states: dict[str, AlertState]
    transitions: list[Transition]


def step(
    previous: Mapping[str, AlertState],
    findings: Sequence[Alert],
    now: datetime,
    policy: LifecyclePolicy | None = None,
    silences: Sequence[SilenceRule] = (),
) -> StepResult:
    """Advance the lifecycle of every alert (and of the alerts they inhibit) by one evaluation."""
    policy = policy or LifecyclePolicy()
    states = dict(previous)
    moves: list[Transition] = []
    current, held = expand(findings)
    quiet = set(held)
    # An entity already under a firing cluster alert: a new window or category of the same
    # problem continues that alert rather than paging again (and one of its alerts resolving
    # is not announced while another still fires).
    under = {
        st.labels.get("entity", "")
        for st in previous.values()
        if st.kind == "cluster" and st.state == "firing"
    }

    def emit(event: Event, st: AlertState, alert: Alert | None, notifiable: bool) -> None:
        muted = any(s.mutes(st.labels, now) for s in silences)
        inhibited = st.fingerprint in quiet
        notify = notifiable and not (muted or inhibited)
        moves.append(Transition(st.fingerprint, event, st, alert, notify, muted, inhibited))

    for fp, alert in sorted(current.items()):
        old = states.get(fp)
        notes = alert.annotations()
        new = old is None or old.state != "firing"
        if new and alert.kind == "cluster" and alert.labels()["entity"] in under:
            quiet.add(fp)
        if old is None or old.state == "resolved":
            st = AlertState(fp, alert.kind, alert.labels(), "pending", now, now, annotations=notes)
            if policy.ready(alert.kind, now, 1, now):
                st = replace(st, state="firing", fired_at=now, last_notified_at=now)
                emit("fired", st, alert, True)
            else:
                emit("pending", st, alert, False)
        elif old.state == "pending":
            n = old.consecutive + 1
            st = replace(old, last_seen_at=now, consecutive=n, annotations=notes)
            if policy.ready(alert.kind, old.started_at, n, now):
                st = replace(st, state="firing", fired_at=now, last_notified_at=now)
                emit("fired", st, alert, True)
        else:
            st = replace(old, last_seen_at=now, consecutive=old.consecutive + 1, annotations=notes)
            last = old.last_notified_at or old.fired_at or old.started_at
            if now - last >= policy.repeat_interval:
                st = replace(st, last_notified_at=now)
                emit("reminder", st, alert, True)
        states[fp] = st
    for fp, old in previous.items():
        if fp in current or old.state == "resolved":
            continue
        if old.state == "pending":
            del states[fp]
            emit("dropped", old, None, False)
        elif now - old.last_seen_at >= policy.hold_down(old.kind):
            st = replace(old, state="resolved", resolved_at=now)
            states[fp] = st
            notice = policy.send_resolved and old.kind not in policy.immediate_kinds
            entity = old.labels.get("entity", "")
            if old.kind == "cluster" and any(
                o.kind == "cluster" and o.state == "firing" and o.labels.get("entity") == entity
                for o in states.values()
            ):
                notice = False
            emit("resolved", st, None, notice)
    return StepResult(states, moves)
