"""Audit the rules' service decisions on the NHS comments, which they were not written from.

Usage: .venv/bin/python scripts/audit_rules.py [--input CSV.GZ] [--folds 5]

The rules of reputation/classifier/lexicon.py were written by reading the dev reviews, so the
dev halves overstate them. The NHS Friends-and-Family-Test comments (MIT licence, © 2021 NHS
England) are text they were not written from, with human labels: a comment's gold is whether
its labels map to service (topics.NHS_TOPICS; lossy: NHS files a nurse's manner under "Staff
manner", ours under service). The topic models that score these comments are trained as
scripts/train_category_model.py trains them, but without the comment's fold (out-of-fold
scores), and each comment is classified with its NHS sentiment as a star rating (very
positive 5 ... very negative 1). Prints, by the kind of cue behind each service hit (the
strongest in its sentence: fixed phrase, conduct re-filed to staff by the actor, negated
quality, strong or weak topic word), how often it fires and how often the comment is about
service, also where the model's P(service) of the sentence reaches a few values; then the
service P/R/F1 of classify.decide for "confirm" and "confirm_weak" values of service, and the
highest "confirm_weak" that loses no service comment (how classify.THRESHOLDS chose it).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from train_category_model import (
    DEFAULT_INPUT,
    DENSE_L2,
    DIM,
    L2,
    OWN_WEIGHT,
    Dense,
    fit,
    read_nhs_rated,
    read_own,
)

from reputation.classifier.classify import _STRENGTH, THRESHOLDS, Signals, decide, signals
from reputation.classifier.evaluation import Scores, scores
from reputation.classifier.topics import EXAMPLES_DIR, CategoryModel

RATING = {"1": 5.0, "2": 4.0, "3": 3.0, "4": 2.0, "5": 1.0}  # NHS sentiment code -> stars
NEGATIVE = ("4", "5")
KIND_OF = {strength: kind for kind, strength in _STRENGTH.items()}
CONFIRM = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
AT = (0.1, 0.2, 0.3)
NAME = "service"

Scored = tuple[bool, str, Signals]  # gold, NHS sentiment code, signals with every sentence scored


def out_of_fold(path: Path, folds: int) -> list[Scored]:
    """Every NHS comment's signals under a topic model trained without its fold."""
    nhs, own = read_nhs_rated(path), read_own(EXAMPLES_DIR)
    dense = Dense(DIM, DENSE_L2)
    score_all = {name: dataclasses.replace(t, confirm=0.01) for name, t in THRESHOLDS.items()}
    found: dict[int, Scored] = {}
    for fold in range(folds):
        kept = [(text, topics) for i, (text, topics, _) in enumerate(nhs) if i % folds != fold]
        model = CategoryModel(fit(kept + own * OWN_WEIGHT, L2, dense), {"embedding_dim": DIM})
        for i, (text, topics, sentiment) in enumerate(nhs):
            if i % folds == fold:
                scored = signals(text, RATING[sentiment], score_all, model)
                found[i] = (NAME in topics, sentiment, scored)
        print(f"fold {fold + 1}/{folds} scored", file=sys.stderr)
    return [found[i] for i in sorted(found)]


def kinds(found: Signals) -> dict[str, float]:
    """Kind of cue -> the highest P(service) of a sentence it put in service."""
    hits = found.review.hits[NAME]
    seen: dict[str, float] = {}
    for sentence, strength in hits.items():
        kind = KIND_OF[strength]
        seen[kind] = max(seen.get(kind, 0.0), found.topics[sentence].get(NAME, 0.0))
    return seen


def share(part: list[bool]) -> str:
    return f"{sum(part) / len(part):.2f}" if part else "-"


def kind_table(rows: list[Scored]) -> None:
    by_kind: dict[str, list[tuple[bool, float, bool]]] = {}
    for gold, _, found in rows:
        seen = kinds(found)
        for kind, p in seen.items():
            by_kind.setdefault(kind, []).append((gold, p, len(seen) == 1))
    print(f"  {'kind':8} {'hits':>5} {'P':>5} {'alone':>5} {'its P':>5}", end="")
    print("".join(f"  P(svc)>={c}: P (kept)" for c in AT))
    for kind, found in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        golds = [g for g, _, _ in found]
        alone = [g for g, _, only in found if only]
        print(f"  {kind:8} {len(golds):5} {share(golds):>5}", end="")
        print(f" {len(alone):5} {share(alone):>5}", end="")
        for c in AT:
            kept = [g for g, p, _ in found if p >= c]
            print(f"  {share(kept):>15} ({len(kept) / len(found):.2f})", end="")
        print()


def service(rows: list[Scored], **changes: float) -> Scores:
    """Service scores of classify.decide with THRESHOLDS' service limits changed as given."""
    limits = {**THRESHOLDS, NAME: dataclasses.replace(THRESHOLDS[NAME], **changes)}
    return scores((gold, NAME in decide(found, limits).category_names()) for gold, _, found in rows)


def shown(s: Scores) -> str:
    return f"F1 {s.f1:.3f} (P {s.precision:.3f}, R {s.recall:.3f}; tp {s.tp} fp {s.fp} fn {s.fn})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if not args.input.is_file():
        raise SystemExit(f"{args.input}: no such file (the NHS comments of ../shared/corpus/)")
    everything = out_of_fold(args.input, args.folds)
    parts = {"negative": [r for r in everything if r[1] in NEGATIVE], "all": everything}
    for part, rows in parts.items():
        print(f"{part} comments ({len(rows)}, {share([g for g, _, _ in rows])} service):")
        kind_table(rows)
        for c in CONFIRM:
            print(f"  confirm {c:<5} {shown(service(rows, confirm=c, confirm_weak=0.0))}")
        for c in CONFIRM:
            print(f"  confirm_weak {c:<5} {shown(service(rows, confirm=0.0, confirm_weak=c))}")
    at_zero = service(everything, confirm_weak=0.0).tp
    chosen = max(c for c in CONFIRM if service(everything, confirm_weak=c).tp == at_zero)
    print(f"highest confirm_weak losing no service comment: {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
