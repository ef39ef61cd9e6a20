"""Train the shipped category/harm topic models (reputation/classifier/topics.py).

Usage: .venv/bin/python scripts/train_category_model.py [--input CSV.GZ] [--output JSON]
                                                         [--l2 3.0] [--dense-l2 1] [--dim 256]
                                                         [--cv [L2 ...]] [--check]

Data: the NHS Friends-and-Family-Test comments of ../shared/corpus/nhs_fft_v6_mit.csv.gz (MIT
licence, © 2021 NHS England) with their human category labels mapped by topics.NHS_TOPICS,
and the project's own written examples (reputation/classifier/data/examples/*.jsonl, counted
``OWN_WEIGHT`` times: they are the only US-style phrasing). Comments with no usable label
("Labelling not possible", empty) are left out. Features: the words and word pairs of each text
(penalised by --l2) and its wordllama embedding cut to --dim components (penalised by
--dense-l2; --dim 0: words only). Training is deterministic. --cv prints 5-fold
cross-validated AUC per topic, on NHS folds and on own-example folds, for the L2 strengths given
(default four: how ``--l2`` was chosen) at the --dense-l2 and --dim given; --check compares a
fresh training with the shipped file and exits 1 if a weight differs by > 0.002.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from reputation.classifier.bagofwords import TextModel, tokens, train
from reputation.classifier.embedding import embedder
from reputation.classifier.evaluation import auc
from reputation.classifier.topics import (
    EXAMPLES_DIR,
    MODEL_PATH,
    NHS_NEGATIVE_ONLY,
    NHS_NEGATIVE_SENTIMENTS,
    NHS_TOPICS,
    TOPICS,
    CategoryModel,
)

DEFAULT_INPUT = Path(__file__).resolve().parents[2] / "shared/corpus/nhs_fft_v6_mit.csv.gz"
TEXT_COLUMN, SENTIMENT_COLUMN = "FFT answer", "Comment sentiment"
UNUSABLE = "Labelling not possible"
OWN_WEIGHT = 10
L2, MIN_DF = 3.0, 2
DENSE_L2, DIM = 1.0, 256  # dense L2 by 5-fold CV on the training data (--cv 3 --dense-l2 X)

Example = tuple[str, frozenset[str]]


def read_nhs(path: Path) -> list[Example]:
    """(text, our topics) of every NHS comment that people could label."""
    return [(text, topics) for text, topics, _ in read_nhs_rated(path)]


def read_nhs_rated(path: Path) -> list[tuple[str, frozenset[str], str]]:
    """(text, our topics, NHS sentiment code: 1 very positive to 5 very negative) of every NHS
    comment that people could label."""
    found: list[tuple[str, frozenset[str], str]] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        wanted = {c for columns in NHS_TOPICS.values() for c in columns} | {TEXT_COLUMN, UNUSABLE}
        missing = wanted - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{path}: no column {', '.join(sorted(missing))}")
        for row in reader:
            text = (row[TEXT_COLUMN] or "").strip()
            if not text or (row[UNUSABLE] or "").strip() == "1" or not row[SENTIMENT_COLUMN]:
                continue
            labelled = {c for c, v in row.items() if c and (v or "").strip() == "1"}
            topics = {t for t, columns in NHS_TOPICS.items() if labelled & set(columns)}
            sentiment = row[SENTIMENT_COLUMN].strip()
            if sentiment not in NHS_NEGATIVE_SENTIMENTS:
                topics -= set(NHS_NEGATIVE_ONLY)
            found.append((text, frozenset(topics), sentiment))
    return found


def read_own(folder: Path) -> list[Example]:
    """(text, topics) of the project's own examples; a bad line names its file and number."""
    found: list[Example] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                row = json.loads(line)
                labels = frozenset(row["labels"])
                text = str(row["text"])
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"{path}:{number}: bad example ({exc})") from exc
            if not labels <= set(TOPICS):
                raise SystemExit(f"{path}:{number}: unknown label {sorted(labels - set(TOPICS))}")
            found.append((text, labels))
    return found


class Dense:
    """The features beside the words: embeddings of ``dim`` components penalised by ``l2``."""

    def __init__(self, dim: int, l2: float) -> None:
        self.dim, self.l2 = dim, l2
        self._seen: dict[str, NDArray[np.float32]] = {}

    def vectors(self, texts: list[str]) -> NDArray[np.float32] | None:
        """One row a text (each distinct text embedded once), or None for words only."""
        if not self.dim:
            return None
        new = sorted({text for text in texts if text not in self._seen})
        for start in range(0, len(new), 256):  # bounded memory: a batch's tokens x dim
            chunk = new[start : start + 256]
            self._seen.update(zip(chunk, embedder(self.dim).embed(chunk), strict=True))
        return np.array([self._seen[text] for text in texts], dtype=np.float32)


def fit(examples: list[Example], l2: float, dense: Dense) -> dict[str, TextModel]:
    texts = [text for text, _ in examples]
    vectors = dense.vectors(texts)
    return {
        topic: train(
            texts,
            [topic in labels for _, labels in examples],
            l2=l2,
            min_df=MIN_DF,
            vectors=vectors,
            dense_l2=dense.l2,
        )
        for topic in TOPICS
    }


def training_set(nhs_path: Path) -> tuple[list[Example], list[Example]]:
    return read_nhs(nhs_path), read_own(EXAMPLES_DIR)


def build(nhs_path: Path, l2: float, dense: Dense) -> CategoryModel:
    nhs, own = training_set(nhs_path)
    topics = fit(nhs + own * OWN_WEIGHT, l2, dense)
    embedding = {"embedding": "wordllama l2_supercat, MIT licence", "embedding_dim": dense.dim}
    meta = {
        "source": "NHS England pxtextmining FFT comments v6, MIT licence, (c) 2021 NHS England; "
        "the project's own examples (reputation/classifier/data/examples)",
        "file": nhs_path.name,
        "sha256": hashlib.sha256(nhs_path.read_bytes()).hexdigest(),
        "nhs_comments": len(nhs),
        "own_examples": len(own),
        "own_weight": OWN_WEIGHT,
        "l2": l2,
        "min_df": MIN_DF,
        "positives": {t: sum(t in labels for _, labels in nhs + own) for t in TOPICS},
        **({**embedding, "dense_l2": dense.l2} if dense.dim else {}),
    }
    return CategoryModel(topics, meta)


def cross_validate(nhs_path: Path, strengths: list[float], dense: Dense, folds: int = 5) -> None:
    """Print 5-fold AUC per topic on the NHS comments and on the own examples (folds by
    position over each; a topic with no positives in a source is left out)."""
    nhs, own = training_set(nhs_path)
    for l2 in strengths:
        scores: dict[str, dict[str, list[float]]] = {"NHS": {}, "own": {}}
        truth: dict[str, dict[str, list[bool]]] = {"NHS": {}, "own": {}}
        for fold in range(folds):
            held = {
                "NHS": [e for i, e in enumerate(nhs) if i % folds == fold],
                "own": [e for i, e in enumerate(own) if i % folds == fold],
            }
            kept_nhs = [e for i, e in enumerate(nhs) if i % folds != fold]
            kept_own = [e for i, e in enumerate(own) if i % folds != fold]
            models = fit(kept_nhs + kept_own * OWN_WEIGHT, l2, dense)
            for source, examples in held.items():
                vectors = dense.vectors([text for text, _ in examples])
                for i, (text, labels) in enumerate(examples):
                    features = tokens(text)
                    vector = () if vectors is None else vectors[i]
                    for topic in TOPICS:
                        p = models[topic].probability(features, vector)
                        scores[source].setdefault(topic, []).append(p)
                        truth[source].setdefault(topic, []).append(topic in labels)
        for source in scores:
            figures = ", ".join(
                f"{t} {auc(scores[source][t], truth[source][t]):.3f}"
                for t in TOPICS
                if any(truth[source][t])
            )
            print(f"l2 {l2}, dense l2 {dense.l2} dim {dense.dim}, {source} folds: AUC {figures}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--dense-l2", type=float, default=DENSE_L2)
    parser.add_argument("--dim", type=int, default=DIM, help="embedding components (0: none)")
    parser.add_argument("--cv", type=float, nargs="*", metavar="L2")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.input.is_file():
        raise SystemExit(f"{args.input}: no such file (the NHS comments of ../shared/corpus/)")
    dense = Dense(args.dim, args.dense_l2)
    if args.cv is not None:
        cross_validate(args.input, args.cv or [0.3, 1.0, 3.0, 10.0], dense)
        return 0
    fresh = build(args.input, args.l2, dense)
    if args.check:
        text = args.output.read_text(encoding="utf-8")
        shipped = CategoryModel.from_json(text, str(args.output))
        differ = [
            f"{topic}:{token}"
            for topic in TOPICS
            for token in fresh.topics[topic].differences(shipped.topics[topic])
        ]
        print(f"{args.output}: {len(differ)} weights differ from a fresh training {differ[:10]}")
        return 1 if differ else 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(fresh.to_json(), encoding="utf-8")
    sizes = ", ".join(f"{t} {len(m.weights)}" for t, m in fresh.topics.items())
    print(f"{args.output}: weights {sizes}; positives {fresh.meta['positives']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
