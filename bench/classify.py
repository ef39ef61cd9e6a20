"""Throughput of classify() next to plain VADER polarity_scores on the same texts, one core.

Usage: .venv/bin/python bench/classify.py [--n 5000] [--corpus PATH]
Target (issues 4, 12): the classifier keeps at least 1/4 of VADER's reviews/s, model included;
the shipped models (with the embedding table and tokenizer) load in under a second. "One core":
run it under `taskset -c 1` to pin it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from reputation.classifier.bagofwords import MODEL_PATH as TEXT_MODEL_PATH
from reputation.classifier.bagofwords import TextModel
from reputation.classifier.classify import classify
from reputation.classifier.embedding import Embedder
from reputation.classifier.topics import MODEL_PATH, CategoryModel

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/reviews.jsonl.gz"


def load(corpus: Path, n: int) -> list[tuple[str, float | None]]:
    """The first n reviews (text, rating) of the corpus."""
    rows: list[tuple[str, float | None]] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows.append((row["text"], row.get("rating")))
            if len(rows) >= n:
                break
    return rows


def rate(work: Callable[[], None], count: int, repeat: int) -> float:
    """Best reviews/s over `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return count / best


def main() -> None:
    """Print reviews/s for VADER and the classifier, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    rows = load(args.corpus, args.n)
    start = time.perf_counter()
    topics = CategoryModel.from_json(MODEL_PATH.read_text(encoding="utf-8"))
    TextModel.from_json(TEXT_MODEL_PATH.read_text(encoding="utf-8"))
    if topics.dim:
        Embedder.load(topics.dim)  # the embedding table and tokenizer, from wordllama's files
    load_seconds = time.perf_counter() - start
    vader = SentimentIntensityAnalyzer()
    classify(rows[0][0], rows[0][1])  # warm up: compile patterns, build the analyzer

    def run_vader() -> None:
        for text, _ in rows:
            vader.polarity_scores(text)

    def run_classify() -> None:
        for text, rating in rows:
            classify(text, rating)

    vader_rate = rate(run_vader, len(rows), args.repeat)
    classify_rate = rate(run_classify, len(rows), args.repeat)
    chars = sum(len(text) for text, _ in rows) / len(rows)
    print(f"{len(rows)} reviews, mean {chars:.0f} characters, best of {args.repeat}, one core")
    print(f"VADER polarity_scores: {vader_rate:10.0f} reviews/s")
    print(f"classify():            {classify_rate:10.0f} reviews/s")
    print(f"ratio classify/VADER:  {classify_rate / vader_rate:10.2f}  (target >= 0.25)")
    print(f"model load:            {load_seconds:10.2f} s  (target < 1)")


if __name__ == "__main__":
    main()
