"""Decoders from emission scores to tags and confidences, side by side, one function each.

Convention: `transitions[to, from]`; START and STOP are ordinary tag indices. Every decoder returns,
per sentence, the best tag path and Flair's confidence for each token: the maximum of the softmax of
the Viterbi forward score at that step (not a marginal), or of the emissions without a CRF.

Numerical stability, the same in every Viterbi: after each step the forward scores are shifted so that
their maximum is 0. Neither the best path (an argmax over `from` of score + constant) nor the softmax
changes mathematically, but float32 scores no longer grow with the sentence's length, so the decoders,
which add in different orders, agree within 1e-6 at any length instead of drifting apart (4e-5 at 800 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fastner.switches import Switches

Decoded = list[tuple[list[int], list[float]]]  # per sentence: (tag ids, confidences)

NEG = -10000.0  # Flair's "impossible" score


# --- Viterbi, one sentence at a time ------------------------------------------------------------------

def viterbi_torch_loop(feats: torch.Tensor, transitions: torch.Tensor, start: int, stop: int) -> tuple[list, list]:
    """Flair 0.4.3's `_viterbi_decode`, on the tensors' device. feats (L, K), transitions (K, K).

    Kept with its waste: a (K, K) expand per step, 0-dim tensors as back-pointers, and per token two
    blocking `.item()` reads; tag ids come back as 0-dim tensors (reading them is one more sync each).
    """
    k = feats.shape[1]
    init = torch.full((1, k), NEG)  # allocated on the host, then copied to the device
    init[0][start] = 0
    forward_var = init.to(feats.device)
    backpointers, backscores = [], []
    for feat in feats:
        next_var = forward_var.view(1, -1).expand(k, k) + transitions  # (K to, K from)
        _, best_from = torch.max(next_var, dim=1)  # (K,)
        forward_var = next_var[range(len(best_from)), best_from] + feat  # (K,)
        forward_var = forward_var - forward_var.max()  # stable: max 0
        backscores.append(forward_var)
        backpointers.append(best_from)
    terminal = forward_var + transitions[stop]
    terminal[stop] = NEG
    terminal[start] = NEG
    best = torch.max(terminal.unsqueeze(0), 1)[1].view(-1).tolist()[0]  # sync
    path = [best]
    for best_from in reversed(backpointers):
        best = best_from[best]  # a 0-dim device tensor
        path.append(best)
    confidences = []
    for score in backscores:
        probs = F.softmax(score, dim=0)
        _, idx = torch.max(score, 0)
        confidences.append(probs[idx.item()].item())  # 2 syncs per token
    first = path.pop()
    assert first == start  # sync
    path.reverse()
    return path, confidences


def viterbi_numpy_tile(feats: np.ndarray, transitions: np.ndarray, start: int, stop: int) -> tuple[list, list]:
    """NumPy loop, first step of #1053: the forward vector is tiled into a (K, K) copy at every step and
    the confidence is a softmax per step. feats (L, K), transitions (K, K)."""
    k = feats.shape[1]
    forward_var = np.full(k, NEG, dtype=np.float32)
    forward_var[start] = 0
    backpointers, confidences = [], []
    rows = np.arange(k)
    for feat in feats:
        next_var = np.tile(forward_var, (k, 1)) + transitions  # (K to, K from), a real copy
        best_from = next_var.argmax(axis=1)  # (K,)
        forward_var = next_var[rows, best_from] + feat  # (K,)
        forward_var -= forward_var.max()  # stable: max 0
        backpointers.append(best_from)
        exp = np.exp(forward_var)
        confidences.append(float((exp / exp.sum()).max()))
    return _backtrack(forward_var, backpointers, transitions, start, stop), confidences


def viterbi_numpy_broadcast(feats: np.ndarray, transitions: np.ndarray, start: int, stop: int) -> tuple[list, list]:
    """#1053 as merged: broadcasting into preallocated arrays, one vectorized softmax. feats (L, K)."""
    length, k = feats.shape
    backpointers = np.empty((length, k), dtype=np.int64)
    backscores = np.empty((length, k), dtype=np.float32)
    forward_var = np.full((1, k), NEG, dtype=np.float32)
    forward_var[0, start] = 0
    rows = np.arange(k)
    for t, feat in enumerate(feats):
        next_var = forward_var + transitions  # (1, K from) + (K to, K from): broadcast, no copy of fv
        best_from = next_var.argmax(axis=1)  # (K,)
        backscores[t] = next_var[rows, best_from] + feat
        backscores[t] -= backscores[t].max()  # stable: max 0
        backpointers[t] = best_from
        forward_var = backscores[t][np.newaxis, :]
    exp = np.exp(backscores - backscores.max(axis=1, keepdims=True))  # (L, K)
    confidences = (exp / exp.sum(axis=1, keepdims=True)).max(axis=1)
    return _backtrack(forward_var[0], backpointers, transitions, start, stop), confidences.tolist()


def _backtrack(last: np.ndarray, backpointers, transitions: np.ndarray, start: int, stop: int) -> list[int]:
    terminal = last + transitions[stop]
    terminal[stop] = NEG
    terminal[start] = NEG
    best = int(terminal.argmax())
    path = [best]
    for best_from in reversed(backpointers):
        best = int(best_from[best])
        path.append(best)
    assert path.pop() == start
    path.reverse()
    return path


# --- Viterbi, all sentences of a batch at once (fastner) ----------------------------------------------

def viterbi_batched(feats: torch.Tensor, lengths: torch.Tensor, transitions: torch.Tensor,
                    start: int, stop: int) -> Decoded:
    """One loop over time steps for the whole batch, on the features' device; one host read at the end.

    feats (B, T, K), lengths (B,) int64 on the same device, transitions (K, K). Scores are added in Flair
    0.15's order, (emission[to] + transitions[to, from]) + score[from], so near-ties resolve as in Flair 0.15
    (the per-sentence decoders keep 0.4.x's order); the first step starts from START's column, as 0.15 does.
    """
    b, t_max, k = feats.shape
    backpointers = torch.empty((t_max, b, k), dtype=torch.long, device=feats.device)
    backscores = torch.empty((b, t_max, k), dtype=feats.dtype, device=feats.device)
    backscores[:, 0] = feats[:, 0] + transitions[:, start]  # (B, K)
    backscores[:, 0] -= backscores[:, 0].max(dim=1, keepdim=True).values  # stable: max 0
    backpointers[0] = start
    forward_var = backscores[:, 0]
    trans = transitions.unsqueeze(0)  # (1, K to, K from)
    for t in range(1, t_max):
        scores = (feats[:, t].unsqueeze(2) + trans) + forward_var.unsqueeze(1)  # (B, K to, K from)
        best, backpointers[t] = scores.max(dim=2)  # (B, K)
        backscores[:, t] = best - best.max(dim=1, keepdim=True).values  # stable: max 0
        forward_var = torch.where((t < lengths).unsqueeze(1), backscores[:, t], forward_var)
    terminal = forward_var + transitions[stop]  # (B, K)
    terminal[:, stop] = NEG
    terminal[:, start] = NEG
    current = terminal.argmax(dim=1)  # (B,)
    path = torch.empty((b, t_max), dtype=torch.long, device=feats.device)
    for t in range(t_max - 1, -1, -1):
        active = t < lengths  # (B,)
        path[:, t] = current
        previous = backpointers[t].gather(1, current.unsqueeze(1)).squeeze(1)
        current = torch.where(active, previous, current)
    confidences = F.softmax(backscores, dim=2).max(dim=2).values  # (B, T)
    paths, confs = path.tolist(), confidences.tolist()
    return [(p[:n], c[:n]) for p, c, n in zip(paths, confs, lengths.tolist())]


# --- Without CRF ----------------------------------------------------------------------------------------

def argmax_per_token(feats: torch.Tensor, lengths: list[int]) -> Decoded:
    """Flair 0.4.3 without CRF: per token a softmax, a max and three host reads (the full distribution
    is read too, as 0.4.3 always did). feats (B, T, K)."""
    out = []
    for sentence_feats, length in zip(feats, lengths):
        tags, confs = [], []
        for score in sentence_feats[:length]:
            probs = F.softmax(score, dim=0)
            _, idx = torch.max(score, 0)
            tag = idx.item()
            tags.append(tag)
            confs.append(probs[tag].item())
            probs.tolist()  # 0.4.3 built the distribution for every token, asked for or not
        out.append((tags, confs))
    return out


def argmax_vectorized(feats: torch.Tensor, lengths: list[int]) -> Decoded:
    """#1068: one softmax and max over the whole batch on the host, then per-sentence list reads."""
    probs = F.softmax(feats.cpu(), dim=2)  # (B, T, K)
    confs, tags = probs.max(dim=2)  # (B, T)
    out = []
    for i, length in enumerate(lengths):
        probs[i, :length].tolist()  # #1068 still built the full distribution
        out.append((tags[i, :length].tolist(), confs[i, :length].tolist()))
    return out


# --- One object per predict() call ----------------------------------------------------------------------

@dataclass
class Decoder:
    """Prepared once per `predict()` call: the transitions where the chosen decoder wants them."""

    switches: Switches
    transitions: torch.Tensor | np.ndarray | None  # (K, K), None without CRF
    start: int
    stop: int

    @classmethod
    def prepare(cls, transitions: torch.Tensor | None, start: int, stop: int, switches: Switches) -> Decoder:
        if transitions is not None and switches.viterbi_device == "cpu":
            transitions = transitions.detach().cpu()  # one copy per predict() call (#1038)
            if switches.viterbi_impl.startswith("numpy"):
                transitions = transitions.numpy()
        return cls(switches, transitions, start, stop)

    def __call__(self, feats: torch.Tensor, lengths: list[int]) -> Decoded:
        """feats (B, T, K) on the model's device -> per sentence (tag ids, confidences)."""
        switches = self.switches
        if self.transitions is None:
            return argmax_vectorized(feats, lengths) if switches.nocrf_vectorized else argmax_per_token(feats, lengths)
        if switches.viterbi_device == "cpu":
            feats = feats.detach().cpu()  # one device-to-host copy per batch (#1038)
        if switches.viterbi_impl == "batched":
            lengths_t = torch.tensor(lengths, device=feats.device)
            return viterbi_batched(feats, lengths_t, self.transitions, self.start, self.stop)
        if switches.viterbi_impl == "torch_loop":
            out = []
            for sentence_feats, length in zip(feats, lengths):
                path, confs = viterbi_torch_loop(sentence_feats[:length], self.transitions, self.start, self.stop)
                out.append((path, confs))
            return out
        numpy_feats = feats.numpy()
        decode_one = viterbi_numpy_tile if switches.viterbi_impl == "numpy_tile" else viterbi_numpy_broadcast
        return [decode_one(numpy_feats[i, :length], self.transitions, self.start, self.stop)
                for i, length in enumerate(lengths)]
