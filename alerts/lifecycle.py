"""The pure alert lifecycle: pending -> firing -> resolved, silences and reminders.

It follows Prometheus Alertmanager: a `for` duration and a consecutive-evaluation count so
alerts do not flap, a hold-down before resolving, repeat-interval reminders and silences that
mute notifications but not state.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from alerts.kinds import ClusterAlert, Detection
from reputation.vocabulary import KIND_LABELS

__all__ = [
    "SILENCE_LABELS",
    "AlertState",
    "Event",
    "LifecyclePolicy",
    "SilenceRule",
    "State",
    "StepResult",
    "Transition",
    "describe_matchers",
    "expand",
    "parse_duration",
    "parse_matchers",
    "step",
]

State = Literal["pending", "firing", "resolved"]


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


SILENCE_LABELS = ("kind", "entity", "category", "window")


# What a label's value can be ('*' matches any): a silence whose value no alert can carry would
# mute nothing, so a typo is refused rather than stored.
_ENTITY = re.compile(r"(physician|practice):\d+|source:[a-z_]+|organisation")
_WINDOW = re.compile(r"\d+d")


def parse_matchers(matchers: Sequence[str]) -> dict[str, str]:
    """{"entity": "physician:12"} from ["entity=physician:12"]; ValueError names a bad one."""
    parsed = {}
    for m in matchers:
        key, sep, value = m.partition("=")
        if not sep or key not in SILENCE_LABELS:
            raise ValueError(f"--match {m!r}: use kind=, entity=, category= or window=")
        if value != "*":
            if key == "kind" and value not in KIND_LABELS:
                raise ValueError(f"--match {m!r}: kind is one of {', '.join(KIND_LABELS)}")
            if key == "entity" and not _ENTITY.fullmatch(value):
                raise ValueError(
                    f"--match {m!r}: entity is physician:ID, practice:ID, source:NAME or "
                    "organisation (ids as `repmon alerts list --json` shows them)"
                )
            if key == "window" and not _WINDOW.fullmatch(value):
                raise ValueError(f"--match {m!r}: window is a number of days such as 14d")
        parsed[key] = value
    return parsed


def describe_matchers(matchers: Mapping[str, str]) -> str:
    """'kind=cluster, entity=physician:12': matchers as they are typed."""
    return ", ".join(f"{key}={value}" for key, value in matchers.items())


def parse_duration(text: str) -> timedelta:
    """12h, 7d or 2w as a timedelta; ValueError otherwise."""
    match = re.fullmatch(r"(\d+)([hdw])", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 12h, 7d or 2w")
    n, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


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
    # A new cluster alert this share or more of whose negatives a fired cluster alert already
    # named (a longer window of a streak paged before, once its first alert has resolved)
    # continues that problem: it fires without paging again.
    continued_share: float = 0.5

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


def _evidence(notes: Mapping[str, object]) -> set[tuple[str, object]]:
    """The reviews and social posts a cluster alert names (the ids are of two tables)."""
    out: set[tuple[str, object]] = set()
    for key in ("review_ids", "mention_ids"):
        ids = notes.get(key)
        if isinstance(ids, list | tuple):
            out.update((key, i) for i in ids)
    return out


def expand(findings: Sequence[Detection]) -> tuple[dict[str, Detection], frozenset[str]]:
    """All alerts by fingerprint, including those held (inhibited) by another, and the held."""
    current: dict[str, Detection] = {}
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
    alert: Detection | None
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
    findings: Sequence[Detection],
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
    # Identity is the window, but the problem is its evidence: the negatives a cluster alert
    # about the same entity named once it had fired (firing or since resolved) were paged.
    paged: dict[str, set[tuple[str, object]]] = defaultdict(set)
    for st in previous.values():
        if st.kind == "cluster" and st.fired_at is not None:
            paged[st.labels.get("entity", "")] |= _evidence(st.annotations)

    def emit(event: Event, st: AlertState, alert: Detection | None, notifiable: bool) -> None:
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
        elif new and alert.kind == "cluster" and (named := _evidence(notes)):
            seen = paged.get(alert.labels()["entity"], set())
            if len(named & seen) >= policy.continued_share * len(named):
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
