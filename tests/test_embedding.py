"""Sentence embeddings read from wordllama's installed files: offline, deterministic, meaningful."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from reputation.classifier.embedding import (
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    Embedder,
    embedder,
    package_folder,
)
from reputation.errors import ModelFilesMissing


def test_weights_load_from_the_installed_package_without_importing_it() -> None:
    folder = package_folder()
    assert (folder / WEIGHTS_FILE).is_file() and (folder / TOKENIZER_FILE).is_file()
    found = embedder(64)
    assert found.table.shape == (32000, 64) and found.table.dtype == np.float32
    # wordllama's import configures the root logger; the classifier never imports it
    assert "wordllama" not in sys.modules


def test_the_table_and_tokenizer_load_in_well_under_a_second() -> None:
    start = time.perf_counter()
    Embedder.load(256)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("missing", [WEIGHTS_FILE, TOKENIZER_FILE])
def test_a_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    for name in (WEIGHTS_FILE, TOKENIZER_FILE):
        if name != missing:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(package_folder() / name, tmp_path / name)
    with pytest.raises(ModelFilesMissing, match=Path(missing).name):
        Embedder.load(64, tmp_path)


def test_vectors_are_unit_length_deterministic_and_batch_independent() -> None:
    texts = ["The receptionist was rude to me.", "", "He fixed my knee."]
    first = embedder(256).embed(texts)
    assert first.shape == (3, 256)
    assert np.allclose(np.linalg.norm(first, axis=1), [1.0, 0.0, 1.0], atol=1e-5)
    assert np.array_equal(first, Embedder.load(256).embed(texts))
    alone = embedder(256).embed([texts[2]])
    assert np.allclose(alone[0], first[2], atol=1e-6)
    assert embedder(256).embed([]).shape == (0, 256)


def test_a_prefix_of_the_table_is_the_smaller_embedding() -> None:
    text = ["We waited three hours past our appointment time."]
    short, full = embedder(64).embed(text)[0], embedder(256).embed(text)[0]
    assert np.allclose(short, full[:64] / np.linalg.norm(full[:64]), atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    rude, impolite, parking, misdiagnosed = embedder(256).embed(
        [
            "The receptionist was rude and dismissive.",
            "The front desk staff were impolite and short with me.",
            "There was plenty of parking near the entrance.",
            "He misdiagnosed my broken wrist as a sprain.",
        ]
    )
    assert rude @ impolite > rude @ parking
    assert rude @ impolite > rude @ misdiagnosed
