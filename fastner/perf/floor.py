"""The compute floor: the LSTM and linear work the model cannot avoid, on the workload's real shapes.

Everything the model needs as input (character-index grids, the concatenated embedding matrix, the packing
of each batch) is built before timing; the timed call runs only: per batch, each character LM's embedding
and LSTM (and its decoder, for a configuration that still computes it), the reprojection, the BiLSTM and the
output layer. No Python bookkeeping, no decoding, no autograd records (inference mode).

A `FloorSpec` says which arithmetic: how sentences are ordered into batches, how each character LM pads its
strings, whether the LM decoder runs, whether the reprojection and output layer see the padded (B, T) grid
or the N real tokens, and whether the reprojection is folded into the BiLSTM. `FloorSpec.of(switches)` is the floor of
one configuration's own arithmetic. Three named variants (`VARIANTS`):
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

from fastner.embeddings.charlm import CharLMEmbeddings, char_grid, lm_string, shrunk_steps
from fastner.embeddings.stack import Packing
from fastner.switches import Switches
from fastner.text import Sentence


@dataclass(frozen=True)
class FloorSpec:
    """The compute of one way of running the model (see the module docstring)."""

    sort_by: str  # tokens | chars: the order sentences are batched in
    lm: str  # padded (each batch's strings padded to its longest) | shrunk (SHRINK_STEP steps, running strings)
    decoder: bool  # the LM decoder (a Linear to every character) runs on every LM output
    grid: str  # padded: reprojection and output layer over the (B, T) grid | real: over the N tokens only
    fold: bool  # the reprojection folded into the BiLSTM's input weights

    @classmethod
    def of(cls, switches: Switches) -> FloorSpec:
        """The arithmetic a configuration does; switches that change no LSTM or linear work are ignored."""
        return cls(switches.sort_by, "shrunk" if switches.lm_shrink else "padded", not switches.lm_skip_decoder,
                   "real" if switches.batch_build == "gather" else "padded", switches.fold_reprojection)

    @property
    def name(self) -> str:
        """`chars-shrunk-real`, with `-decoder` when the decoder runs and `-folded` when the reprojection is."""
        return (f"{self.sort_by}-{self.lm}-{self.grid}" + ("-decoder" if self.decoder else "")
                + ("-folded" if self.fold else ""))


VARIANTS = {
    "unpadded": FloorSpec("chars", "shrunk", False, "real", False),
    "folded": FloorSpec("chars", "shrunk", False, "real", True),
    "padded": FloorSpec("tokens", "padded", False, "padded", False),
}


@dataclass
class _Batch:
    grids: list[tuple[CharLMEmbeddings, torch.Tensor, np.ndarray]]  # (LM, (C, B) chars by rank, sorted lengths)
    x: torch.Tensor  # (N, D) stand-in for the concatenated embeddings
    lengths: list[int]
    packing: Packing


def _lm_grid(emb: CharLMEmbeddings, sentences: list[Sentence], device) -> tuple[torch.Tensor, np.ndarray]:
    """(C, B) character indices of the batch's LM strings, longest first (as `lm_shrink` orders them), and
    their sorted lengths."""
    lm = emb.lm
    strings = [lm_string(sentence.to_tokenized_string(), lm.is_forward) for sentence in sentences]
    lengths = np.array([len(x) for x in strings])
    order = np.argsort(-lengths, kind="stable")
    return torch.from_numpy(char_grid(lm, strings, order)).to(device), lengths[order]


def prepare_floor(tagger, sentences: list[Sentence], batch_size: int, variant: str | FloorSpec) -> Callable[[], int]:
    """Build every input; return the timed function, which returns the character positions its LSTMs ran.
    `variant` is a name of VARIANTS or a FloorSpec."""
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(f"floor variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
        variant = VARIANTS[variant]
    spec = variant
    device = tagger.device
    todo = [s for s in sentences if len(s)]
    key = len if spec.sort_by == "tokens" else (lambda s: len(s.to_tokenized_string()))  # Flair's or fastest's
    todo.sort(key=key, reverse=True)
    lms = [e for e in tagger.embeddings if isinstance(e, CharLMEmbeddings)]
    generator = torch.Generator().manual_seed(0)
    batches = []
    for begin in range(0, len(todo), batch_size):
        batch = todo[begin: begin + batch_size]
        lengths = [len(s) for s in batch]
        x = torch.randn(sum(lengths), tagger.embedding_dim, generator=generator).to(device)
        batches.append(_Batch([(e, *_lm_grid(e, batch, device)) for e in lms], x, lengths, Packing(lengths)))
    run_lm = _lm_padded if spec.lm == "padded" else _lm_unpadded
    run_tagger = _tagger_padded if spec.grid == "padded" else _tagger_real

    def run() -> int:
        positions = 0
        with torch.inference_mode():  # compute only: no autograd records
            for b in batches:
                for emb, grid, lengths in b.grids:
                    positions += run_lm(emb, grid, lengths, spec.decoder)
                run_tagger(tagger, b, spec.fold)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return positions

    return run


def _lm_outputs(emb: CharLMEmbeddings, out: torch.Tensor, decoder: bool) -> None:
    """What the LM computes on its LSTM outputs: the projection, and the decoder if it runs."""
    lm = emb.lm
    if lm.proj is not None:
        out = lm.proj(out)
    if decoder:
        lm.decoder(out)


def _lm_unpadded(emb: CharLMEmbeddings, grid: torch.Tensor, lengths: np.ndarray, decoder: bool) -> int:
    """`lm_shrink`'s own loop (`shrunk_steps`), nothing picked."""
    positions = 0
    for _, out in shrunk_steps(emb.lm, grid, lengths, decoder):
        positions += out.shape[0] * out.shape[1]
    return positions


def _lm_padded(emb: CharLMEmbeddings, grid: torch.Tensor, lengths: np.ndarray, decoder: bool) -> int:
    lm = emb.lm
    hidden = lm.init_hidden(grid.shape[1], grid.device)
    for begin in range(0, grid.shape[0], emb.chars_per_chunk):
        out, hidden = lm.rnn(lm.encoder(grid[begin:begin + emb.chars_per_chunk]), hidden)
        _lm_outputs(emb, out, decoder)
    return grid.numel()


def _tagger_real(tagger, b: _Batch, fold: bool) -> None:
    x, rnn = tagger.bilstm_input(b.x, fold)  # (N, D)
    out, _ = rnn(b.packing.pack(x))
    tagger.linear(out.data)  # (N, K)


def _tagger_padded(tagger, b: _Batch, fold: bool) -> None:
    x = b.packing.pad(b.x[b.packing.packed_to_token.to(b.x.device)])  # (B, T, D), zeros in the padding
    x, rnn = tagger.bilstm_input(x, fold)
    packed = pack_padded_sequence(x, b.lengths, batch_first=True, enforce_sorted=False)
    out, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True)
    tagger.linear(out)  # (B, T, K)
