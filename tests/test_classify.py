"""The complaint classifier on hand-written reviews, and the `repmon classify` command."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from repmon.cli import main
from repmon.commands.classify import classify_cmd
from reputation.classifier.classify import CLASSIFIER_VERSION, ClassifierResult, classify


def names(result: ClassifierResult) -> set[str]:
    return {c.name for c in result.categories}


def assert_spans(text: str, result: ClassifierResult) -> None:
    for category in result.categories:
        assert category.evidence, category.name
        for evidence in category.evidence:
            assert text[evidence.start : evidence.end] == evidence.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The nurse was rude to my mother.", {"service"}),
        ("The doctor was rude to my mother.", {"bedside_manner"}),
        ("Rude receptionist, and the billing office sent me to collections.", {"service"}),
        ("She was condescending and never let me finish a sentence.", {"bedside_manner"}),
        ("He spent maybe five minutes with me and stared at his laptop.", {"bedside_manner"}),
        ("I waited two hours past my appointment time.", {"service"}),
        ("Nobody ever returned my calls about the referral.", {"service"}),
        ("He misdiagnosed my torn ligament as a sprain.", {"clinical_skill"}),
        ("A second doctor found the infection she had missed.", {"clinical_skill"}),
        ("The staff seemed clueless about my prescription.", {"service"}),
        ("He is incompetent and should not be practicing.", {"clinical_skill"}),
        (
            "Not caring at all, and not very knowledgeable either.",
            {"bedside_manner", "clinical_skill"},
        ),
        pytest.param(
            "When I said the pain was bad he told me to just suck it up.",
            {"bedside_manner"},
            marks=pytest.mark.xfail(
                strict=True,
                reason="model-5 also reads clinical skill here (P 0.375 at threshold 0.3): the "
                "NHS 'Pain management' label maps to clinical skill; a known miss, not hidden",
            ),
        ),
        ("A real prima donna who never let me finish a sentence.", {"bedside_manner"}),
        ("On clinic days the waiting time is 3 to 4 hours.", {"service"}),
        ("Over an hour and a half wait for a flu shot.", {"service"}),
        ("They took my blood and never called with anything.", {"service"}),
    ],
)
def test_categories_follow_the_codebook(text: str, expected: set[str]) -> None:
    result = classify(text, 1.0)
    assert names(result) == expected
    assert_spans(text, result)


def test_unprofessional_alone_is_not_bedside_manner() -> None:
    assert "bedside_manner" not in names(classify("Very unprofessional. Will not return.", 1.0))


def test_staff_rudeness_is_service_doctor_rudeness_is_bedside() -> None:
    text = "The receptionist was rude. Then the doctor came in and he was even worse, plain rude."
    result = classify(text, 1.0)
    assert names(result) == {"service", "bedside_manner"}
    service = next(c for c in result.categories if c.name == "service")
    assert service.evidence[0].text == "The receptionist was rude."


def test_pronoun_follows_the_person_just_named() -> None:
    text = "I spoke with the office manager. She was rude and hung up on me."
    assert names(classify(text, 1.0)) == {"service"}
    later = "The nurse was lovely. The visit started on time. Later she was rude and cold."
    assert names(classify(later, 1.0)) == {"bedside_manner"}


def test_multi_label_with_evidence_per_category() -> None:
    text = (
        "Dr. Gray is arrogant and dismissive. The front desk lost my paperwork twice "
        "and I was billed for a visit I never had. Worst of all he missed my fracture for months."
    )
    result = classify(text, 1.0)
    assert names(result) == {"bedside_manner", "service", "clinical_skill"}
    assert_spans(text, result)
    by_name = {c.name: c for c in result.categories}
    assert "arrogant" in by_name["bedside_manner"].evidence[0].text
    assert "fracture" in by_name["clinical_skill"].evidence[0].text
    assert all(0.0 < c.confidence <= 1.0 for c in result.categories)


@pytest.mark.parametrize(
    "text",
    [
        "She never rushed me and always took the time to listen.",
        "Not rude at all, despite what other reviews say. Very kind doctor.",
        "I never had to wait more than ten minutes. Wonderful practice.",
        "The biopsy came back negative and she called me the same day. Thank you!",
    ],
)
def test_negated_complaints_are_not_complaints(text: str) -> None:
    result = classify(text, 5.0)
    assert result.categories == ()
    assert result.unspecified is False
    assert result.sentiment.label == "positive"


def test_negated_complaints_without_rating() -> None:
    result = classify("He did not rush me and explained everything. Excellent doctor.", None)
    assert result.categories == ()
    assert result.sentiment.label == "positive"


def test_mostly_positive_review_with_one_complaint_gets_that_category() -> None:
    text = "Great doctor and very thorough. But the wait is always two hours."
    result = classify(text, 4.0)
    assert names(result) == {"service"}
    assert result.unspecified is False


@pytest.mark.parametrize(
    ("text", "rating"),
    [("Terrible. Avoid.", 1.0), ("Worst doctor ever. Stay away!", None), ("Meh.", 2.0)],
)
def test_negative_without_reason_is_unspecified(text: str, rating: float | None) -> None:
    result = classify(text, rating)
    assert result.categories == ()
    assert result.unspecified is True
    assert result.sentiment.label == "negative"


def test_positive_review_is_not_unspecified() -> None:
    result = classify("Wonderful doctor, highly recommend her.", 5.0)
    assert result.categories == () and result.unspecified is False


@pytest.mark.parametrize(
    "text",
    [
        "The surgeon perforated my bowel and I ended up in the ICU for a week.",
        "They gave my father the wrong medication and he had a stroke.",
        "She missed my breast cancer for two years even though I kept asking.",
        "After the botched procedure I needed a second surgery to repair the damage.",
    ],
)
def test_harm_flag(text: str) -> None:
    result = classify(text, 1.0)
    assert "harm" in result.flags
    assert "clinical_skill" in names(result)


def test_no_harm_for_a_rude_remark_or_a_cured_illness() -> None:
    assert "harm" not in classify("The doctor was rude and the wait was long.", 1.0).flags
    text = "He caught my infection early and I recovered completely. Brilliant surgeon."
    assert "harm" not in classify(text, 5.0).flags


def test_legal_flag() -> None:
    text = "I have hired a lawyer and reported him to the medical board for malpractice."
    assert "legal" in classify(text, 1.0).flags
    assert "legal" not in classify("He was late and rude.", 1.0).flags


def test_phi_flag() -> None:
    text = "My name is Janet Plover, DOB 04/12/1961, and they told the waiting room my HIV status."
    assert "phi" in classify(text, 1.0).flags
    assert "phi" not in classify("They told the waiting room my diagnosis.", 1.0).flags


def test_curly_apostrophes_and_capitals() -> None:
    result = classify("HE DIDN’T LISTEN TO A WORD I SAID.", 1.0)
    assert names(result) == {"bedside_manner"}


def test_output_contract() -> None:
    result = classify("The receptionist was rude.", 2.0)
    data = result.to_dict()
    assert set(data) == {"sentiment", "categories", "flags", "flag_evidence", "classifier_version"}
    assert set(data["sentiment"]) == {"compound", "label"}
    assert set(data["categories"][0]) == {"name", "confidence", "evidence"}
    assert set(data["categories"][0]["evidence"][0]) == {"text", "start", "end"}
    assert data["classifier_version"] == CLASSIFIER_VERSION
    json.dumps(data)


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Sue at the front desk was lovely and Dr. Lee is great.", 5.0),
        ("Ask for Sue, she sorted out my referral in a day.", 4.0),
        ("I filed a complaint to the front desk about the wait.", 2.0),
        ("Thanks to Dr. Park I never needed a lawyer after the accident.", 5.0),
    ],
)
def test_legal_does_not_fire_on_a_name_a_desk_complaint_or_praise(text: str, rating: float) -> None:
    assert "legal" not in classify(text, rating).flags


def test_legal_and_harm_show_their_evidence_sentence() -> None:
    text = "The visit was short. He nicked my bladder and I nearly died. I will sue him."
    result = classify(text, 1.0)
    shown = dict(result.flag_evidence)
    assert set(shown) == {"harm", "legal"} == set(result.flags)
    assert shown["harm"].text == "He nicked my bladder and I nearly died."
    legal = shown["legal"]
    assert legal.text == text[legal.start : legal.end] == "I will sue him."
    assert result.to_dict()["flag_evidence"]["legal"]["text"] == "I will sue him."


def test_strong_harm_counts_in_a_positive_review_but_praise_alone_does_not() -> None:
    kind = "Dr. Cho was wonderful and caring. The staff are lovely and helpful."
    assert classify(kind, 5.0).flags == ()
    text = "Dr. Cho was kind, but the surgery perforated my bowel."
    assert "harm" in classify(text, 4.0).flags


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Five stars from our whole family! Dr. Kim is wonderful with the kids.", 3.0),
        ("Great experience. The nurses were kind and the billing was simple and clear.", 3.0),
        ("Dr. Ruiz is wonderful. She explained the surgery and I have never felt better.", 5.0),
    ],
)
def test_clearly_positive_text_is_no_complaint(text: str, rating: float) -> None:
    result = classify(text, rating)
    assert result.sentiment.label == "positive"
    assert result.categories == () and not result.unspecified


def test_praise_keeps_a_complaint_that_a_fixed_phrase_names() -> None:
    assert names(classify("Great doctor but the wait is always 2 hours.", 5.0)) == {"service"}


def test_result_is_frozen_and_pure() -> None:
    text = "The doctor rushed me and the office overcharged me."
    first, second = classify(text, 1.5), classify(text, 1.5)
    assert first == second
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.unspecified = True  # type: ignore[misc]


def test_empty_text() -> None:
    result = classify("", None)
    assert result.categories == () and result.sentiment.label == "neutral"
    assert result.unspecified is False


def test_command_reads_and_writes_jsonl() -> None:
    lines = [
        {"id": "a", "text": "The receptionist was rude and I waited two hours.", "rating": 1},
        {"id": "b", "text": "Lovely doctor."},
    ]
    source = "".join(json.dumps(line) + "\n" for line in lines)
    result = CliRunner().invoke(classify_cmd, [], input=source)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["categories"][0]["name"] == "service"
    assert rows[1]["sentiment"]["label"] == "positive"


def test_command_files(tmp_path: pytest.TempPathFactory) -> None:
    source = tmp_path / "in.jsonl"  # type: ignore[operator]
    target = tmp_path / "out.jsonl"  # type: ignore[operator]
    source.write_text('{"id": 7, "text": "He misdiagnosed me."}\n\n', encoding="utf-8")
    result = CliRunner().invoke(classify_cmd, ["--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["id"] == "7"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "x"}', '"text"'),
        ('{"text": "hi"}', '"id"'),
        ('{"id": "x", "text": "hi", "rating": 9}', '"rating"'),
        ("[1, 2]", "JSON object"),
    ],
)
def test_command_names_the_bad_line(line: str, problem: str) -> None:
    source = '{"id": "ok", "text": "fine"}\n' + line + "\n"
    result = CliRunner().invoke(main, ["classify"], input=source)
    assert result.exit_code == 2
    assert result.output.startswith("error: line 2: ") and problem in result.output
    assert '"id": "ok"' not in result.output  # nothing is half-written
