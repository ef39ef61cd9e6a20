"""Medical-aware sentiment: clinical results are not opinions, missing opinion words count."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from reputation.classifier.classify import classify
from reputation.classifier.sentiment import (
    analyzer,
    discount_stories,
    document_compound,
    label_for,
    neutralise,
    overall_compound,
    rating_compound,
    sentence_compound,
    sentence_verdicts,
    split_sentences,
    verdict_scores,
    verdict_shift,
)

PLAIN = SentimentIntensityAnalyzer()


@pytest.mark.parametrize(
    "sentence",
    [
        "The biopsy came back negative.",
        "My strep test was negative, so we went home.",
        "She tested positive for the flu.",
        "The pregnancy test came back positive on Monday.",
        "He is HIV-positive and sees the clinic monthly.",
    ],
)
def test_clinical_results_are_not_opinions(sentence: str) -> None:
    assert abs(sentence_compound(sentence)) < 0.05
    assert "negative" not in neutralise(sentence).lower().split()


@pytest.mark.parametrize(
    "sentence",
    [
        "He rushed me through the appointment.",
        "The surgeon was dismissive.",
        "I was misdiagnosed for a year.",
        "We waited in the lobby for the whole afternoon.",
        "The practice has botched billing.",
        "She was condescending and uncaring.",
    ],
)
def test_missing_opinion_words_count(sentence: str) -> None:
    assert sentence_compound(sentence) < -0.05
    assert PLAIN.polarity_scores(sentence)["compound"] > sentence_compound(sentence)


def test_analyzer_is_created_once() -> None:
    assert analyzer() is analyzer()


def test_praise_idioms_are_positive() -> None:
    assert sentence_compound("I could not be happier with my new knee.") > 0.05
    assert sentence_compound("I can't say enough good things about her.") > 0.05
    assert sentence_compound("I never felt rushed.") > 0.05
    assert sentence_compound("His staff were nothing less than amazing.") > 0.05
    assert sentence_compound("We couldn't have survived that awful time without her.") > 0.05


def test_praise_words_of_physician_reviews_count() -> None:
    assert sentence_compound("She is thorough and knowledgeable.") > 0.3
    assert sentence_compound("She is not thorough.") < 0


def test_glued_punctuation_and_non_are_read() -> None:
    assert sentence_compound("Very caring.Thank you") > sentence_compound("Very caringThank you")
    assert sentence_compound("He was non compassionate.") < 0


def test_negative_verdict_wins_over_the_recommend_inside_it() -> None:
    sentences = ["I would never recommend her to anyone."]
    assert document_compound(sentences, [0.0]) < 0
    assert document_compound(["I recommend her to anyone."], [0.0]) > 0
    for misspelt in ("reccomend", "recomend", "reccommend"):
        assert document_compound([f"I would not {misspelt} him."], [0.0]) < 0
        assert document_compound([f"I highly {misspelt} him."], [0.0]) > 0


@pytest.mark.parametrize(
    "sentence",
    [
        "Don't waste your time.",
        "A great big waste of time and money.",
        "I wont recommend dr Smith",
        "Great with kids, however not recommended if you need someone to call you back.",
        "I would highly recommend going elsewhere.",
        "I would strongly encourage you to find another doctor.",
        "Think twice about this one.",
    ],
)
def test_a_sentence_holding_a_negative_verdict_reads_negative(sentence: str) -> None:
    plain = neutralise(sentence)
    verdicts = sentence_verdicts([plain])
    assert verdict_scores([sentence_compound(plain, neutralised=True)], verdicts)[0] < 0
    assert verdict_shift(verdicts) < 0


def test_praise_that_looks_like_a_negative_verdict_is_not_one() -> None:
    for praise in (
        "I could not recommend Karen enough.",
        "Could not recommend Dr. Lee enough.",
        "Don't waste your time with any other dentist, go see her.",
        "You won't find a better doctor.",
    ):
        plain = neutralise(praise)
        verdicts = sentence_verdicts([plain])
        assert verdict_scores([sentence_compound(plain, neutralised=True)], verdicts)[0] > 0
        assert verdict_shift(verdicts) >= 0
    assert verdict_scores([0.0], sentence_verdicts(["I highly recommend her."])) == [0.3]
    sarcasm = sentence_verdicts(["Thanks for not caring about people."])
    assert verdict_shift(sarcasm) == 0  # sarcasm is no praise


def test_vader_negation_quirks_are_undone() -> None:
    assert sentence_compound("He is not only caring but he listens.") > 0.2
    assert sentence_compound("Do they care about patients?") == 0.0  # asks, does not praise
    assert sentence_compound("After the surgery I have no pain!") > 0


def test_illness_stories_count_less_than_complaints() -> None:
    sentences = ["The rash on his face was terrible.", "The receptionist was terrible."]
    assert discount_stories(sentences, [-0.6, -0.6], cued={1}) == [-0.3, -0.6]
    assert discount_stories(sentences, [-0.6, -0.6], cued={0, 1}) == [-0.6, -0.6]


def test_complaint_without_any_praise_weighs_more() -> None:
    assert overall_compound(0.0, 1, None, praised=False) < overall_compound(0.0, 1, None)
    assert overall_compound(0.0, 0, None, praised=False) == overall_compound(0.0, 0, None)
    text = "I waited two hours past my appointment time. Nobody called me back about my results."
    assert classify(text, None).sentiment.label == "negative"


def test_but_clause_carries_the_verdict() -> None:
    text = "The front office is friendly. But the doctor was dismissive and rushed me out."
    result = classify(text, None)
    assert result.sentiment.label == "negative"


def test_contrast_sentence_outweighs_the_one_before() -> None:
    sentences = ["He was nice enough.", "However, he never listened."]
    scores = [0.5, -0.5]
    assert document_compound(sentences, scores) < 0
    assert document_compound(["He was nice enough.", "He never listened."], scores) > -0.2


def test_split_sentences_keeps_titles_and_offsets() -> None:
    text = "Dr. Lee was late.  Mr. Park waited!\nNo apology"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Dr. Lee was late.", "Mr. Park waited!", "No apology"]


def test_split_sentences_of_blank_text() -> None:
    assert split_sentences("   ") == []


def test_rating_decides_when_given() -> None:
    assert classify("He was pleasant.", 1.0).sentiment.label == "negative"
    assert classify("It was a long wait.", 5.0).sentiment.label == "positive"
    assert classify("", 3.0).sentiment.label == "neutral"


def test_text_decides_without_rating() -> None:
    assert classify("Kind, careful and thorough. Highly recommend.", None).sentiment.label == (
        "positive"
    )
    assert classify("Rude and dismissive. Avoid.", None).sentiment.label == "negative"


def test_rating_compound_scale() -> None:
    assert rating_compound(0.0) == -1.0
    assert rating_compound(3.0) == 0.0
    assert rating_compound(5.0) == 1.0


def test_overall_compound_stays_in_range() -> None:
    assert -1.0 <= overall_compound(-0.9, 3, None) <= 1.0
    assert overall_compound(0.5, 0, 5.0) > overall_compound(0.5, 0, None) - 1


def test_labels() -> None:
    assert label_for(0.3) == "positive"
    assert label_for(-0.3) == "negative"
    assert label_for(0.0) == "neutral"
