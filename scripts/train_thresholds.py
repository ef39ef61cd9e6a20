"""Choose classify.THRESHOLDS on the tuning half of the dev labels (never the held-out half).

Usage: .venv/bin/python scripts/train_thresholds.py [--labels ../shared/labels/dev.jsonl]
                                                    [--corpus ../shared/corpus/reviews.jsonl.gz]

Reads the labelled reviews whose id falls in the "tune" half (evaluation.in_half), computes the
rules' and the model's signals once, and for each category in turn (then harm) picks the pair
(alone, confirm) of the grid by F1 (harm: F2, recall counting double, among the pairs whose
precision reaches ``HARM_PRECISION``, the issue's floor, when any does): of the pairs within
``TOLERANCE`` (about one review) of the best, a "confirm" of 0 first (any other makes classify
score every sentence of every review: the speed target), then the lowest "alone", then the
lowest "confirm". The rules were written by reading dev, so on this half they find more than
on new reviews and a model decision looks less useful here than it is: where the figures cannot
tell pairs apart, the model decides. Prints the choice and the tuning half's figures; copy the
choice into reputation/classifier/classify.py by hand.

It also prints what the model does without the rules: the AUC of its review scores (best
sentence's P(topic) x negativity) and the F1 of its decisions alone. The rules were written by
reading dev, so figures with them overstate what new reviews get; the model never saw dev, so
its figures here are a fair guess of its share on unseen reviews.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from reputation.classifier.classify import THRESHOLDS, Signals, Thresholds, decide, signals
from reputation.classifier.evaluation import (
    CODE_FOR,
    Example,
    Report,
    auc,
    evaluate,
    load_examples,
    prediction_from,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
# 1.01: the model alone never decides
ALONE = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
CONFIRM = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
NEUTRAL = (0.0, 0.3, 0.5)  # harm only: categories are often mere story in neutral sentences
TOLERANCE = 0.01
HARM_PRECISION = 0.6  # a harm flag a risk manager can trust: precision at least this (issue 12)


def report(examples: list[Example], found: list[Signals], limits: dict[str, Thresholds]) -> Report:
    pairs = zip(examples, found, strict=True)
    predictions = [prediction_from(e.gold.id, decide(s, limits)) for e, s in pairs]
    return evaluate([e.gold for e in examples], predictions)


def objective(result: Report, name: str) -> float:
    if name == "harm":
        p, r = result.harm.precision, result.harm.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0
    return result.per_label[CODE_FOR[name]].f1


def summary(result: Report) -> str:
    parts = [f"{label} F1 {result.per_label[label].f1:.3f}" for label in CODE_FOR.values()]
    harm = f"harm P {result.harm.precision:.3f} R {result.harm.recall:.3f}"
    return ", ".join([*parts, harm])


def everything(neutral: float) -> dict[str, Thresholds]:
    """Limits under which every sentence is scored (harm's neutral weight as given)."""
    return {
        name: Thresholds(alone=0.0, confirm=0.01, neutral=neutral if name == "harm" else 0.0)
        for name in THRESHOLDS
    }


def model_alone(examples: list[Example], found: list[Signals]) -> str:
    """AUC of the model's review scores and F1 (harm: P/R) of its decisions at the shipped
    "alone" thresholds, with every rule hit taken away."""
    bare = [dataclasses.replace(s, rule_categories=(), rule_flags={}) for s in found]
    limits = {name: Thresholds(t.alone, 0.0) for name, t in THRESHOLDS.items()}
    alone = report(examples, bare, limits)
    parts = []
    for name in (*CODE_FOR, "harm"):
        golds = [e.gold for e in examples]
        truth = [g.harm if name == "harm" else CODE_FOR[name] in g.labels for g in golds]
        area = auc([s.model.get(name, (0.0, 0))[0] for s in found], truth)
        if name == "harm":
            shown = f"P {alone.harm.precision:.3f} R {alone.harm.recall:.3f}"
        else:
            shown = f"F1 {alone.per_label[CODE_FOR[name]].f1:.3f}"
        parts.append(f"{name} AUC {area:.3f}, alone {shown}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=SHARED / "labels/dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus/reviews.jsonl.gz")
    args = parser.parse_args()
    examples = load_examples(args.labels, args.corpus, "tune")
    found_at = {n: [signals(e.text, e.rating, everything(n)) for e in examples] for n in NEUTRAL}
    found = found_at[0.0]
    shipped = summary(report(examples, found_at[THRESHOLDS["harm"].neutral], THRESHOLDS))
    print(f"{len(examples)} tuning-half reviews; shipped: {shipped}")
    shipped_found = found_at[THRESHOLDS["harm"].neutral]
    print(f"the model without the rules: {model_alone(examples, shipped_found)}")
    limits = {name: Thresholds(alone=1.01, confirm=0.0) for name in THRESHOLDS}
    print(f"rules alone: {summary(report(examples, found, limits))}")
    for name in (*CODE_FOR, "harm"):
        grid = [  # "confirm_weak" is kept: scripts/audit_rules.py chose it on the NHS comments
            dataclasses.replace(THRESHOLDS[name], alone=a, confirm=c, neutral=n)
            for a in ALONE
            for c in CONFIRM
            for n in (NEUTRAL if name == "harm" else (0.0,))
        ]
        results = [(report(examples, found_at[t.neutral], {**limits, name: t}), t) for t in grid]
        if name == "harm":
            trusted = [(r, t) for r, t in results if r.harm.precision >= HARM_PRECISION]
            results = trusted or results
        graded = [(objective(result, name), t) for result, t in results]
        top = max(value for value, _ in graded)
        value, limits[name] = min(
            ((v, t) for v, t in graded if v >= top - TOLERANCE),
            key=lambda pair: (pair[1].confirm > 0, pair[1].alone, pair[1].confirm, pair[1].neutral),
        )
        print(f"{name}: {limits[name]} (objective {value:.3f}, best {top:.3f})")
    print(f"chosen: {summary(report(examples, found_at[limits['harm'].neutral], limits))}")


if __name__ == "__main__":
    main()
