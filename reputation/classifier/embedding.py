"""Static sentence embeddings: the mean of a sentence's token vectors, from wordllama's weights.

wordllama (MIT licence) ships a 32,000 x 256 token table distilled from a large language model
and its tokenizer inside its wheel, so nothing is fetched at run time. The files are read here
straight from the installed package, never through ``import wordllama``: its import configures
the root logger, and its loader looks for the tokenizer in a folder the wheel does not have.
A sentence's vector is what wordllama computes (the mean of its token vectors, no special
tokens), cut to the first ``dim`` components (the table is trained so that a prefix is itself
an embedding) and L2-normalised.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from reputation.errors import ModelFilesMissing

__all__ = ["PACKAGE", "TOKENIZER_FILE", "WEIGHTS_FILE", "Embedder", "embedder", "package_folder"]

PACKAGE = "wordllama"
WEIGHTS_FILE = "weights/l2_supercat_256.safetensors"
TOKENIZER_FILE = "tokenizers/l2_supercat_tokenizer_config.json"
_TENSOR = "embedding.weight"


def package_folder() -> Path:
    """Where wordllama is installed, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissing(
            f"the {PACKAGE} package (its embedding weights) is not installed; reinstall repmon"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True, eq=False)
class Embedder:
    """A token table cut to ``dim`` columns and the tokenizer whose ids index it."""

    table: NDArray[np.float32]
    tokenizer: Tokenizer

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @classmethod
    def load(cls, dim: int, folder: Path | None = None) -> Embedder:
        """Read the weights and tokenizer from ``folder`` (default: the installed package)."""
        folder = package_folder() if folder is None else folder
        weights, tokenizer = folder / WEIGHTS_FILE, folder / TOKENIZER_FILE
        for path in (weights, tokenizer):
            if not path.is_file():
                raise ModelFilesMissing(f"{path} is missing; reinstall {PACKAGE} (and repmon)")
        table = load_file(str(weights))[_TENSOR]
        if not 1 <= dim <= table.shape[1]:
            raise ValueError(f"dim must be from 1 to {table.shape[1]}, not {dim}")
        return cls(np.ascontiguousarray(table[:, :dim], dtype=np.float32), _tokenizer(tokenizer))

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit vector a text (a row of zeros for a text with no token), in one batch.

        Texts are tokenised one by one: the tokenizer's batch call spreads a handful of
        sentences over a thread pool, which costs more than it saves on one core and makes the
        tokenizer warn in a process forked after it; the table is read once for the batch.
        """
        found = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return found
        encode = self.tokenizer.encode
        encodings = [encode(text, add_special_tokens=False) for text in texts]
        lengths = np.fromiter((len(e.ids) for e in encodings), np.int64, len(encodings))
        total = int(lengths.sum())
        if not total:
            return found
        ids = np.fromiter(itertools.chain.from_iterable(e.ids for e in encodings), np.int64, total)
        kept = lengths > 0
        starts = (np.cumsum(lengths) - lengths)[kept]
        means = np.add.reduceat(self.table[ids], starts, axis=0) / lengths[kept, None]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        found[kept] = means / np.maximum(norms, 1e-12)
        return found


def _tokenizer(path: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@lru_cache(maxsize=2)
def embedder(dim: int) -> Embedder:
    """The installed package's embedder at ``dim``, read once."""
    return Embedder.load(dim)
