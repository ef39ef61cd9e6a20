"""Evaluation of the classifier against hand labels: P/R/F1, confusion, harm, worst mistakes."""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reputation.classifier.classify import ClassifierResult

__all__ = [
    "CODE_FOR",
    "HALVES",
    "LABELS",
    "Example",
    "Gold",
    "Mistake",
    "PoolHarm",
    "Prediction",
    "Report",
    "Scores",
    "auc",
    "evaluate",
    "in_half",
    "load_examples",
    "load_gold",
    "load_pool_harm",
    "load_texts",
    "pool_harm_outcomes",
    "pool_harm_scores",
    "prediction_from",
    "scores",
]

_G = TypeVar("_G")

# Codebook letters for the classifier's category names.
CODE_FOR = {"bedside_manner": "B", "service": "S", "clinical_skill": "C"}
LABELS = ("B", "S", "C", "U", "P")
# Two halves of any id set, by the CRC-32 of the id: thresholds and weights are chosen on "tune",
# and only "held-out" figures are quoted (it was never read to choose anything).
HALVES = {"tune": 0, "held-out": 1}


def in_half(review_id: str, half: str | None) -> bool:
    """Whether ``review_id`` falls in ``half`` ("tune" or "held-out"; None: every id)."""
    if half is None:
        return True
    if half not in HALVES:
        raise ValueError(f"half must be one of {', '.join(HALVES)}, not {half!r}")
    return zlib.crc32(review_id.encode()) % 2 == HALVES[half]


@dataclass(frozen=True)
class Gold:
    """One hand-labelled review: codebook letters and the harm flag."""

    id: str
    labels: frozenset[str]
    harm: bool


@dataclass(frozen=True)
class Example:
    """A labelled review joined to its text and rating."""

    gold: Gold
    text: str
    rating: float | None


@dataclass(frozen=True)
class Prediction:
    """The classifier's decision in codebook letters (B/S/C, or U, or P)."""

    id: str
    labels: frozenset[str]
    harm: bool


@dataclass(frozen=True)
class Scores:
    """Counts and precision/recall/F1 for one label."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of predicted positives that are right."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Share of gold positives that were found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Mistake:
    """A review where labels differ: what was missed and what was added."""

    id: str
    missed: frozenset[str]
    spurious: frozenset[str]

    @property
    def size(self) -> int:
        """How many label decisions were wrong."""
        return len(self.missed) + len(self.spurious)


@dataclass(frozen=True)
class Report:
    """Everything `repmon eval` prints."""

    n: int
    per_label: dict[str, Scores]
    harm: Scores
    confusion: dict[tuple[str, str], int]
    mistakes: tuple[Mistake, ...]


def prediction_from(review_id: str, result: ClassifierResult) -> Prediction:
    """Express a ClassifierResult in codebook letters."""
    labels = {CODE_FOR[c.name] for c in result.categories}
    if not labels:
        labels = {"U"} if result.unspecified else {"P"}
    return Prediction(review_id, frozenset(labels), "harm" in result.flags)


def auc(values: Sequence[float], truth: Sequence[bool]) -> float:
    """Area under the ROC curve of ``values`` against ``truth`` (rank statistic; ties count
    half); ValueError when one class is missing."""
    positives = sum(truth)
    negatives = len(truth) - positives
    if len(values) != len(truth) or not positives or not negatives:
        raise ValueError("AUC needs one truth per value and both classes present")
    ranked = sorted(zip(values, truth, strict=True))
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(1 for _, positive in ranked[i:j] if positive)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def scores(pairs: Iterable[tuple[bool, bool]]) -> Scores:
    """Count (gold, predicted) booleans into Scores."""
    counts = Counter(pairs)
    return Scores(tp=counts[True, True], fp=counts[False, True], fn=counts[True, False])


def evaluate(golds: Sequence[Gold], predictions: Sequence[Prediction], worst: int = 15) -> Report:
    """Compare predictions with gold labels (matched by id)."""
    by_id = {p.id: p for p in predictions}
    pairs = [(g, by_id[g.id]) for g in golds if g.id in by_id]
    per_label = {
        label: scores((label in g.labels, label in p.labels) for g, p in pairs) for label in LABELS
    }
    harm = scores((g.harm, p.harm) for g, p in pairs)
    confusion: Counter[tuple[str, str]] = Counter()
    for g, p in pairs:
        for gold_label in g.labels:
            for predicted in p.labels:
                confusion[gold_label, predicted] += 1
    mistakes = [
        Mistake(
            g.id,
            frozenset(g.labels - p.labels) | ({"harm"} if g.harm and not p.harm else set()),
            frozenset(p.labels - g.labels) | ({"harm"} if p.harm and not g.harm else set()),
        )
        for g, p in pairs
    ]
    mistakes = sorted((m for m in mistakes if m.size), key=lambda m: (-m.size, m.id))[:worst]
    return Report(len(pairs), per_label, harm, dict(confusion), tuple(mistakes))


def _read_labels(labels_path: Path, make: Callable[[Any], _G]) -> list[_G]:
    """Each non-empty line of a labels JSONL file made into a gold; a bad line is named."""
    golds: list[_G] = []
    for number, line in _numbered_lines(labels_path):
        if not line.strip():
            continue
        row = _json_line(labels_path, number, line)
        try:
            golds.append(make(row))
        except KeyError as exc:
            raise ValueError(f"{labels_path}:{number}: no {exc} field") from exc
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{labels_path}:{number}: bad label line ({exc})") from exc
    return golds


def _json_line(path: Path, number: int, line: str) -> Any:
    """One line of a JSONL file parsed; ValueError names the file and line when it is not JSON."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of a UTF-8 file, gzipped if it ends in .gz; ValueError
    names the file, and the line that is not UTF-8."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not UTF-8 text ({exc.reason})") from None
    except (OSError, EOFError) as exc:  # e.g. a .gz that is not gzip, or one cut short
        raise ValueError(f"{path}: cannot be read ({exc})") from None


def load_gold(labels_path: Path) -> list[Gold]:
    """Read a labels JSONL file ({"id", "labels", "harm"} per line)."""
    return _read_labels(labels_path, _gold)


def _gold(row: Any) -> Gold:
    if isinstance(row, dict) and "labels" not in row and "stratum" in row:
        raise ValueError("a harm-only set has no labels: score it with bench/harm_eval.py")
    return Gold(str(row["id"]), frozenset(row["labels"]), bool(row["harm"]))


def load_examples(labels_path: Path, corpus_path: Path, half: str | None = None) -> list[Example]:
    """Join labels to texts and ratings, streaming the corpus and keeping only labelled ids."""
    golds = {g.id: g for g in load_gold(labels_path) if in_half(g.id, half)}
    found = load_texts(corpus_path, set(golds))
    return [Example(golds[i], *found[i]) for i in golds if i in found]


def load_texts(corpus_path: Path, ids: set[str]) -> dict[str, tuple[str, float | None]]:
    """Text and rating of each of ``ids`` the corpus holds, streaming it; ValueError names the
    file and line of a line that is not a JSON object."""
    found: dict[str, tuple[str, float | None]] = {}
    for number, line in _numbered_lines(corpus_path):
        review_id = line[8 : line.find('"', 8)] if line.startswith('{"id": "') else None
        if (review_id is not None and review_id not in ids) or not line.strip():
            continue  # cheap skip without parsing the line
        row = _json_line(corpus_path, number, line)
        if not isinstance(row, dict):
            raise ValueError(f"{corpus_path}:{number}: not a JSON object with id and text")
        if row.get("id") in ids:
            found[row["id"]] = (str(row.get("text") or ""), _rating(row.get("rating")))
    return found


@dataclass(frozen=True)
class PoolHarm:
    """A review labelled for harm only, drawn from one stratum of a larger pool of reviews."""

    id: str
    harm: bool
    stratum: str
    pool: int  # reviews in the stratum's pool, of which the set drew some


def load_pool_harm(labels_path: Path) -> list[PoolHarm]:
    """Read a harm-only labels file ({"id", "harm", "stratum", "pool"} per line)."""
    return _read_labels(labels_path, _pool_harm)


def _pool_harm(row: Any) -> PoolHarm:
    gold = PoolHarm(str(row["id"]), bool(row["harm"]), str(row["stratum"]), row["pool"])
    if not isinstance(gold.pool, int) or gold.pool < 1:
        raise ValueError(f"pool must be a positive count, not {gold.pool!r}")
    return gold


def pool_harm_outcomes(golds: Sequence[PoolHarm], flagged: set[str]) -> Counter[tuple[str, str]]:
    """(stratum, "tp" / "fp" / "fn" / "tn") -> reviews drawn; ``flagged`` holds the ids the
    classifier flagged."""
    outcomes: Counter[tuple[str, str]] = Counter()
    for gold in golds:
        found = gold.id in flagged
        outcome = "tp" if found and gold.harm else "fp" if found else "fn" if gold.harm else "tn"
        outcomes[(gold.stratum, outcome)] += 1
    return outcomes


def pool_harm_scores(golds: Sequence[PoolHarm], flagged: set[str]) -> tuple[float, float]:
    """Harm precision and recall over the pools the reviews were drawn from: each review counts
    for pool / drawn of its stratum; ``flagged`` holds the ids the classifier flagged."""
    drawn = Counter(g.stratum for g in golds)
    weight = {g.stratum: g.pool / drawn[g.stratum] for g in golds}
    counts = dict.fromkeys(("tp", "fp", "fn", "tn"), 0.0)
    for (stratum, outcome), n in pool_harm_outcomes(golds, flagged).items():
        counts[outcome] += n * weight[stratum]
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def _rating(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
