"""Train the shipped complaint model (reputation/classifier/bagofwords.py) on the NHS comments
(MIT licence).

Usage: .venv/bin/python scripts/train_text_model.py [--input CSV.GZ] [--output JSON]
                                                     [--l2 1.0] [--min-df 3] [--check]

Reads the NHS Friends-and-Family-Test comments of ../shared/corpus/nhs_fft_v6_mit.csv.gz
(© 2021 NHS England, MIT licence, from the pxtextmining project). Comments labelled 1-2 (very
positive, positive) are praise, 4-5 (negative, very negative) complaints; 3 and unlabelled are
left out. Training is deterministic: the same file gives the same model. --check compares a
fresh training with the shipped file and exits 1 if a weight differs by more than 0.002.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import sys
from pathlib import Path

from reputation.classifier.bagofwords import MODEL_PATH, TextModel, train

DEFAULT_INPUT = Path(__file__).resolve().parents[2] / "shared/corpus/nhs_fft_v6_mit.csv.gz"
TEXT_COLUMN, SENTIMENT_COLUMN = "FFT answer", "Comment sentiment"
LABELS = {"1": False, "2": False, "4": True, "5": True}


def read_comments(path: Path) -> tuple[list[str], list[bool]]:
    """(texts, is_complaint) of the comments labelled with a clear sentiment."""
    texts: list[str] = []
    complaints: list[bool] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {TEXT_COLUMN, SENTIMENT_COLUMN} - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{path}: no column {', '.join(sorted(missing))}")
        for row in reader:
            label = LABELS.get((row[SENTIMENT_COLUMN] or "").strip())
            text = (row[TEXT_COLUMN] or "").strip()
            if label is not None and text:
                texts.append(text)
                complaints.append(label)
    return texts, complaints


def build(path: Path, l2: float, min_df: int) -> TextModel:
    texts, complaints = read_comments(path)
    fitted = train(texts, complaints, l2=l2, min_df=min_df)
    meta = {
        "source": "NHS England pxtextmining FFT comments v6, MIT licence, (c) 2021 NHS England",
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        **fitted.meta,
    }
    return TextModel(fitted.bias, fitted.weights, meta)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--min-df", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.input.is_file():
        raise SystemExit(f"{args.input}: no such file (the NHS comments of ../shared/corpus/)")
    fresh = build(args.input, args.l2, args.min_df)
    if args.check:
        shipped = TextModel.from_json(args.output.read_text(encoding="utf-8"), str(args.output))
        differ = fresh.differences(shipped)
        print(f"{args.output}: {len(differ)} weights differ from a fresh training {differ[:10]}")
        return 1 if differ else 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(fresh.to_json(), encoding="utf-8")
    print(f"{args.output}: {len(fresh.weights)} weights from {args.input.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
