"""Complaint classifier: sentiment, complaint categories with evidence, and harm/legal/phi flags."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reputation import lexicon
from reputation.sentiment import (
    document_compound,
    label_for,
    overall_compound,
    sentence_compound,
    split_sentences,
)

__all__ = [
    "CATEGORIES",
    "CLASSIFIER_VERSION",
    "FLAGS",
    "Category",
    "Classification",
    "Evidence",
    "Sentiment",
    "classify",
]

CLASSIFIER_VERSION = "rules-1"
CATEGORIES = ("bedside_manner", "service", "clinical_skill")
FLAGS = ("harm", "legal", "phi")
_MAX_EVIDENCE = 3
_PRAISE = 0.5  # sentence compound from which a sentence counts as praise
# How much one cue of each kind is worth; a category's confidence combines its cues.
_STRENGTH = {"fixed": 0.75, "conduct": 0.7, "negated": 0.65, "strong": 0.55, "weak": 0.45}


@dataclass(frozen=True)
class Evidence:
    """A sentence that justifies a category; text == source[start:end]."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Category:
    """One complaint category with its confidence and evidence."""

    name: str
    confidence: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Sentiment:
    """Compound score in [-1, 1] and its label."""

    compound: float
    label: str


@dataclass(frozen=True)
class Classification:
    """Everything the classifier says about one review or mention."""

    sentiment: Sentiment
    categories: tuple[Category, ...]
    flags: tuple[str, ...]
    unspecified: bool
    classifier_version: str = CLASSIFIER_VERSION

    def category_names(self) -> tuple[str, ...]:
        """Return the names of the categories found."""
        return tuple(c.name for c in self.categories)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSONL output contract (without the caller's "id")."""
        return {
            "sentiment": {"compound": self.sentiment.compound, "label": self.sentiment.label},
            "categories": [
                {
                    "name": c.name,
                    "confidence": c.confidence,
                    "evidence": [{"text": e.text, "start": e.start, "end": e.end} for e in c.evidence],
                }
                for c in self.categories
            ],
            "flags": list(self.flags),
            "classifier_version": self.classifier_version,
        }


def _alternation(parts: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def _negated(parts: Iterable[str]) -> re.Pattern[str]:
    body = "|".join(parts)
    return re.compile(
        lexicon.NEGATOR + r"(?P<gap>(?:\W+\w+){0,2}?)\W+(?:" + body + r")\b", re.IGNORECASE
    )


_FIXED = {name: _alternation(parts) for name, parts in lexicon.FIXED_CUES.items()}
_CONDUCT = _alternation(lexicon.CONDUCT_CUES)
_COMPETENCE = _alternation(lexicon.COMPETENCE_CUES)
_NEGATED = {name: _negated(parts) for name, parts in lexicon.NEGATED_CUES.items()}
_STRONG = {name: _alternation(parts) for name, parts in lexicon.ASPECT_STRONG.items()}
_WEAK = {name: _alternation(parts) for name, parts in lexicon.ASPECT_WEAK.items()}
_NEGATION_BEFORE = re.compile(lexicon.NEGATION_BEFORE, re.IGNORECASE)
_NEGATION_EXCEPT = re.compile(lexicon.NEGATION_EXCEPTIONS, re.IGNORECASE)
_PRAISE_GAP = re.compile(lexicon.PRAISE_GAP, re.IGNORECASE)
_ACTOR = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in lexicon.ACTORS.items()), re.IGNORECASE
)
_FOLLOWING_ACTOR = re.compile(r"[\s,]*(?:(?!to\b|with\b|at\b|toward\b|for\b)\w+\s+){0,1}$")
_HARM_SEVERE = _alternation(lexicon.HARM_SEVERE)
_HARM_OUTCOME = _alternation(lexicon.HARM_OUTCOME)
_LEGAL = _alternation(lexicon.LEGAL)
_PHI = re.compile("|".join(lexicon.PHI), re.IGNORECASE)
_PHI_HEALTH = re.compile(lexicon.PHI_HEALTH, re.IGNORECASE)


# Actor-dependent negated cues: the category when the physician is the subject (else service).
_ACTOR_CATEGORY = {"conduct": "bedside_manner", "competence": "clinical_skill"}


class _Review:
    """The per-call working state: sentences, their scores, actor mentions, cue hits."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = split_sentences(text)
        self.starts = [s for s, _ in self.spans]
        self.scores = [sentence_compound(text[s:e]) for s, e in self.spans]
        self.actors = self._resolve_actors()
        self.actor_starts = [pos for pos, _ in self.actors]
        self.hits: dict[str, dict[int, float]] = {name: {} for name in CATEGORIES}
        self.positive = False

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def add(self, category: str, pos: int, kind: str) -> None:
        sentence = self.sentence_of(pos)
        if self.positive and self.scores and self.scores[sentence] >= _PRAISE:
            return  # in a positive review only a sentence that is not praise holds a complaint
        found = self.hits[category]
        found[sentence] = max(found.get(sentence, 0.0), _STRENGTH[kind])

    def negated_before(self, start: int) -> bool:
        sentence_start = self.spans[self.sentence_of(start)][0] if self.spans else 0
        window = self.text[max(sentence_start, start - 40) : start]
        return bool(_NEGATION_BEFORE.search(window)) and not _NEGATION_EXCEPT.search(window)

    def actor_at(self, start: int, end: int) -> str:
        """Who a conduct cue at [start, end) is about: "physician" or "staff"."""
        sentence = self.sentence_of(start)
        s_start, s_end = self.spans[sentence] if self.spans else (0, len(self.text))
        i = bisect.bisect_left(self.actor_starts, end)
        if i < len(self.actors) and self.actors[i][0] < min(s_end, end + 30):
            if _FOLLOWING_ACTOR.fullmatch(self.text[end : self.actors[i][0]]):
                return _person(self.actors[i][1])  # "rude receptionist", "rude and cold doctor"
        previous_start = self.spans[sentence - 1][0] if sentence > 0 else s_start
        place = False
        for j in range(bisect.bisect_left(self.actor_starts, start) - 1, -1, -1):
            pos, kind = self.actors[j]
            if pos < previous_start:
                break
            if kind in lexicon.PERSON_ACTORS:
                return kind
            place = True
        return "staff" if place else "physician"

    def _resolve_actors(self) -> list[tuple[int, str]]:
        """Actor mentions in order; a pronoun takes the side of a person named just before."""
        mentions: list[tuple[int, str]] = []
        last_person, last_sentence = "physician", -2
        for match in _ACTOR.finditer(self.text):
            kind = match.lastgroup or "physician"
            sentence = self.sentence_of(match.start())
            if kind == "pronoun":
                kind = last_person if sentence - last_sentence <= 1 else "physician"
            if kind in lexicon.PERSON_ACTORS:
                last_person, last_sentence = kind, sentence
            mentions.append((match.start(), kind))
        return mentions


def _person(kind: str) -> str:
    return "staff" if kind == "place" else kind


def _find_cues(review: _Review, negative_review: bool) -> None:
    text = review.text
    for name, pattern in _FIXED.items():
        for m in pattern.finditer(text):
            if not review.negated_before(m.start()):
                review.add(name, m.start(), "fixed")
    for m in _CONDUCT.finditer(text):
        if not review.negated_before(m.start()):
            who = review.actor_at(m.start(), m.end())
            review.add("bedside_manner" if who == "physician" else "service", m.start(), "conduct")
    for m in _COMPETENCE.finditer(text):
        if not review.negated_before(m.start()):
            who = review.actor_at(m.start(), m.end())
            review.add("clinical_skill" if who == "physician" else "service", m.start(), "conduct")
    for name, pattern in _NEGATED.items():
        for m in pattern.finditer(text):
            if _PRAISE_GAP.search(m.group("gap")) or _NEGATION_EXCEPT.search(m.group()):
                continue
            category = _ACTOR_CATEGORY.get(name, name)
            if name in _ACTOR_CATEGORY:
                who = review.actor_at(m.start(), m.end())
                category = _ACTOR_CATEGORY[name] if who == "physician" else "service"
            review.add(category, m.start(), "negated")
    cued = {s for found in review.hits.values() for s in found}
    for name, pattern in _STRONG.items():
        # clinical words are everywhere in a medical story: only a negative sentence counts
        lenient = negative_review and name != "clinical_skill"
        for m in pattern.finditer(text):
            score = review.scores[review.sentence_of(m.start())] if review.spans else 0.0
            if score <= -0.05 or (lenient and score < 0.3):
                review.add(name, m.start(), "strong")
    for name, pattern in _WEAK.items():
        for m in pattern.finditer(text):
            sentence = review.sentence_of(m.start())
            if sentence not in cued and review.spans and review.scores[sentence] <= -0.3:
                review.add(name, m.start(), "weak")


def _categories(review: _Review, negative_review: bool) -> tuple[Category, ...]:
    found: list[Category] = []
    for name in CATEGORIES:
        hits = review.hits[name]
        if not hits:
            continue
        miss = 1.0
        for strength in hits.values():
            miss *= 1.0 - strength
        confidence = min(0.99, 1.0 - miss + (0.1 if negative_review else 0.0))
        best = sorted(hits, key=lambda s: (-hits[s], s))[:_MAX_EVIDENCE]
        evidence = tuple(
            Evidence(review.text[a:b], a, b) for a, b in (review.spans[s] for s in sorted(best))
        )
        found.append(Category(name, round(confidence, 3), evidence))
    return tuple(found)


def _flags(review: _Review, categories: tuple[Category, ...], positive: bool) -> tuple[str, ...]:
    text = review.text
    flags: list[str] = []
    clinical = any(c.name == "clinical_skill" for c in categories)
    severe = [m for m in _HARM_SEVERE.finditer(text) if not review.negated_before(m.start())]
    outcome = clinical and any(
        not review.negated_before(m.start()) for m in _HARM_OUTCOME.finditer(text)
    )
    if not positive and (severe or outcome):
        flags.append("harm")
    if any(not review.negated_before(m.start()) for m in _LEGAL.finditer(text)):
        flags.append("legal")
    if _PHI.search(text) and _PHI_HEALTH.search(text):
        flags.append("phi")
    return tuple(flags)


def classify(text: str, rating: float | None) -> Classification:
    """Classify one review or mention; ``rating`` is 0-5 stars or None when there is none."""
    review = _Review(text)
    sentences = [text[a:b] for a, b in review.spans]
    text_score = document_compound(sentences, review.scores)
    if rating is not None:
        # a low rating on glowing text is usually a mis-click: such a review is not "unspecified"
        negative_review = rating <= 2.0 and text_score < 0.5
    else:
        negative_review = text_score <= -0.05
    review.positive = rating >= 4.0 if rating is not None else text_score >= 0.3
    _find_cues(review, negative_review)
    categories = _categories(review, negative_review)
    complaints = sum(len(c.evidence) for c in categories)
    compound = overall_compound(text_score, complaints, rating)
    label = label_for(compound)
    if rating is None:
        negative_review = label == "negative"
    positive = label == "positive" and not negative_review
    return Classification(
        sentiment=Sentiment(compound, label),
        categories=categories,
        flags=_flags(review, categories, positive),
        unspecified=negative_review and not categories,
        classifier_version=CLASSIFIER_VERSION,
    )
