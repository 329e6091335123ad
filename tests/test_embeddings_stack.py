"""Stacked embeddings: concatenation in sorted-name order, every way of building the (B, T, D) batch
tensor from vectors on tokens, and the packing of (N, D) token rows (fastner's gather)."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_sequence, pad_sequence

from fastner.embeddings.stack import BUILDERS, Packing, concat_order
from fastner.text import Sentence

CPU = torch.device("cpu")


def test_concatenation_follows_sorted_names_not_stack_order():
    assert concat_order(["0-words", "1-fwd", "2-bwd"]) == [0, 1, 2]
    assert concat_order(["b-words", "a-fwd", "c-bwd"]) == [1, 0, 2]
    names = [f"{i}-x" for i in range(11)]
    assert [names[i] for i in concat_order(names)] == sorted(names)
    assert names[concat_order(names)[2]] == "10-x"  # "10-" sorts before "2-", as in Flair
    with pytest.raises(ValueError, match="unique"):
        concat_order(["a", "b", "a"])


WORDS = [["Jean", "Dupont", "demeure", "à", "Lyon"], ["Bonjour"], ["M.", "Martin", "."]]
DIMS = {"b-fwd": 3, "a-words": 2, "c-bwd": 4}  # attached in this order; concatenated as a, b, c


def attached() -> list[Sentence]:
    """Sentences whose tokens hold one vector per embedding name, attached out of name order."""
    generator = torch.Generator().manual_seed(0)
    sentences = [Sentence(words) for words in WORDS]
    for sentence in sentences:
        for token in sentence:
            for name, dim in DIMS.items():
                token.set_embedding(name, torch.randn(dim, generator=generator), CPU, only_if_needed=True)
    return sentences


def by_hand(sentences: list[Sentence]) -> torch.Tensor:
    """(B, T, D): each token's vectors concatenated in sorted-name order, zeros after a sentence's end."""
    out = torch.zeros(len(sentences), max(map(len, sentences)), sum(DIMS.values()))
    for i, sentence in enumerate(sentences):
        for j, token in enumerate(sentence):
            out[i, j] = torch.cat([token._embeddings[name] for name in sorted(DIMS)])
    return out


@pytest.mark.parametrize("build", list(BUILDERS))
def test_every_builder_gives_the_same_batch_tensor(build):
    sentences = attached()
    got = BUILDERS[build](sentences, sum(DIMS.values()), CPU)
    torch.testing.assert_close(got, by_hand(sentences), rtol=0, atol=0)


@pytest.mark.parametrize("lengths", [[5, 1, 3], [1], [2, 2, 7, 1, 4], [3, 3, 3]])
def test_packing_matches_torch_and_pads_back(lengths):
    rows = torch.arange(sum(lengths) * 2, dtype=torch.float32).view(-1, 2)  # (N, D) in token order
    per_sentence = list(rows.split(lengths))
    packing = Packing(lengths)
    packed = packing.pack(rows)
    want = pack_sequence(per_sentence, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == want.batch_sizes.tolist()
    assert sorted(map(tuple, packed.data.tolist())) == sorted(map(tuple, want.data.tolist()))
    for t, size in enumerate(packed.batch_sizes.tolist()):  # time-major, longest sentences first
        step = packed.data[int(packed.batch_sizes[:t].sum()):][:size]
        assert step.tolist() == [per_sentence[i][t].tolist() for i in packing_order(lengths)[:size]]
    torch.testing.assert_close(packing.pad(packed.data), pad_sequence(per_sentence, batch_first=True), rtol=0, atol=0)


def packing_order(lengths: list[int]) -> list[int]:
    """Sentences longest first, ties in input order."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])
