"""The trained category/harm topic models: their file, their data, and their share in classify."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reputation.classifier import topics
from reputation.classifier.bagofwords import tokens
from reputation.classifier.classify import THRESHOLDS, Thresholds, classify, decide, signals
from reputation.classifier.topics import (
    EXAMPLES_DIR,
    MODEL_PATH,
    TOPICS,
    CategoryModel,
    category_model,
)

ROOT = Path(__file__).resolve().parents[1]
EVERYTHING = {name: Thresholds(alone=0.0, confirm=0.01) for name in THRESHOLDS}
NHS = ROOT.parent / "shared/corpus/nhs_fft_v6_mit.csv.gz"


def test_shipped_model_names_its_data_and_reads_topics() -> None:
    shipped = category_model()
    assert set(shipped.topics) == set(TOPICS)
    assert "MIT" in shipped.meta["source"] and shipped.meta["file"] == NHS.name
    p = shipped.sentence_probabilities
    assert shipped.dim == 256 and "wordllama" in shipped.meta["embedding"]
    assert p("The clinic was a mess and the hold music went on for ages.")["service"] > 0.5
    assert p("He misdiagnosed my fracture as a sprain.")["clinical_skill"] > 0.5
    assert p("She was rude and condescending to me.")["bedside_manner"] > 0.5


def test_a_model_with_embedding_weights_needs_the_sentence_vector() -> None:
    shipped = category_model()
    with pytest.raises(ValueError, match="pass vector"):
        shipped.probabilities(tokens("She was rude."))
    body = json.loads(shipped.to_json())
    body["topics"]["harm"]["dense"] = body["topics"]["harm"]["dense"][:3]
    with pytest.raises(ValueError, match="every topic needs 256 embedding weights"):
        CategoryModel.from_json(json.dumps(body), "m.json")


def test_shipped_model_loads_in_well_under_a_second() -> None:
    start = time.perf_counter()
    CategoryModel.from_json(MODEL_PATH.read_text(encoding="utf-8"), str(MODEL_PATH))
    assert time.perf_counter() - start < 1.0


def test_a_file_that_is_no_category_model_is_named() -> None:
    with pytest.raises(ValueError, match="m.json is not a category model"):
        CategoryModel.from_json('{"topics": {}}', "m.json")


def test_own_examples_are_well_formed_and_labelled_with_our_topics() -> None:
    rows = [
        json.loads(line)
        for path in sorted(EXAMPLES_DIR.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) >= 300
    assert all(set(row) == {"text", "labels"} and set(row["labels"]) <= set(TOPICS) for row in rows)
    assert {label for row in rows for label in row["labels"]} == set(TOPICS)


def test_the_model_alone_makes_a_category_above_its_threshold() -> None:
    # no cue of the lexicon names this; the model reads manner words in a negative sentence
    text = "Dr. Hale was grumpy and horrible to us."
    found = signals(text, 1.0, EVERYTHING)
    assert found.rule_categories == ()
    score, sentence = found.model["bedside_manner"]
    assert score > THRESHOLDS["bedside_manner"].alone and sentence == 0
    result = decide(found)
    assert result.category_names() == ("bedside_manner",)
    assert result.categories[0].evidence[0].text == text
    higher = {**THRESHOLDS, "bedside_manner": Thresholds(alone=score + 0.01, confirm=0.0)}
    assert decide(found, higher).categories == ()


def test_a_rule_hit_stands_only_where_the_model_confirms_its_topic() -> None:
    found = signals("Great doctor but the wait is always 2 hours.", 5.0, EVERYTHING)
    assert decide(found).category_names() == ("service",)
    topic = found.topics[0]["service"]
    assert decide(found, {**THRESHOLDS, "service": Thresholds(1.01, topic)}).categories
    assert not decide(found, {**THRESHOLDS, "service": Thresholds(1.01, topic + 0.01)}).categories


def test_a_service_hit_of_weak_cues_alone_stands_only_where_the_model_reads_service() -> None:
    # "hospital" and "wait" in a negative sentence are weak cues: the model tells them apart
    story, wait = (
        signals("He sent me to the hospital and it was awful.", 1.0),
        signals("The wait was horrible.", 1.0),
    )
    limit = THRESHOLDS["service"]
    for found in (story, wait):
        assert found.review.hits["service"] == {0: 0.45}  # weak cues only, and scored
    assert story.topics[0]["service"] < limit.confirm_weak <= wait.topics[0]["service"]
    assert "service" not in decide(story).category_names()
    assert "service" in decide(wait).category_names()
    kept = {**THRESHOLDS, "service": Thresholds(limit.alone, limit.confirm)}
    assert "service" in decide(story, kept).category_names()


def test_only_what_the_thresholds_can_use_is_scored() -> None:
    text = "The visit was fine. The receptionist was rude."
    assert signals(text, 2.0, EVERYTHING).topics[0]
    rules_only = {name: Thresholds(alone=1.01, confirm=0.0) for name in THRESHOLDS}
    assert signals(text, 2.0, rules_only).topics == [{}, {}]


def test_a_manner_sentence_about_staff_is_service() -> None:
    text = "I spoke with the office manager. She was rude and hung up on me."
    assert classify(text, 1.0).category_names() == ("service",)


def test_version_names_the_model() -> None:
    assert classify("x", None).classifier_version == "model-5"


@pytest.mark.skipif(not NHS.is_file(), reason=f"{NHS} is absent (it is beside CI's clone only)")
def test_shipped_model_is_what_training_gives() -> None:
    script = ROOT / "scripts/train_category_model.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check", "--output", str(topics.MODEL_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_harm_model_alone_does_not_flag_a_positive_review() -> None:
    # praise told in harm words: the model reads harm, only a rule's strong evidence may flag it
    text = "He operated on my spine after another surgeon damaged it, and I ended up walking again."
    found = signals(text, 5.0)
    assert found.model["harm"][0] >= THRESHOLDS["harm"].alone and not found.praise_only
    assert "harm" not in decide(found).flags


def test_harm_told_in_neutral_words_keeps_the_neutral_weight() -> None:
    limit = THRESHOLDS["harm"]
    assert limit.neutral > 0 and limit.weight(0.0) == limit.neutral and limit.weight(1.0) == 1.0
    text = "She has left me with a limp."  # no rule names it, and VADER reads no feeling in it
    found = signals(text, 2.0)
    assert found.rule_flags == {} and found.review.scores == [0.0]
    assert "harm" in decide(found).flags
    plain = {**THRESHOLDS, "harm": Thresholds(limit.alone, limit.confirm)}
    assert "harm" not in decide(signals(text, 2.0, plain), plain).flags
