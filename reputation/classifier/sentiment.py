"""Medical-aware sentiment on top of VADER: sentence scores, document score, star rating."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Protocol

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from reputation.classifier import lexicon

__all__ = [
    "NEGATIVE_AT",
    "POSITIVE_AT",
    "TEXT_NEGATIVE_AT",
    "about_other_provider",
    "analyzer",
    "discount_stories",
    "document_compound",
    "label_for",
    "neutralise",
    "overall_compound",
    "rating_compound",
    "sentence_compound",
    "sentence_verdicts",
    "sentence_weights",
    "split_sentences",
    "verdict_scores",
    "verdict_shift",
]

# VADER's conventional label thresholds on the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# Text alone must be clearly negative to be called so: most reviews without a complaint still
# tell of illness and pain. With MODEL_WEIGHT, chosen on the tuning half of the RateMDs part
# (bench/sentiment_eval.py --half tune: flat from -0.24 to -0.3 with weights 0.2-0.3).
TEXT_NEGATIVE_AT = -0.3
# How sentence scores combine into a document score (chosen on the Healthgrades and rmd15
# parts of the corpus, never on the RateMDs part the sentiment target is measured on).
NEGATIVE_WEIGHT = 1.0  # a complaint sentence counts like a praising one
NEUTRAL_WEIGHT = 0.3  # narrative sentences dilute the verdict only a little
LAST_WEIGHT = 1.3  # the closing sentence usually carries the verdict
CONTRAST_WEIGHT = 1.5  # "But ..." outweighs the sentence before it (which gets 1 / this)
COMPLAINT_PENALTY = 0.1  # per complaint sentence found by the classifier
STORY_WEIGHT = 0.5  # how much a negative sentence telling of illness (no complaint cue) counts
PRAISED_AT = 0.3  # a review with no sentence this positive holds no praise...
NO_PRAISE_PENALTY = 0.2  # ...and if it holds a complaint, its text score drops this much more
RATING_SHARE = 0.7  # share of the star rating in the compound when there is one
VERDICT_SHIFT = 0.3  # how far a whole-review verdict ("highly recommend") moves it
NEGATIVE_VERDICT_SHIFT = 0.3  # ...and a negative one ("would not recommend", "stay away")
VERDICT_SENTENCE = 0.3  # a sentence holding a verdict scores at least this far on its side
OTHER_PROVIDER_WEIGHT = 0.3  # a sentence about another provider's failings
# How far the NHS-trained complaint model (reputation/classifier/bagofwords.py) moves a
# text-only score: by MODEL_WEIGHT * (0.5 - P(complaint)), so at most half of it either way.
MODEL_WEIGHT = 0.2

_CLINICAL = re.compile(lexicon.CLINICAL_RESULT, re.IGNORECASE)
_NEUTRAL = re.compile(lexicon.NEUTRAL_PHRASES, re.IGNORECASE)
_CONTRAST = re.compile(lexicon.CONTRAST_OPENERS, re.IGNORECASE)
_PRAISE = re.compile(lexicon.PRAISE_IDIOMS, re.IGNORECASE)
_VERDICT_POSITIVE = re.compile(lexicon.VERDICT_POSITIVE, re.IGNORECASE)
_VERDICT_NEGATIVE = re.compile(lexicon.VERDICT_NEGATIVE, re.IGNORECASE)
_OTHER_PROVIDER = re.compile(lexicon.OTHER_PROVIDER, re.IGNORECASE)
_CONDITION = re.compile(lexicon.CONDITION_WORDS, re.IGNORECASE)
_NOT_ONLY = re.compile(r"\bnot(?= (?:only|just)\b)", re.IGNORECASE)
_ANY_OTHER = re.compile(
    r"\b(?:any ?(?:one|body|where|thing) else|any other|(?:the|all) others)\b", re.IGNORECASE
)
_NON = re.compile(r"\bnon(?= [a-z])", re.IGNORECASE)
_GLUED = re.compile(r"(?<=[a-z])[.!?,;:]+(?=[A-Za-z])")
_BOUNDARY = re.compile(r"(?:[.!?]+|…)[\"'’”)\]]*(?=\s|$)|\n+|\s[-–—]{1,2}\s")
_ABBREVIATION = re.compile(
    r"(?:\b(?:dr|mr|mrs|ms|st|vs|etc|jr|sr|prof|approx|appt|e\.g|i\.e)|\b[a-z])\.$", re.IGNORECASE
)


class _Analyzer(Protocol):
    def polarity_scores(self, text: str) -> dict[str, float]: ...


@lru_cache(maxsize=1)
def analyzer() -> _Analyzer:
    """Return the one VADER analyzer, with the medical lexicon edits applied."""
    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(lexicon.VADER_ADDITIONS)
    for word in lexicon.VADER_NEUTRAL:
        vader.lexicon.pop(word, None)
    result: _Analyzer = vader
    return result


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        single_dot = match.group().startswith(".") and len(match.group().strip()) == 1
        if single_dot and _ABBREVIATION.search(text, max(0, match.start() - 8), match.end()):
            continue
        _add_span(text, start, match.end(), spans)
        start = match.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if any(ch.isalnum() for ch in text[start:end]):
        spans.append((start, end))


def neutralise(text: str) -> str:
    """Hide test results and service names that look like opinions ("came back negative").

    Replacements keep the length of the text, so sentence offsets stay valid.
    """
    lowered = text.lower()
    if "negative" in lowered or "positive" in lowered:  # the costly pattern needs one of these
        text = _CLINICAL.sub(_blank, text)
    text = _PRAISE.sub(_great, text)
    if "not only" in lowered or "not just" in lowered:  # VADER negates what follows "not"
        text = _NOT_ONLY.sub(_blank, text)
    if "non " in lowered:  # "non compassionate": VADER negates after "not", not after "non"
        text = _NON.sub("not", text)
    return _NEUTRAL.sub(_blank, text)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _great(match: re.Match[str]) -> str:
    return "great".ljust(len(match.group()))  # every praise idiom is longer than "great"


def sentence_compound(sentence: str, neutralised: bool = False) -> float:
    """Return the VADER compound of one sentence after medical neutralisation."""
    text = sentence if neutralised else neutralise(sentence)
    if _GLUED.search(text):  # "caring.I am" is one unknown token to VADER
        text = _GLUED.sub(r"\g<0> ", text)
    score = float(analyzer().polarity_scores(text)["compound"])
    if score > 0 and text.rstrip().endswith("?"):
        return 0.0  # "Do they care about patients?" asks; it does not praise
    return score


def sentence_weights(sentences: Sequence[str]) -> list[float]:
    """Weight of each sentence in the document score: "But ..." and the last one weigh more."""
    weights = [1.0] * len(sentences)
    for i, sentence in enumerate(sentences):
        if _OTHER_PROVIDER.search(sentence):
            weights[i] *= OTHER_PROVIDER_WEIGHT
        if i and _CONTRAST.search(sentence):
            weights[i] *= CONTRAST_WEIGHT
            weights[i - 1] /= CONTRAST_WEIGHT
    if weights:
        weights[-1] *= LAST_WEIGHT
    return weights


Verdicts = list[tuple[bool, bool]]


def sentence_verdicts(sentences: Sequence[str]) -> Verdicts:
    """Whether each sentence holds a negative and a positive whole-review verdict."""
    return [_verdicts(sentence) for sentence in sentences]


def _verdicts(sentence: str) -> tuple[bool, bool]:
    text = sentence.replace("\u2019", "'")
    negative = _VERDICT_NEGATIVE.search(text) is not None
    if negative:  # "would not recommend him" holds "recommend him": the negative verdict wins
        text = _VERDICT_NEGATIVE.sub(" ", text)
        # "don't waste your time with any other doctor" compares, and praises
        negative = _ANY_OTHER.search(text) is None
    return negative, _VERDICT_POSITIVE.search(text) is not None


def verdict_scores(compounds: Sequence[float], verdicts: Verdicts) -> list[float]:
    """Give a sentence holding a verdict the verdict's sign.

    VADER reads "Don't waste your time" and "A great big waste of money" as positive.
    """
    scores = list(compounds)
    for i, (negative, positive) in enumerate(verdicts):
        if negative:
            scores[i] = min(scores[i], -VERDICT_SENTENCE)
        elif positive:
            scores[i] = max(scores[i], VERDICT_SENTENCE)
    return scores


def verdict_shift(verdicts: Verdicts) -> float:
    """How far whole-review verdicts ("highly recommend", "stay away") move the score."""
    negative = any(n for n, _ in verdicts)
    positive = any(p for _, p in verdicts)
    return VERDICT_SHIFT * positive - NEGATIVE_VERDICT_SHIFT * negative


def document_compound(
    sentences: Sequence[str],
    compounds: Sequence[float],
    weights: Sequence[float] | None = None,
    shift: float | None = None,
) -> float:
    """Combine sentence scores: negative sentences and contrast clauses ("But ...") weigh more.

    ``weights`` and ``shift`` default to ``sentence_weights`` and the ``verdict_shift`` of
    ``sentence_verdicts``.
    """
    total = weight_sum = 0.0
    if weights is None:
        weights = sentence_weights(sentences)
    for weight, score in zip(weights, compounds, strict=True):
        if score < 0:
            weight *= NEGATIVE_WEIGHT
        elif score == 0:
            weight *= NEUTRAL_WEIGHT
        total += weight * score
        weight_sum += weight
    average = total / weight_sum if weight_sum else 0.0
    if shift is None:
        shift = verdict_shift(sentence_verdicts(sentences))
    return max(-1.0, min(1.0, average + shift))


def about_other_provider(sentence: str) -> bool:
    """Whether a sentence is about another provider ("my previous doctor missed it")."""
    return bool(_OTHER_PROVIDER.search(sentence))


def discount_stories(
    sentences: Sequence[str], compounds: Sequence[float], cued: Collection[int]
) -> list[float]:
    """Scale down negative sentences that tell of illness and hold no complaint cue."""
    return [
        score * STORY_WEIGHT
        if score < 0 and i not in cued and _CONDITION.search(sentences[i])
        else score
        for i, score in enumerate(compounds)
    ]


def rating_compound(rating: float) -> float:
    """Map a 0-5 star rating onto the compound scale (3 stars is neutral)."""
    return max(-1.0, min(1.0, (rating - 3.0) / 2.0))


def overall_compound(
    text_score: float, complaints: int, rating: float | None, praised: bool = True
) -> float:
    """Final compound: text score pulled down by complaints found; the rating leads when given.

    ``praised``: some sentence praises; a complaint in a review that praises nothing weighs more.
    """
    penalty = COMPLAINT_PENALTY * min(complaints, 3)
    if complaints and not praised:
        penalty += NO_PRAISE_PENALTY
    text_score = max(-1.0, min(1.0, text_score - penalty))
    if rating is None:
        return round(text_score, 4)
    return round(RATING_SHARE * rating_compound(rating) + (1 - RATING_SHARE) * text_score, 4)


def label_for(compound: float, text_only: bool = False) -> str:
    """Return negative / neutral / positive for a compound score (stricter for text alone)."""
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= (TEXT_NEGATIVE_AT if text_only else NEGATIVE_AT):
        return "negative"
    return "neutral"
