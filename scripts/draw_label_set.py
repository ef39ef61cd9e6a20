"""Draw an evaluation set like bench/labels/unseen-*.jsonl, and merge its annotators' labels.

Usage:
  .venv/bin/python scripts/draw_label_set.py draw --seed 20261212 --out DIR
        [--exclude FILE ...] [--corpus ../shared/corpus/reviews.jsonl.gz]
  .venv/bin/python scripts/draw_label_set.py merge --dir DIR --output bench/labels/unseen-x.jsonl

draw: dev's pool and mix (bench/labels/README.md). One review per doctor, none of a doctor with
a review in dev or in any --exclude file (default: every set in bench/labels/), no truncated
Healthgrades snippet; Healthgrades 1-2 stars 38, 4-5 stars 5, RateMDs 1-2 stars 151, 2-4 stars
18, 4-5 stars 9 (dev's RateMDs and Healthgrades mix scaled to 221). 15 dev reviews from the
tuning half are mixed in blind. DIR gets one batch a helper (batchN.jsonl: key, stars, text, in
a shuffled order) and keys.json (key -> review id, which reviews are blind). DIR must be outside
the project: the texts are the corpus's and are never committed.

merge: reads DIR/labelsN.jsonl ({"key", "labels", "harm"} a line, one per batch line), checks
that every key is labelled once, prints how often the annotators gave dev's decision on the
blind reviews, and writes the set (ids, labels, harm; in the order drawn) without them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reputation.classifier.evaluation import in_half, load_gold  # noqa: E402

DEV = ROOT.parent / "shared/labels/dev.jsonl"
CORPUS = ROOT.parent / "shared/corpus/reviews.jsonl.gz"
# drawn in this order (the order decides which reviews a seed gives)
MIX = {
    ("hg", "1-2"): 38,
    ("hg", "4-5"): 5,
    ("rmd", "1-2"): 151,
    ("rmd", "2-4"): 18,
    ("rmd", "4-5"): 9,
}
BLIND, BATCHES, CODES = 15, 3, "BSCUP"


def band(rating: float | None) -> str | None:
    """dev's star bands: 1-2, over 2 and under 4, 4-5."""
    if rating is None:
        return None
    return "1-2" if rating <= 2 else "2-4" if rating < 4 else "4-5"


def read_ids(path: Path) -> list[str]:
    return [
        json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line
    ]


def draw(seed: int, out: Path, excluded: list[Path], corpus_path: Path) -> None:
    if out.resolve().is_relative_to(ROOT):
        sys.exit(f"{out} is inside the project: the batches hold corpus texts, never committed")
    with gzip.open(corpus_path, "rt", encoding="utf-8") as handle:
        corpus = {row["id"]: row for row in map(json.loads, handle)}
    dev = read_ids(DEV)
    used = dev + [i for path in excluded for i in read_ids(path)]
    doctors = {corpus[i]["doctor"] for i in used}
    strata: dict[tuple[str, str | None], dict[str, list[str]]] = {k: {} for k in MIX}
    for row in corpus.values():
        if row["doctor"] in doctors or row.get("truncated") or not row["doctor"]:
            continue
        stratum = (row["id"].split(":")[0], band(row["rating"]))
        if stratum in strata:
            strata[stratum].setdefault(row["doctor"], []).append(row["id"])
    rng = random.Random(seed)
    chosen: list[str] = []
    taken: set[str] = set()  # one review per doctor across the strata too
    for stratum, n in MIX.items():
        for doctor in rng.sample(sorted(d for d in strata[stratum] if d not in taken), n):
            taken.add(doctor)
            chosen.append(rng.choice(sorted(strata[stratum][doctor])))
    tune = sorted(i for i in dev if in_half(i, "tune") and i.split(":")[0] in ("rmd", "hg"))
    blind = rng.sample(tune, BLIND)
    rng.shuffle(chosen)
    out.mkdir(parents=True, exist_ok=True)
    keys: dict[str, str] = {}
    per = BLIND // BATCHES
    for b in range(BATCHES):
        items = chosen[b::BATCHES] + blind[b * per : (b + 1) * per]
        rng.shuffle(items)
        lines = []
        for review_id in items:
            key = f"d{b + 1}-{len(keys) + 1:03d}"
            keys[key] = review_id
            row = corpus[review_id]
            record = {"key": key, "stars": row["rating"], "text": row["text"]}
            lines.append(json.dumps(record, ensure_ascii=False))
        (out / f"batch{b + 1}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = {"seed": seed, "keys": keys, "set": chosen, "blind": blind}
    (out / "keys.json").write_text(json.dumps(summary, indent=0), encoding="utf-8")
    print(f"{len(chosen)} reviews and {len(blind)} blind dev reviews in {BATCHES} batches: {out}")


def merge(folder: Path, output: Path) -> None:
    drawn = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
    keys: dict[str, str] = drawn["keys"]
    rows: list[dict[str, Any]] = []
    for b in range(1, BATCHES + 1):
        text = (folder / f"labels{b}.jsonl").read_text(encoding="utf-8")
        rows += [json.loads(line) for line in text.splitlines() if line]
    labelled = Counter(row["key"] for row in rows)
    if set(labelled) != set(keys) or max(labelled.values()) > 1:
        sys.exit("every drawn key must be labelled exactly once")
    gold = {g.id: g for g in load_gold(DEV)}
    blind = set(drawn["blind"])
    agree = Counter[str]()
    for row in rows:
        review_id = keys[row["key"]]
        if review_id in blind:
            for code in CODES:
                agree[code] += (code in row["labels"]) == (code in gold[review_id].labels)
            agree["harm"] += bool(row["harm"]) == gold[review_id].harm
    print(
        "dev's decision on the blind reviews:",
        {k: f"{agree[k]}/{len(blind)}" for k in (*CODES, "harm")},
    )
    order = {review_id: n for n, review_id in enumerate(drawn["set"])}
    kept = sorted(
        (r for r in rows if keys[r["key"]] not in blind), key=lambda r: order[keys[r["key"]]]
    )
    lines = [
        json.dumps(
            {
                "id": keys[r["key"]],
                "labels": sorted(r["labels"], key=CODES.index),
                "harm": int(r["harm"]),
            }
        )
        for r in kept
    ]
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter(code for r in kept for code in r["labels"])
    print(
        f"{len(kept)} reviews to {output}:",
        dict(sorted(counts.items())),
        "harm",
        sum(r["harm"] for r in kept),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    drawing = commands.add_parser("draw")
    drawing.add_argument("--seed", type=int, required=True)
    drawing.add_argument("--out", type=Path, required=True)
    drawing.add_argument("--exclude", type=Path, nargs="*", default=None)
    drawing.add_argument("--corpus", type=Path, default=CORPUS)
    merging = commands.add_parser("merge")
    merging.add_argument("--dir", type=Path, required=True)
    merging.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "draw":
        excluded = args.exclude
        if excluded is None:
            excluded = sorted((ROOT / "bench/labels").glob("*.jsonl"))
        draw(args.seed, args.out, excluded, args.corpus)
    else:
        merge(args.dir, args.output)


if __name__ == "__main__":
    main()
