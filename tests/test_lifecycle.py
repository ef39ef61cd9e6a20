"""The alert lifecycle (alerts.lifecycle): pending, firing, resolved, reminders, silences,
inhibited and continued alerts; and silences as a person types them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.kinds import (
    ImmediateAlert,
)
from alerts.lifecycle import (
    AlertState,
    LifecyclePolicy,
    SilenceRule,
    expand,
    parse_duration,
    parse_matchers,
    step,
)
from tests.factories import cluster_alert as cluster

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_immediate_kinds_fire_at_once_and_others_wait_for_persistence() -> None:
    policy = LifecyclePolicy(for_={"cluster": 2 * DAY}, min_consecutive={"cluster": 2})
    harm = ImmediateAlert(1, 7, "harm", NOW)
    first = step({}, [harm, cluster()], NOW, policy)
    events = {t.state.kind: t.event for t in first.transitions}
    assert events == {"immediate": "fired", "cluster": "pending"}
    second = step(first.states, [harm, cluster()], NOW + DAY, policy)
    assert [t.event for t in second.transitions] == []
    third = step(second.states, [harm, cluster()], NOW + 2 * DAY, policy)
    assert [(t.event, t.notify) for t in third.transitions] == [("fired", True)]
    aged = step(third.states, [cluster()], NOW + 4 * DAY, policy)
    assert [(t.event, t.notify) for t in aged.transitions] == [("resolved", False)]


def test_pending_that_disappears_is_dropped_without_notice() -> None:
    policy = LifecyclePolicy(for_={"cluster": 2 * DAY})
    first = step({}, [cluster()], NOW, policy)
    second = step(first.states, [], NOW + DAY, policy)
    assert [(t.event, t.notify) for t in second.transitions] == [("dropped", False)]
    assert second.states == {}


def test_no_flapping_when_a_finding_comes_and_goes() -> None:
    policy = LifecyclePolicy(resolve_after={"cluster": 5 * DAY}, repeat_interval=100 * DAY)
    states: dict[str, AlertState] = {}
    fired = resolved = 0
    for day in range(30):
        present = [cluster()] if day < 20 and day % 2 == 0 else []
        result = step(states, present, NOW + day * DAY, policy)
        states = result.states
        fired += sum(t.event == "fired" for t in result.transitions)
        resolved += sum(t.event == "resolved" for t in result.transitions)
    assert (fired, resolved) == (1, 1)
    assert next(iter(states.values())).state == "resolved"


def test_repeat_interval_reminds_and_resolved_notice_is_optional() -> None:
    policy = LifecyclePolicy(repeat_interval=3 * DAY, send_resolved=False)
    states = step({}, [cluster()], NOW, policy).states
    events = []
    for day in range(1, 8):
        result = step(states, [cluster()], NOW + day * DAY, policy)
        states = result.states
        events += [(day, t.event) for t in result.transitions]
    assert events == [(3, "reminder"), (6, "reminder")]
    later = step(states, [], NOW + 30 * DAY, policy)
    assert [(t.event, t.notify) for t in later.transitions] == [("resolved", False)]


def test_silence_mutes_notification_but_not_state_until_it_expires() -> None:
    rule = SilenceRule({"kind": "cluster", "entity": "physician:7"}, NOW + 2 * DAY, reason="known")
    first = step({}, [cluster(), cluster(entity_id=8)], NOW, silences=[rule])
    muted = {t.state.labels["entity"]: (t.event, t.notify, t.silenced) for t in first.transitions}
    assert muted == {
        "physician:7": ("fired", False, True),
        "physician:8": ("fired", True, False),
    }
    assert not rule.mutes({"kind": "cluster", "entity": "physician:7"}, NOW + 3 * DAY)
    assert SilenceRule({"entity": "*"}, NOW + DAY).mutes({"entity": "x"}, NOW)


def test_inhibited_alerts_track_state_silently() -> None:
    child = cluster(entity_id=8)
    parent = cluster(entity_id=1, entity_kind="practice", inhibited=(child,))
    current, held = expand([parent])
    assert set(current) == {parent.fingerprint(), child.fingerprint()}
    assert held == {child.fingerprint()}
    result = step({}, [parent], NOW)
    notify = {t.fingerprint: (t.notify, t.inhibited) for t in result.transitions}
    assert notify == {parent.fingerprint(): (True, False), child.fingerprint(): (False, True)}
    assert result.states[child.fingerprint()].state == "firing"


def test_a_new_window_of_a_firing_cluster_continues_it_without_paging_again() -> None:
    # A cluster first seen in the 14-day window shows later in the 30-day window: the same
    # problem on the same physician, not a second page; a new physician still pages.
    first = step({}, [cluster(window_days=14)], NOW)
    assert [m.notify for m in first.transitions] == [True]
    later = NOW + DAY
    second = step(first.states, [cluster(window_days=30), cluster(entity_id=8)], later)
    moves = {(m.state.labels["entity"], m.state.labels["window"]): m for m in second.transitions}
    assert not moves[("physician:7", "30d")].notify and moves[("physician:7", "30d")].inhibited
    assert moves[("physician:8", "14d")].notify
    # The 14-day alert resolves while the 30-day one fires: no "resolved" notice either.
    third = step(second.states, [cluster(window_days=30)], later + 15 * DAY)
    resolved = {
        (m.state.labels["entity"], m.state.labels["window"]): m.notify
        for m in third.transitions
        if m.event == "resolved"
    }
    assert resolved == {("physician:7", "14d"): False, ("physician:8", "14d"): True}


def test_a_streak_already_paged_does_not_page_again_in_a_longer_window() -> None:
    # Issue 14 item 3: a planted streak paged in its 14-day window, resolved after the
    # hold-down, and paged again weeks later as the 90-day window's finding (the same five
    # negatives and a few more). Most of its negatives were named: it continues, quietly.
    streak = (101, 102, 103, 104, 105)
    first = step({}, [cluster(review_ids=streak)], NOW)
    assert [m.notify for m in first.transitions] == [True]
    gone = step(first.states, [], NOW + 15 * DAY)
    assert [m.event for m in gone.transitions] == ["resolved"]
    longer = cluster(window_days=90, observed=8, review_ids=(*streak, 201, 202, 203))
    later = step(gone.states, [longer], NOW + 40 * DAY)
    (move,) = later.transitions
    assert move.event == "fired" and not move.notify and move.inhibited
    # New negatives on the same physician are a new problem and page; so do the same
    # negatives under another entity (a practice alert names them for the first time).
    fresh = cluster(window_days=30, review_ids=(301, 302, 303, 304, 105))
    practice = cluster(entity_kind="practice", entity_id=3, review_ids=streak)
    again = step(gone.states, [fresh, practice], NOW + 40 * DAY)
    assert {m.state.labels["entity"]: m.notify for m in again.transitions} == {
        "physician:7": True,
        "practice:3": True,
    }
    # The share is a policy: at 1 only a finding wholly named before continues.
    strict = LifecyclePolicy(continued_share=1.0)
    assert step(gone.states, [longer], NOW + 40 * DAY, strict).transitions[0].notify


def test_matchers_are_parsed_per_label() -> None:
    parsed = parse_matchers(["entity=physician:12", "kind=unanswered"])
    assert parsed == {"entity": "physician:12", "kind": "unanswered"}


@pytest.mark.parametrize(
    "bad", ["physician:12", "npi=123", "=cluster"], ids=["no-label", "unknown-label", "empty-label"]
)
def test_a_bad_matcher_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match=f"--match '{bad}': use kind=, entity="):
        parse_matchers([bad])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12h", timedelta(hours=12)), ("7d", timedelta(days=7)), (" 2w ", timedelta(weeks=2))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["7", "7 days", "-1d", "1.5d", ""])
def test_a_bad_duration_says_what_a_duration_looks_like(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 12h, 7d or 2w"):
        parse_duration(bad)


def test_matchers_refuse_values_no_alert_can_carry() -> None:
    assert parse_matchers(["kind=cluster", "entity=physician:12", "window=14d"]) == {
        "kind": "cluster",
        "entity": "physician:12",
        "window": "14d",
    }
    assert parse_matchers(["entity=source:ratemds", "kind=*"])["kind"] == "*"
    for bad, says in (
        ("kind=clusters", "kind is one of"),
        ("entity=physician:Smith", "entity is physician:ID"),
        ("entity=12", "entity is physician:ID"),
        ("window=14", "number of days"),
        ("who=me", "use kind="),
    ):
        with pytest.raises(ValueError, match=says):
            parse_matchers([bad])
