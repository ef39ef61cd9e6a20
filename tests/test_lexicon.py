"""No cue fitted to one review: every lexicon cue matches several reviews of the corpus."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator

import pytest

from reputation.classifier import lexicon
from reputation.classifier.classify import _required, _split_top
from tests.conftest import shared_path

# A cue that matches fewer corpus reviews than this was most likely written from one review.
MIN_REVIEWS = 5
CUE_TUPLES = ("CONDUCT_CUES", "COMPETENCE_CUES", "HARM_SEVERE", "HARM_OUTCOME", "LEGAL")
CUE_DICTS = ("NEGATED_CUES", "FIXED_CUES", "ASPECT_STRONG", "ASPECT_WEAK")


def cues() -> Iterator[tuple[str, str]]:
    """(list name, cue) for every cue of the lexicon's cue lists."""
    for name in CUE_TUPLES:
        for cue in getattr(lexicon, name):
            yield name, cue
    for name in CUE_DICTS:
        for category, group in getattr(lexicon, name).items():
            for cue in group:
                yield f"{name}[{category}]", cue


def reviews_matching(cue: str, texts: list[str], enough: int) -> int:
    """How many texts the cue matches (counting stops at ``enough``)."""
    pattern = re.compile(r"\b(?:" + cue + r")\b", re.IGNORECASE)
    parts = [_required(part) for part in _split_top(cue)]
    guards = None if None in parts else {guard for part in parts if part for guard in part}
    found = 0
    for text in texts:
        if guards is not None and not any(guard in text for guard in guards):
            continue  # the cue cannot match without one of its literals (lowered text)
        if pattern.search(text):
            found += 1
            if found >= enough:
                break
    return found


def test_rare_but_general_cues_are_cues_of_the_lexicon() -> None:
    every = {cue for _, cue in cues()}
    assert set(lexicon.RARE_BUT_GENERAL) <= every
    assert all(reason.strip() for reason in lexicon.RARE_BUT_GENERAL.values())


def test_counting_sees_a_cue_that_matches_one_review() -> None:
    texts = ["he pushed me into menopause", "a kind doctor", "a kind nurse"]
    assert reviews_matching(r"pushed me into menopause", texts, MIN_REVIEWS) == 1
    assert reviews_matching(r"kind", texts, MIN_REVIEWS) == 2


@pytest.mark.slow
def test_every_cue_matches_several_corpus_reviews() -> None:
    corpus = shared_path("corpus", "reviews.jsonl.gz")
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"].replace("\u2019", "'").lower() for line in handle]
    rare = [
        f"{name}: {cue} ({found} reviews)"
        for name, cue in cues()
        if cue not in lexicon.RARE_BUT_GENERAL
        and (found := reviews_matching(cue, texts, MIN_REVIEWS)) < MIN_REVIEWS
    ]
    assert not rare, "cues fitted to fewer than 5 corpus reviews:\n" + "\n".join(rare)
