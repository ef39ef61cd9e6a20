"""A bag-of-words complaint model, trained on NHS Friends-and-Family-Test comments (MIT licence).

VADER scores the words it knows, but a complaint is often told in words it does not ("sent
home every time", "never got my results"). This logistic model gives the probability that a
text complains; text-only sentiment leans on it a little (``sentiment.MODEL_WEIGHT``).

It is trained by ``scripts/train_text_model.py`` on the 7,908 comments of the NHS
pxtextmining project that people labelled with a sentiment (© 2021 NHS England, MIT licence),
the only review-like data the project may ship a model of: very positive and positive comments
against negative and very negative ones, neutral ones left out. Words and word pairs seen in
at least ``min_df`` comments are features; L2-regularised; weights below 0.05 are dropped.
``train`` can also take dense features (sentence embeddings, ``embedding.py``) with their own
L2 strength, appended to the words: the topic models of ``topics.py`` use them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "MODEL_PATH",
    "TextModel",
    "complaint_probability",
    "model",
    "sigmoid",
    "tokens",
    "train",
]

MODEL_PATH = Path(__file__).with_name("data") / "nhs_text_model.json"
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_KEEP_AT = 0.05  # weights smaller than this are dropped from the shipped file


def tokens(text: str) -> set[str]:
    """The features of a text: its lowercase words and pairs of adjacent words."""
    words = _TOKEN.findall(text.lower().replace("\u2019", "'"))
    return {*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))}


def sigmoid(z: float) -> float:
    """The logistic function, clipped so that no weight sum overflows."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class TextModel:
    """Logistic regression over ``tokens``: P(complaint) = sigmoid(bias + sum of weights)."""

    bias: float
    weights: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)
    dense: tuple[float, ...] = ()  # one weight a component of the text's dense vector

    def complaint_probability(self, text: str) -> float:
        """The probability of the positive class (here: a complaint) for ``text``."""
        return self.probability(tokens(text))

    def probability(self, features: set[str], vector: Sequence[float] = ()) -> float:
        """The probability of the positive class for a text's ``tokens`` (and its dense
        ``vector`` when the model has dense weights)."""
        z = self.bias + sum(self.weights.get(token, 0.0) for token in features)
        return sigmoid(z + sum(w * float(v) for w, v in zip(self.dense, vector, strict=False)))

    def differences(self, other: TextModel, tolerance: float = 0.002) -> list[str]:
        """Features whose weights differ by more than ``tolerance`` (floating-point noise of
        another machine's BLAS stays below it; a weight near the cut-off may be in one only);
        dense weights are named "(dense i)"."""
        found = [] if abs(self.bias - other.bias) <= tolerance else ["(bias)"]
        if len(self.dense) != len(other.dense):
            found.append("(dense size)")
        found.extend(
            f"(dense {i})"
            for i, (mine, theirs) in enumerate(zip(self.dense, other.dense, strict=False))
            if abs(mine - theirs) > tolerance
        )
        for token in sorted(self.weights.keys() | other.weights.keys()):
            mine, theirs = self.weights.get(token), other.weights.get(token)
            if mine is None or theirs is None:
                kept = mine if theirs is None else theirs
                if kept is not None and abs(kept) > _KEEP_AT + tolerance:
                    found.append(token)
            elif abs(mine - theirs) > tolerance:
                found.append(token)
        return found

    def to_body(self) -> dict[str, Any]:
        """The model as JSON-ready values (weights rounded to 4 places)."""
        weights = {k: round(v, 4) for k, v in sorted(self.weights.items())}
        body = {"meta": dict(self.meta), "bias": round(self.bias, 4), "weights": weights}
        return {**body, "dense": [round(v, 4) for v in self.dense]} if self.dense else body

    def to_json(self) -> str:
        return json.dumps(self.to_body(), ensure_ascii=False, indent=0, sort_keys=False) + "\n"

    @classmethod
    def from_body(cls, body: Any, source: str = "model") -> TextModel:
        """A model from ``to_body`` values; a wrong shape raises ValueError naming ``source``."""
        try:
            bias = float(body["bias"])
            weights = {str(k): float(v) for k, v in body["weights"].items()}
            dense = tuple(float(v) for v in body.get("dense", ()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{source} is not a text model: {exc}") from exc
        return cls(bias, weights, body.get("meta", {}), dense)

    @classmethod
    def from_json(cls, text: str, source: str = "model") -> TextModel:
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{source} is not a text model: {exc}") from exc
        return cls.from_body(body, source)


@lru_cache(maxsize=1)
def model() -> TextModel:
    """The shipped model, read once."""
    return TextModel.from_json(MODEL_PATH.read_text(encoding="utf-8"), str(MODEL_PATH))


def complaint_probability(text: str) -> float:
    """Probability that ``text`` complains, by the shipped model."""
    return model().complaint_probability(text)


def train(
    texts: Sequence[str],
    complaints: Sequence[bool],
    l2: float = 1.0,
    min_df: int = 3,
    vectors: NDArray[Any] | None = None,
    dense_l2: float = 1.0,
) -> TextModel:
    """Fit the model: L-BFGS on the L2-regularised log loss (deterministic for given data).

    ``vectors`` (one row a text) are dense features beside the words, penalised by
    ``dense_l2``: all their weights are kept (they are few, and none is a word to drop).
    """
    import numpy as np
    from scipy import optimize, sparse

    if len(texts) != len(complaints) or not texts:
        raise ValueError("training needs as many labels as texts, and at least one text")
    if vectors is not None and vectors.shape[0] != len(texts):
        raise ValueError("training needs one dense vector a text")
    docs = [tokens(text) for text in texts]
    counts = Counter(token for doc in docs for token in doc)
    vocab = {t: i for i, t in enumerate(sorted(t for t, n in counts.items() if n >= min_df))}
    rows = [i for i, doc in enumerate(docs) for t in doc if t in vocab]
    cols = [vocab[t] for doc in docs for t in doc if t in vocab]
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(docs), len(vocab)))
    penalty = np.full(len(vocab), float(l2))
    if vectors is not None:
        x = sparse.hstack([x, sparse.csr_matrix(np.asarray(vectors, dtype=float))], format="csr")
        penalty = np.append(penalty, np.full(vectors.shape[1], float(dense_l2)))
    y = np.asarray(complaints, dtype=float)

    def loss(theta: Any) -> tuple[float, Any]:
        w, b = theta[:-1], theta[-1]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.logaddexp(0.0, z).sum() - y @ z + (penalty * w) @ w / 2
        return float(value), np.append(x.T @ (p - y) + penalty * w, (p - y).sum())

    fit = optimize.minimize(
        loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 1000}
    )
    weights = {t: float(fit.x[i]) for t, i in vocab.items() if abs(fit.x[i]) >= _KEEP_AT}
    meta: dict[str, Any] = {"l2": l2, "min_df": min_df, "texts": len(texts)}
    meta["complaints"] = int(y.sum())
    if vectors is None:
        return TextModel(float(fit.x[-1]), weights, meta)
    dense = tuple(float(v) for v in fit.x[len(vocab) : -1])
    return TextModel(float(fit.x[-1]), weights, {**meta, "dense_l2": dense_l2}, dense)
