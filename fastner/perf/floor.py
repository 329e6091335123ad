"""The compute floor: the LSTM and linear work the model cannot avoid, on the workload's real shapes.

Everything the model needs as input (character-index grids, the concatenated embedding matrix, the packing
of each batch) is built before timing; the timed call runs only: per batch, each character LM's embedding
and LSTM, the reprojection, the BiLSTM and the output layer. No Python bookkeeping, no decoding.

Three variants:
- `unpadded`: batches as `fastest` forms them (sorted by characters), each char LM read in steps of
  SHRINK_STEP characters over the strings still running (< SHRINK_STEP padding per string);
  reprojection and BiLSTM on the real tokens only.
- `folded`: `unpadded` with the reprojection folded into the BiLSTM's input weights (`fold_reprojection`):
  the floor of fastner's own arithmetic, which no longer contains the reprojection's D x D product.
- `padded`: batches as Flair forms them (sorted by tokens), each char LM over the batch padded to its
  longest string in chunks of `chars_per_chunk`, reprojection and output layer over the padded (B, T) grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fastner.embeddings.charlm import END_MARKER, SHRINK_STEP, START_MARKER, CharLMEmbeddings
from fastner.embeddings.stack import Packing
from fastner.text import Sentence


@dataclass
class _Batch:
    grids: list[tuple[CharLMEmbeddings, torch.Tensor, np.ndarray]]  # (LM, (C, B) chars by rank, sorted lengths)
    x: torch.Tensor  # (N, D) stand-in for the concatenated embeddings
    lengths: list[int]
    packing: Packing


def _lm_grid(emb: CharLMEmbeddings, sentences: list[Sentence], device) -> tuple[torch.Tensor, np.ndarray]:
    lm = emb.lm
    strings = [s.to_tokenized_string() for s in sentences]
    strings = [START_MARKER + (x if lm.is_forward else x[::-1]) + END_MARKER for x in strings]
    strings.sort(key=len, reverse=True)
    lengths = np.array([len(x) for x in strings])
    grid = np.full((lengths[0], len(strings)), lm.index_of(END_MARKER), dtype=np.int64)
    for r, x in enumerate(strings):
        grid[: len(x), r] = lm.index_vectorized(x)
    return torch.from_numpy(grid).to(device), lengths


def prepare_floor(tagger, sentences: list[Sentence], batch_size: int, variant: str) -> Callable[[], int]:
    """Build every input; return the timed function, which returns the character positions its LSTMs ran."""
    if variant not in VARIANTS:
        raise ValueError(f"floor variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    device = tagger.device
    todo = [s for s in sentences if len(s)]
    key = len if variant == "padded" else (lambda s: len(s.to_tokenized_string()))  # Flair's order, or fastest's
    todo.sort(key=key, reverse=True)
    lms = [e for e in tagger.embeddings if isinstance(e, CharLMEmbeddings)]
    generator = torch.Generator().manual_seed(0)
    batches = []
    for begin in range(0, len(todo), batch_size):
        batch = todo[begin: begin + batch_size]
        lengths = [len(s) for s in batch]
        x = torch.randn(sum(lengths), tagger.embedding_dim, generator=generator).to(device)
        batches.append(_Batch([(e, *_lm_grid(e, batch, device)) for e in lms], x, lengths, Packing(lengths)))
    run_lm = _lm_padded if variant == "padded" else _lm_unpadded
    run_tagger = VARIANTS[variant]

    def run() -> int:
        positions = 0
        for b in batches:
            for emb, grid, lengths in b.grids:
                positions += run_lm(emb, grid, lengths)
            run_tagger(tagger, b)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return positions

    return run


def _lm_unpadded(emb: CharLMEmbeddings, grid: torch.Tensor, lengths: np.ndarray) -> int:
    lm = emb.lm
    h, c = lm.init_hidden(grid.shape[1], grid.device)
    positions = 0
    for begin in range(0, int(lengths[0]), SHRINK_STEP):
        running = int((lengths > begin).sum())
        chars = grid[begin:begin + SHRINK_STEP, :running]
        out, (h_run, c_run) = lm.rnn(lm.encoder(chars), (h[:, :running], c[:, :running]))
        h, c = torch.cat([h_run, h[:, running:]], 1), torch.cat([c_run, c[:, running:]], 1)
        if lm.proj is not None:
            lm.proj(out)
        positions += chars.numel()
    return positions


def _lm_padded(emb: CharLMEmbeddings, grid: torch.Tensor, lengths: np.ndarray) -> int:
    lm = emb.lm
    hidden = lm.init_hidden(grid.shape[1], grid.device)
    for begin in range(0, grid.shape[0], emb.chars_per_chunk):
        out, hidden = lm.rnn(lm.encoder(grid[begin:begin + emb.chars_per_chunk]), hidden)
        if lm.proj is not None:
            lm.proj(out)
    return grid.numel()


def _tagger_unpadded(tagger, b: _Batch) -> None:
    x = tagger.embedding2nn(b.x) if tagger.embedding2nn is not None else b.x
    out, _ = tagger.rnn(b.packing.pack(x))
    tagger.linear(out.data)


def _tagger_folded(tagger, b: _Batch) -> None:
    rnn = tagger._folded_rnn() if tagger.embedding2nn is not None else tagger.rnn  # built once, then cached
    out, _ = rnn(b.packing.pack(b.x))
    tagger.linear(out.data)


def _tagger_padded(tagger, b: _Batch) -> None:
    x = b.packing.pad(b.x[b.packing.packed_to_token.to(b.x.device)])  # (B, T, D), zeros in the padding
    if tagger.embedding2nn is not None:
        x = tagger.embedding2nn(x)
    packed = pack_padded_sequence(x, b.lengths, batch_first=True, enforce_sorted=False)
    out, _ = pad_packed_sequence(tagger.rnn(packed)[0], batch_first=True)
    tagger.linear(out)


VARIANTS = {"unpadded": _tagger_unpadded, "folded": _tagger_folded, "padded": _tagger_padded}
