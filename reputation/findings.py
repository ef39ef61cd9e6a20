"""An alert in plain words: one subject line, a title, a summary and the numbers behind it.

Alert emails (alerts.notify) and digests (reputation.digests.load) both describe alerts with
`describe`, from the alert's kind, labels and annotations only, so a detector adding numbers
does not break the wording, and a missing number reads as "?" rather than an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reputation.vocabulary import FINDING_KINDS, KIND_LABELS
from reputation.wording import plural

__all__ = ["CATEGORY_WORDS", "Finding", "describe", "open_alert_summary"]

CATEGORY_WORDS = {
    "bedside_manner": "bedside-manner",
    "service": "service",
    "clinical_skill": "clinical-skill",
    "all": "negative-review",
}


@dataclass(frozen=True)
class Finding:
    """What an alert says: `subject` leads with the short name, `title` with the full one."""

    kind: str  # cluster | harm | legal | rating_drop | unanswered | crawl_health | ...
    subject: str
    title: str
    summary: str
    numbers: dict[str, Any] | None = None

    @property
    def what(self) -> str:
        """The finding without whom it is about: '5 service complaints in 30 days (...)'."""
        return self.subject.partition(": ")[2] or self.subject

    @property
    def rank(self) -> int:
        """Where it sorts among findings: safety first, then clusters, drops, sources."""
        return FINDING_KINDS.index(self.kind) if self.kind in FINDING_KINDS else len(FINDING_KINDS)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _cluster(labels: Mapping[str, Any], notes: Mapping[str, Any], name: str, short: str,
             entity_type: str) -> Finding:  # fmt: skip
    category = str(labels.get("category", "all"))
    word = CATEGORY_WORDS.get(category, category.replace("_", " "))
    window = str(labels.get("window", "")).rstrip("d")
    days = int(window) if window.isdigit() else 0
    observed = int(_number(notes.get("observed")) or 0)
    expected = _number(notes.get("expected")) or 0.0
    noun = "negative review" if category == "all" else f"{word} complaint"
    finding = f"{observed} {noun}{'s' if observed != 1 else ''} in {days} days"
    # ASCII only: Python's header folding doubles the space before an encoded "≈".
    usual = "usually none" if expected < 0.5 else f"usually about {max(1, round(expected))}"
    reviewers = notes.get("distinct_reviewers", observed)
    return Finding(
        "cluster",
        f"{short}: {finding} ({usual})",
        f"{finding[0].upper()}{finding[1:]} for {name} ({usual})",
        f"{observed} negative reviews from {reviewers} different reviewers in {days} days, "
        f"where about {expected:.1f} would be usual for this {entity_type}'s volume. That many "
        "is very unlikely to be chance.",
        {
            "observed": observed,
            "expected": expected,
            "ratio": _number(notes.get("ratio")) or 0.0,
            "p": _number(notes.get("p_value")) or 1.0,
            "q": _number(notes.get("q_value")) or 1.0,
            "window_days": days,
        },
    )


def describe(
    kind: str,
    labels: Mapping[str, Any],
    notes: Mapping[str, Any],
    name: str,
    short: str = "",
    entity_type: str = "physician",
) -> Finding:
    """The plain words for one alert about `name` (`short`: 'Dr. Nakamura', for subjects)."""
    short = short or name
    if kind == "cluster":
        return _cluster(labels, notes, name, short, entity_type)
    if kind == "immediate":
        flag = str(labels.get("category", "harm"))
        what = "alleged patient harm" if flag == "harm" else "legal threat"
        return Finding(
            flag,
            f"{short}: {what} in a review",
            f"{what[0].upper()}{what[1:]} in a review of {name}",
            "Risk management decides what happens next. Do not reply publicly, and do not "
            "confirm anything about the reviewer.",
        )
    if kind == "flag_backlog":
        # Old news found by a first crawl or a history import: one summary, not one page each.
        summary = str(notes.get("summary") or f"{notes.get('count', '?')} older reviews")
        oldest, newest = str(notes.get("oldest", ""))[:10], str(notes.get("newest", ""))[:10]
        return Finding(
            kind,
            f"{summary} (published before monitoring)",
            f"{summary}, published before we started watching",
            f"Published between {oldest} and {newest}, before the first crawl of their profile "
            "or brought in by an import: none is new, so none was paged. Risk management may "
            "still want to read them. Do not reply publicly.",
        )
    if kind == "rating_drop":
        before, after = _number(notes.get("prior_mean")), _number(notes.get("window_mean"))
        fall = (
            f"rating fell from {before:.1f} to {after:.1f} stars"
            if before is not None and after is not None
            else "rating fell"
        )
        return Finding(
            kind,
            f"{short}: {fall}",
            f"{name}: {fall}",
            f"The {notes.get('window_count', '?')} most recent reviews average "
            f"{_number(notes.get('drop')) or 0.0:.1f} stars less than the "
            f"{notes.get('prior_count', '?')} before them.",
        )
    if kind == "unanswered":
        return Finding(
            kind,
            f"{short}: negative review awaiting a reply",
            f"Negative review of {name} awaiting a reply",
            "",
        )
    if kind == "crawl_health":
        problem = str(labels.get("category", "problem"))
        since = str(notes.get("since", ""))[:10]
        detail = str(notes.get("detail", "")).strip()
        return Finding(
            kind,
            f"{short}: {problem} since {since}",
            f"{name}: {problem} since {since}",
            (f"{detail}. " if detail else "")
            + "Until this is fixed, 'no new reviews' from this source means nothing.",
        )
    words = kind.replace("_", " ")
    return Finding(kind, f"{short}: {words}", f"{name}: {words}", "")


def open_alert_summary(alerts: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """Firing alerts, given as (kind, labels), in the words the emails use, e.g. '27 open:
    Possible patient harm 1, Complaint cluster 3 (on 1 physician or practice), ...'.

    Mail groups an entity's clusters into one finding; the count of whom they are about lets
    `repmon status` agree with it.
    """
    alerts_of: dict[str, int] = {}
    about: dict[str, set[str]] = {}
    for kind, labels in alerts:
        key = str(labels.get("category", "harm")) if kind == "immediate" else kind
        alerts_of[key] = alerts_of.get(key, 0) + 1
        about.setdefault(key, set()).add(str(labels.get("entity", "")))
    if not alerts_of:
        return "none open"
    order = {k: i for i, k in enumerate(FINDING_KINDS)}
    parts = []
    for key in sorted(alerts_of, key=lambda k: order.get(k, len(order))):
        part = f"{KIND_LABELS.get(key, key.replace('_', ' '))} {alerts_of[key]}"
        if key in ("cluster", "rating_drop") and len(about[key]) < alerts_of[key]:
            whom = plural(len(about[key]), "physician or practice", "physicians or practices")
            part += f" (on {whom})"
        parts.append(part)
    return f"{sum(alerts_of.values())} open: " + ", ".join(parts)
