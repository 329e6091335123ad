"""Static word vectors: Flair's four lookup fallbacks in their order, the zero row, both embedding paths,
and the LRU caches the embedding owns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fastner.embeddings.words import WordEmbeddings
from fastner.switches import Switches
from fastner.text import Sentence

# Entries that compete for one lookup, so that each fallback and its priority over the next is seen.
WORDS = ["Paris", "paris", "lyon", "x1", "x#", "y#", "y0", "w0", "z9", "z#", "##-##", "ab##"]
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def words() -> WordEmbeddings:
    vectors = np.random.default_rng(0).standard_normal((len(WORDS), 4), dtype=np.float32)
    return WordEmbeddings(WORDS, vectors, name="w")


def looked_up(words: WordEmbeddings, word: str) -> str | None:
    """The vocabulary entry `word` resolves to (None: the zero row)."""
    row = words.row(word)
    return None if row == len(WORDS) else WORDS[row]


@pytest.mark.parametrize(("word", "entry"), [
    ("Paris", "Paris"),  # 1. the exact word...
    ("z9", "z9"),  # ...before the digit rules
    ("PARIS", "paris"),  # 2. lower-cased...
    ("LYON", "lyon"),
    ("X1", "x1"),  # ...before '#'
    ("Z5", "z#"),  # 3. lower-cased with every digit -> '#'...
    ("12-34", "##-##"),
    ("AB07", "ab##"),
    ("x٣", "x#"),  # (a Unicode digit is a digit: Python's \d, as in Flair's re.sub)
    ("Y5", "y#"),  # ...before '0'
    ("W7", "w0"),  # 4. lower-cased with every digit -> '0'
    ("w0", "w0"),
    ("W", None),  # 5. none of them: the zero row
    ("nowhere", None),
    ("V5", None),
])
def test_lookup_fallbacks_in_order(words: WordEmbeddings, word: str, entry: str | None) -> None:
    assert looked_up(words, word) == entry


def test_vectors_and_the_zero_row(words: WordEmbeddings) -> None:
    for word in ("Paris", "LYON", "AB07", "W7"):
        np.testing.assert_array_equal(words.vector(word), words.vectors[WORDS.index(looked_up(words, word))])
    unknown = words.vector("nowhere")
    assert unknown.shape == (4,) and unknown.dtype == np.float32 and not unknown.any()
    assert words.dim == 4 and words.vectors.shape == (len(WORDS), 4)


SENTENCES = [["Paris", "LYON", "nowhere"], ["12-34"], ["Y5", "X1", "z9", "W7", "Z5"]]


def expected_rows(words: WordEmbeddings) -> np.ndarray:
    return np.stack([words.vector(w) for sentence in SENTENCES for w in sentence])  # (N, Dw)


@pytest.mark.parametrize("cache_size", [0, 2, 100])
def test_batched_path_gives_each_token_its_vector(words: WordEmbeddings, cache_size: int) -> None:
    sentences = [Sentence(s) for s in SENTENCES]
    switches = Switches.preset("fastest").replace(word_vec_cache_size=cache_size)
    for _ in range(2):  # the second time through the cache
        out = words.embed_batch(sentences, CPU, switches)  # (N, Dw)
        assert out.shape == (sum(len(s) for s in sentences), 4) and out.dtype == torch.float32
        np.testing.assert_array_equal(out.numpy(), expected_rows(words))


@pytest.mark.parametrize("cache_size", [0, 2, 100])
@pytest.mark.parametrize("set_embedding_to", ["always", "if_needed"])
def test_per_token_path_attaches_each_token_its_vector(words: WordEmbeddings, cache_size: int,
                                                       set_embedding_to: str) -> None:
    switches = Switches(word_vec_cache_size=cache_size, set_embedding_to=set_embedding_to)
    for _ in range(2):
        sentences = [Sentence(s) for s in SENTENCES]
        words.embed_tokens(sentences, CPU, switches)
        got = np.stack([token._embeddings["w"].numpy() for sentence in sentences for token in sentence])
        np.testing.assert_array_equal(got, expected_rows(words))


def test_caches_belong_to_the_embedding_and_are_bounded(words: WordEmbeddings) -> None:
    fresh = WordEmbeddings(WORDS, words.vectors.copy(), name="w")
    rows = fresh.cached("row", 2)
    assert fresh.cached("row", 2) is rows and fresh.cached("row", 3) is not rows
    assert fresh.cached("vector", 2) is not rows
    assert words.cached("row", 2) is not rows  # one model's cache never serves another's
    for word in ("Paris", "LYON", "LYON", "AB07", "Paris"):  # "Paris" was evicted by "AB07"
        assert rows(word) == words.row(word)
    info = rows.cache_info()
    assert (info.maxsize, info.currsize, info.hits, info.misses) == (2, 2, 1, 4)


def test_moving_the_embedding_drops_its_cached_device_vectors() -> None:
    words = WordEmbeddings(["a"], np.ones((1, 2), dtype=np.float32))
    vectors = words.cached("vector", 4)
    vectors("a", "cpu")
    words.to("cpu")
    assert words.cached("vector", 4) is not vectors


def test_vocabulary_and_matrix_must_agree() -> None:
    with pytest.raises(ValueError, match="do not match a vocabulary of 2 words"):
        WordEmbeddings(["a", "b"], np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="do not match"):
        WordEmbeddings(["a"], np.zeros(4, dtype=np.float32))
