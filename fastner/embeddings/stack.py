"""Concatenation order of the stacked embeddings, and the ways of building the batch tensor.

Flair concatenates a token's embeddings in *alphabetical order of the embedding names*, not in stack
order (§1.4 of the 2019 notes): `concat_order` reproduces that, and every builder below follows it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence


def concat_order(names: list[str]) -> list[int]:
    """Indices of the stacked embeddings in the order their vectors are concatenated (sorted names)."""
    if len(set(names)) != len(names):
        raise ValueError(f"embedding names must be unique, got {names}")
    return sorted(range(len(names)), key=names.__getitem__)


# --- From vectors attached to tokens (Flair) -----------------------------------------------------------

def per_token_cat(sentences, dim: int, device: torch.device) -> torch.Tensor:
    """0.4.3: a zero (B, T, D) tensor, then per sentence one cat per token (Token.get_embedding, names
    sorted per token) plus one cat and one slice assignment."""
    t_max = max(len(s) for s in sentences)
    batch = torch.zeros(len(sentences), t_max, dim, device=device)  # (B, T, D)
    for i, sentence in enumerate(sentences):
        rows = [_get_embedding(token).unsqueeze(0) for token in sentence]  # L x (1, D)
        batch[i, : len(sentence)] = torch.cat(rows, 0)
    return batch


def _get_embedding(token) -> torch.Tensor:
    vectors = [token._embeddings[name] for name in sorted(token._embeddings)]
    return torch.cat(vectors, dim=0)  # (D,)


def per_column(sentences, dim: int, device: torch.device) -> torch.Tensor:
    """#1093: per sentence, one stack per embedding column and one cat along D, written into the zero
    (B, T, D) tensor: about (#embeddings + 1) ops per sentence instead of one per token."""
    t_max = max(len(s) for s in sentences)
    batch = torch.zeros(len(sentences), t_max, dim, device=device)  # (B, T, D)
    for i, sentence in enumerate(sentences):
        names = sorted(sentence[0]._embeddings)
        columns = [torch.stack([token._embeddings[name] for token in sentence]) for name in names]  # (L, D_i)
        batch[i, : len(sentence)] = torch.cat(columns, dim=1)
    return batch


def single_cat(sentences, dim: int, device: torch.device) -> torch.Tensor:
    """#1130: every token vector and one slice of a preallocated zero vector per padded sentence, in one
    flat cat, viewed as (B, T, D). No zero (B, T, D) tensor, no slice assignment."""
    t_max = max(len(s) for s in sentences)
    zeros = torch.zeros(dim * t_max, device=device)
    parts = []
    for sentence in sentences:
        names = sorted(sentence[0]._embeddings)
        parts += [token._embeddings[name] for token in sentence for name in names]
        if len(sentence) < t_max:
            parts.append(zeros[: dim * (t_max - len(sentence))])
    return torch.cat(parts).view(len(sentences), t_max, dim)


BUILDERS = {"per_token_cat": per_token_cat, "per_column": per_column, "single_cat": single_cat}


# --- From (N, D) matrices (fastner's gather) ------------------------------------------------------------

class Packing:
    """Where each of the N tokens of a batch goes in a PackedSequence and in the padded (B, T) grid.

    Tokens are numbered in sentence order (sentence 0's tokens, then sentence 1's...). The packed order is
    time-major over sentences sorted longest first, which is what `nn.LSTM` expects.
    """

    def __init__(self, lengths: list[int]) -> None:
        lens = np.asarray(lengths, dtype=np.int64)
        order = np.argsort(-lens, kind="stable")  # rank -> sentence
        self.t_max = int(lens.max())
        grid = np.arange(self.t_max)[:, None] < lens[order][None, :]  # (T, B) by rank
        t, r = np.nonzero(grid)  # packed order: by time, then rank
        first_token = np.concatenate([[0], np.cumsum(lens)[:-1]])
        self.batch_sizes = torch.from_numpy(grid.sum(1))  # (T,)
        self.packed_to_token = torch.from_numpy(first_token[order[r]] + t)  # (N,)
        self.packed_to_padded = torch.from_numpy(order[r] * self.t_max + t)  # (N,) into a flat (B*T)
        self.batch = len(lengths)

    def pack(self, x: torch.Tensor) -> PackedSequence:
        """x (N, D) in token order -> PackedSequence with data (N, D)."""
        return PackedSequence(x[self.packed_to_token.to(x.device)], self.batch_sizes)

    def pad(self, packed_rows: torch.Tensor) -> torch.Tensor:
        """(N, K) rows in packed order -> (B, T, K), zeros where there is no token."""
        out = packed_rows.new_zeros(self.batch * self.t_max, packed_rows.shape[1])
        out[self.packed_to_padded.to(out.device)] = packed_rows
        return out.view(self.batch, self.t_max, -1)
