"""The NHS-trained complaint model: training, its file, and its share in text-only sentiment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reputation.classifier import classify as classify_module
from reputation.classifier.bagofwords import MODEL_PATH, TextModel, model, tokens, train
from reputation.classifier.classify import classify

ROOT = Path(__file__).resolve().parents[1]
NHS = ROOT.parent / "shared/corpus/nhs_fft_v6_mit.csv.gz"

# Our own examples, written for this test.
COMPLAINTS = [
    "The receptionist was rude and we waited three hours.",
    "Nobody called back and the nurse was rude.",
    "Waited all day, rude staff, no answers.",
    "I waited weeks and nobody called back.",
]
PRAISE = [
    "Kind nurses, thank you for everything.",
    "Thank you, the doctor was kind and clear.",
    "Lovely kind staff, thank you.",
    "The doctor explained everything, thank you.",
]


def test_tokens_are_words_and_word_pairs() -> None:
    assert tokens("Didn’t call BACK") == {"didn't", "call", "back", "didn't call", "call back"}


def test_training_learns_complaint_words_and_is_deterministic() -> None:
    texts, labels = COMPLAINTS + PRAISE, [True] * 4 + [False] * 4
    fitted = train(texts, labels, l2=0.1, min_df=2)
    assert fitted.weights["rude"] > 0 > fitted.weights["thank"]
    assert fitted.complaint_probability("so rude, waited") > 0.5
    assert fitted.complaint_probability("kind, thank you") < 0.5
    assert fitted.differences(train(texts, labels, l2=0.1, min_df=2)) == []
    again = TextModel.from_json(fitted.to_json())
    assert again.differences(fitted, tolerance=0.0001) == []


def test_training_needs_a_label_per_text() -> None:
    with pytest.raises(ValueError, match="as many labels as texts"):
        train(["rude"], [True, False])


def test_a_file_that_is_no_model_is_named() -> None:
    with pytest.raises(ValueError, match="model.json is not a text model"):
        TextModel.from_json('{"weights": {}}', "model.json")


def test_shipped_model_names_its_data_and_reads_complaints() -> None:
    shipped = model()
    assert "MIT" in shipped.meta["source"] and shipped.meta["file"] == NHS.name
    assert len(shipped.weights) > 1000
    assert shipped.complaint_probability("Rude staff and I waited three hours for nothing.") > 0.6
    assert shipped.complaint_probability("Wonderful kind nurses, thank you all.") < 0.2


def test_model_leans_on_text_only_sentiment_and_never_on_a_rating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "I was sent home three times before anyone ran a test."
    with_model = classify(text, None).sentiment.compound
    rated = classify(text, 2.0).sentiment.compound
    monkeypatch.setattr(classify_module, "complaint_probability", lambda _: 0.5)
    assert classify(text, None).sentiment.compound > with_model
    assert classify(text, 2.0).sentiment.compound == rated


@pytest.mark.skipif(not NHS.is_file(), reason=f"{NHS} is absent (it is beside CI's clone only)")
def test_shipped_model_is_what_training_on_the_nhs_comments_gives() -> None:
    script = ROOT / "scripts/train_text_model.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check", "--output", str(MODEL_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
