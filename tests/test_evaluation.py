"""Evaluation against hand labels, the `repmon eval` command and its halves, figures on dev."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from repmon.cli import main
from repmon.commands.classify import eval_cmd
from reputation.classifier.classify import classify
from reputation.classifier.evaluation import (
    Gold,
    Prediction,
    Report,
    auc,
    evaluate,
    in_half,
    load_examples,
    load_gold,
    load_pool_harm,
    load_texts,
    pool_harm_scores,
    prediction_from,
    scores,
)
from tests.conftest import ROOT, shared_path


def test_auc_ranks_positives_above_negatives_and_ties_count_half() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([0.5, 0.5], [False, True]) == 0.5
    with pytest.raises(ValueError, match="both classes"):
        auc([0.2, 0.3], [True, True])


def gold(review_id: str, labels: str, harm: bool = False) -> Gold:
    return Gold(review_id, frozenset(labels), harm)


def predicted(review_id: str, labels: str, harm: bool = False) -> Prediction:
    return Prediction(review_id, frozenset(labels), harm)


def test_scores_arithmetic() -> None:
    s = scores([(True, True), (True, False), (False, True), (False, False), (True, True)])
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    empty = scores([])
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_evaluate_per_label_confusion_harm_and_mistakes() -> None:
    golds = [gold("a", "BS"), gold("b", "C", harm=True), gold("c", "P"), gold("d", "U")]
    preds = [
        predicted("a", "B"),
        predicted("b", "C", harm=True),
        predicted("c", "S", harm=True),
        predicted("d", "U"),
    ]
    report = evaluate(golds, preds)
    assert report.n == 4
    assert (report.per_label["B"].tp, report.per_label["B"].fp) == (1, 0)
    assert (report.per_label["S"].tp, report.per_label["S"].fp, report.per_label["S"].fn) == (
        0,
        1,
        1,
    )
    assert report.per_label["C"].f1 == 1.0
    assert (report.harm.tp, report.harm.fp, report.harm.fn) == (1, 1, 0)
    assert report.confusion[("B", "B")] == 1 and report.confusion[("S", "B")] == 1
    assert report.confusion[("P", "S")] == 1
    worst = report.mistakes[0]
    assert worst.id == "c" and worst.missed == {"P"} and worst.spurious == {"S", "harm"}
    assert [m.id for m in report.mistakes] == ["c", "a"]


def test_evaluate_ignores_unpredicted_ids() -> None:
    report = evaluate([gold("a", "B"), gold("z", "S")], [predicted("a", "B")])
    assert report.n == 1


def test_prediction_from_classification() -> None:
    complaint = prediction_from("x", classify("The receptionist was rude.", 1.0))
    assert complaint.labels == {"S"}
    assert prediction_from("y", classify("Terrible. Avoid.", 1.0)).labels == {"U"}
    assert prediction_from("z", classify("Lovely doctor, highly recommend.", 5.0)).labels == {"P"}


def write_corpus(path: Path, rows: list[dict[str, object]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def test_load_examples_joins_labels_to_texts(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"id": "r:2", "labels": ["S"], "harm": 0}\n\n{"id": "r:9", "labels": ["P"], "harm": 0}\n',
        encoding="utf-8",
    )
    corpus = tmp_path / "reviews.jsonl.gz"
    write_corpus(
        corpus,
        [
            {"id": "r:1", "rating": 5, "text": "Not labelled."},
            {"id": "r:2", "rating": 1.5, "text": "The billing office lost my payment."},
        ],
    )
    examples = load_examples(labels, corpus)
    assert [e.gold.id for e in examples] == ["r:2"]
    assert examples[0].rating == 1.5 and "billing" in examples[0].text


def test_halves_split_ids_by_crc32_and_name_a_bad_half() -> None:
    # zlib.crc32 of "r:4" is even (tune), of "r:1" odd (held-out)
    assert in_half("r:4", "tune") and not in_half("r:4", "held-out")
    assert in_half("r:1", "held-out") and not in_half("r:1", "tune")
    assert in_half("r:1", None) and in_half("r:4", None)
    with pytest.raises(ValueError, match="half must be one of tune, held-out"):
        in_half("r:1", "train")


def write_dev(tmp_path: Path, second_id: str) -> Path:
    """A labels file in labels/ and its corpus in corpus/ (as in ../shared): two reviews."""
    (tmp_path / "labels").mkdir()
    (tmp_path / "corpus").mkdir()
    labels = tmp_path / "labels" / "dev.jsonl"
    labels.write_text(
        '{"id": "r:1", "labels": ["B"], "harm": 0}\n'
        f'{{"id": "{second_id}", "labels": ["S"], "harm": 0}}\n',
        encoding="utf-8",
    )
    write_corpus(
        tmp_path / "corpus" / "reviews.jsonl.gz",
        [
            {"id": "r:1", "rating": 1, "text": "The doctor was condescending."},
            {"id": second_id, "rating": 1, "text": "I waited three hours."},
        ],
    )
    return labels


def test_eval_command_scores_one_half(tmp_path: Path) -> None:
    labels = write_dev(tmp_path, "r:4")  # r:1 is in the held-out half, r:4 in the tuning half
    for half, n in (("tune", 1), ("held-out", 1), (None, 2)):
        args = ["--labels", str(labels), *(["--half", half] if half else [])]
        result = CliRunner().invoke(eval_cmd, args)
        assert result.exit_code == 0, result.output
        assert f"on {n} labelled reviews" in result.output
        assert (f"({half} half)" in result.output) == (half is not None)


def test_load_gold_names_the_bad_line(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a", "labels": ["B"], "harm": 0}\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.jsonl:2: no 'labels' field"):
        load_gold(labels)
    labels.write_text('{"id": "a", "harm": 0, "stratum": "rest", "pool": 9}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.jsonl:1: .*harm-only .*bench/harm_eval.py"):
        load_gold(labels)


def test_eval_command_prints_report(tmp_path: Path) -> None:
    labels = write_dev(tmp_path, "r:2")
    result = CliRunner().invoke(eval_cmd, ["--labels", str(labels)])
    assert result.exit_code == 0, result.output
    assert "Per label" in result.output and "harm" in result.output
    assert "Confusion" in result.output and "Worst mistakes" in result.output


def test_eval_command_missing_corpus(tmp_path: Path) -> None:
    labels = tmp_path / "dev.jsonl"
    labels.write_text('{"id": "r:1", "labels": ["B"], "harm": 0}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--labels", str(labels), "--corpus", "nope.gz"])
    assert result.exit_code == 2
    assert result.output == "error: corpus nope.gz not found: pass --corpus PATH\n"


def _eval_fails(labels: Path, corpus: Path) -> str:
    result = CliRunner().invoke(main, ["eval", "--labels", str(labels), "--corpus", str(corpus)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_eval_command_names_the_file_and_line_of_a_bad_corpus_or_labels_line(
    tmp_path: Path,
) -> None:
    labels = write_dev(tmp_path, "r:2")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "r:1", "rating": 1, "text": "Rude."}\n\nnot json\n', encoding="utf-8")
    assert _eval_fails(labels, corpus) == (
        f"error: {corpus}:3: not valid JSON (Expecting value at column 1)"
    )
    corpus.write_bytes(b'{"id": "r:1", "text": "Rude."}\n[1]\n')
    assert _eval_fails(labels, corpus) == f"error: {corpus}:2: not a JSON object with id and text"
    corpus.write_bytes(b'{"id": "r:1", "text": "Rude."}\n{"id": "r:2", "text": "caf\xe9"}\n')
    assert _eval_fails(labels, corpus).startswith(f"error: {corpus}:2: not UTF-8 text (")
    gz = tmp_path / "corpus.jsonl.gz"
    gz.write_text('{"id": "r:1"}\n', encoding="utf-8")  # not gzipped
    assert _eval_fails(labels, gz).startswith(f"error: {gz}: cannot be read (")
    labels.write_text('{"id": "r:1", "labels": ["B"], "harm": 0}\n{"id": "r:2",\n')
    assert _eval_fails(labels, corpus).startswith(f"error: {labels}:2: not valid JSON (")


def test_eval_command_worst_zero_lists_no_mistakes_and_a_negative_count_is_refused(
    tmp_path: Path,
) -> None:
    labels = write_dev(tmp_path, "r:2")
    result = CliRunner().invoke(main, ["eval", "--labels", str(labels), "--worst", "0"])
    assert result.exit_code == 0, result.output
    assert "Per label" in result.output and "Worst mistakes" not in result.output
    result = CliRunner().invoke(main, ["eval", "--labels", str(labels), "--worst", "-1"])
    assert result.exit_code == 2 and "-1 is not in the range x>=0" in result.output


# Figures of model-2 on the two halves of dev (classifier rules and thresholds were chosen on
# the tuning half; the held-out half is only scored); a change that drops below fails. The
# issue-12 targets (B 0.85, S 0.90, C 0.80, harm R 0.90 at P 0.60 on the held-out half) are
# not all met: see README "The classifier". The floors guard against regressions: the shipped
# figures less about one review. bench/labels/unseen-*.jsonl are reviews no rule was written
# from (bench/labels/README.md): the classifier scores lower there than on either dev half.
# Floors as of model-5.
FLOORS = {
    "tune": ({"B": 0.84, "S": 0.92, "C": 0.79}, 0.85, 0.55),
    "held-out": ({"B": 0.86, "S": 0.88, "C": 0.81}, 0.95, 0.65),
    "unseen-a": ({"B": 0.80, "S": 0.79, "C": 0.74}, 0.62, 0.55),
    "unseen-b": ({"B": 0.75, "S": 0.83, "C": 0.73}, 0.58, 0.39),
    "unseen-c": ({"B": 0.79, "S": 0.77, "C": 0.75}, 0.64, 0.55),
}
UNSEEN = ROOT / "bench" / "labels"


def labelled_report(name: str) -> Report:
    """The classifier's report on a dev half or on one of the unseen sets."""
    corpus = shared_path("corpus", "reviews.jsonl.gz")
    if name.startswith("unseen-"):
        examples = load_examples(UNSEEN / f"{name}.jsonl", corpus)
    else:
        examples = load_examples(shared_path("labels", "dev.jsonl"), corpus, name)
    predictions = [prediction_from(e.gold.id, classify(e.text, e.rating)) for e in examples]
    return evaluate([e.gold for e in examples], predictions)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_labelled_sets_do_not_regress(name: str) -> None:
    report = labelled_report(name)
    f1_floors, harm_recall, harm_precision = FLOORS[name]
    for label, floor in f1_floors.items():
        assert report.per_label[label].f1 >= floor, label
    assert report.harm.recall >= harm_recall
    assert report.harm.precision >= harm_precision


def test_unseen_sets_hold_new_reviews_one_per_doctor() -> None:
    """Every id is a corpus review outside dev, of a doctor dev and the other sets do not have."""
    corpus = shared_path("corpus", "reviews.jsonl.gz")
    dev = {g.id for g in load_gold(shared_path("labels", "dev.jsonl"))}
    sets = {f"unseen-{n}": [g.id for g in load_gold(UNSEEN / f"unseen-{n}.jsonl")] for n in "abc"}
    sets["harm-c"] = [g.id for g in load_pool_harm(UNSEEN / "harm-c.jsonl")]
    doctor: dict[str, str | None] = {}
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            doctor[row["id"]] = row.get("doctor")
    dev_doctors = {doctor[i] for i in dev}
    seen: set[str | None] = set()
    for name, ids in sets.items():
        assert len(ids) == (320 if name == "harm-c" else 221), name
        assert all(i in doctor for i in ids), f"{name} names a review not in the corpus"
        assert not set(ids) & dev, f"{name} holds dev reviews"
        doctors = [doctor[i] for i in ids]
        assert None not in doctors
        assert not set(doctors) & dev_doctors, f"{name} holds a dev doctor"
        assert len(set(doctors)) == len(doctors), f"{name} has a doctor twice"
        assert not set(doctors) & seen, f"{name} has a doctor of another set"
        seen.update(doctors)


@pytest.mark.slow
def test_harm_on_the_harm_set_does_not_regress() -> None:
    """bench/labels/harm-c.jsonl, weighted to its pool: model-5 has P 0.500, R 0.603 there
    (model-4: 0.490, 0.525)."""
    golds = load_pool_harm(UNSEEN / "harm-c.jsonl")
    texts = load_texts(shared_path("corpus", "reviews.jsonl.gz"), {g.id for g in golds})
    flagged = {i for i, (text, rating) in texts.items() if "harm" in classify(text, rating).flags}
    precision, recall = pool_harm_scores(golds, flagged)
    assert recall >= 0.57 and precision >= 0.47


def test_pool_harm_scores_weigh_each_review_for_its_stratum(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "harm": 1, "stratum": "suspected", "pool": 4},
        {"id": "b", "harm": 0, "stratum": "suspected", "pool": 4},
        {"id": "c", "harm": 1, "stratum": "rest", "pool": 30},
        {"id": "d", "harm": 0, "stratum": "rest", "pool": 30},
        {"id": "e", "harm": 0, "stratum": "rest", "pool": 30},
    ]
    path = tmp_path / "harm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    golds = load_pool_harm(path)
    # a and b stand for 2 reviews each, c, d and e for 10 each
    precision, recall = pool_harm_scores(golds, {"a", "b"})
    assert (precision, recall) == (0.5, 2 / 12)
    assert pool_harm_scores(golds, {"a", "c", "d"}) == (12 / 22, 1.0)
    path.write_text('{"id": "a", "harm": 1, "stratum": "rest", "pool": 0}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="harm.jsonl:1: bad label line .pool must be a positive"):
        load_pool_harm(path)


@pytest.mark.slow
def test_text_only_sentiment_beats_plain_vader_on_ratemds() -> None:
    corpus = shared_path("corpus", "reviews.jsonl.gz")
    rows: list[tuple[str, bool]] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rating = row.get("rating")
            if row["id"].startswith("rmd:") and rating is not None and not 2 < rating < 4:
                rows.append((row["text"], rating <= 2))
            if len(rows) >= 6000:
                break
    vader = SentimentIntensityAnalyzer()
    plain = scores((neg, vader.polarity_scores(t)["compound"] <= -0.05) for t, neg in rows)
    ours = scores((neg, classify(t, None).sentiment.label == "negative") for t, neg in rows)
    assert ours.f1 >= plain.f1 + 0.15
    assert ours.f1 >= 0.75  # full RateMDs part: 0.797 (target 0.80, see the closing note)
