"""The harm flag on bench/labels/harm-c.jsonl: precision and recall over the pool it was drawn from.

Usage: .venv/bin/python bench/harm_eval.py [--model category_model.json] [--labels FILE]
                                           [--corpus ../shared/corpus/reviews.jsonl.gz]

harm-c holds 320 reviews rated 2.5 stars or less (one per doctor, no doctor of dev or of unseen
A and B), labelled for harm only: 160 drawn from the reviews a harm scorer suspected and 160
from the rest (bench/labels/README.md). Each stratum's reviews stand for its whole pool, so
every review counts pool / drawn of its stratum (evaluation.pool_harm_scores); the raw counts
per stratum are printed too. --model scores another category model file (the topic models of
reputation/classifier/topics.py) at the shipped thresholds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reputation.classifier.classify import decide, signals
from reputation.classifier.evaluation import (
    load_pool_harm,
    load_texts,
    pool_harm_outcomes,
    pool_harm_scores,
)
from reputation.classifier.topics import CategoryModel, category_model

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "bench" / "labels" / "harm-c.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus" / "reviews.jsonl.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, help="a category model file (default: shipped)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"{args.corpus}: no such file (the corpus of ../shared/corpus/)", file=sys.stderr)
        return 2
    golds = load_pool_harm(args.labels)
    texts = load_texts(args.corpus, {g.id for g in golds})
    model = category_model()
    if args.model is not None:
        model = CategoryModel.from_json(args.model.read_text(encoding="utf-8"), str(args.model))
    flagged = {
        review_id
        for review_id, (text, rating) in texts.items()
        if "harm" in decide(signals(text, rating, model=model)).flags
    }
    counts = pool_harm_outcomes(golds, flagged)
    print(f"{len(texts)} of {len(golds)} labelled reviews found; model {args.model or 'shipped'}")
    for stratum in sorted({g.stratum for g in golds}):
        drawn = sum(1 for g in golds if g.stratum == stratum)
        tp, fp, fn, tn = (counts[(stratum, o)] for o in ("tp", "fp", "fn", "tn"))
        print(f"  {stratum:10} drawn {drawn:3}  tp {tp:3}  fp {fp:3}  fn {fn:3}  tn {tn:3}")
    precision, recall = pool_harm_scores(golds, flagged)
    print(f"weighted to the pool: harm precision {precision:.3f}, recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
