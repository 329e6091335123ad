"""The CRF's negative log-likelihood (training only), batched, with Flair's conventions.

`transitions[to, from]`; START and STOP are ordinary tag indices that no real position takes: a path
y_1..y_L scores  transitions[y_1, START] + sum_t emissions[t, y_t] + sum_t transitions[y_{t+1}, y_t]
+ transitions[STOP, y_L]. The log-partition runs the forward algorithm (log-sum-exp over the previous
tag) over the whole batch at once; sentences shorter than the batch's longest keep their forward vector
unchanged past their end (a mask), so padding never changes a sentence's loss.
"""

from __future__ import annotations

import torch

NEG = -10000.0


def gold_score(emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor, transitions: torch.Tensor,
               start: int, stop: int) -> torch.Tensor:
    """Score of the gold paths: emissions (B, T, K), tags (B, T) int64 (any value past a length), lengths (B,)."""
    t_max = emissions.shape[1]
    mask = torch.arange(t_max, device=emissions.device).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
    tags = tags.masked_fill(~mask, 0)
    emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
    score = (emit * mask).sum(1)
    score = score + transitions[tags[:, 0], start]
    if t_max > 1:
        between = transitions[tags[:, 1:], tags[:, :-1]]  # (B, T-1): [to, from]
        score = score + (between * mask[:, 1:]).sum(1)
    last = tags.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)  # (B,)
    return score + transitions[stop, last]


def log_partition(emissions: torch.Tensor, lengths: torch.Tensor, transitions: torch.Tensor,
                  start: int, stop: int) -> torch.Tensor:
    """log of the sum over every path of exp(score), per sentence: (B,). The forward algorithm."""
    b, _, k = emissions.shape
    alpha = emissions.new_full((b, k), NEG)
    alpha[:, start] = 0.0
    trans = transitions.unsqueeze(0)  # (1, K to, K from)
    for t, emit in enumerate(emissions.unbind(1)):  # one unbind: its backward is one stack, not T scatters
        step = torch.logsumexp(alpha.unsqueeze(1) + trans, dim=2) + emit  # (B, K to)
        alpha = torch.where((t < lengths).unsqueeze(1), step, alpha)
    return torch.logsumexp(alpha + transitions[stop].unsqueeze(0), dim=1)


def crf_nll(emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor, transitions: torch.Tensor,
            start: int, stop: int) -> torch.Tensor:
    """Negative log-likelihood of the gold paths, per sentence: (B,)."""
    return (log_partition(emissions, lengths, transitions, start, stop)
            - gold_score(emissions, tags, lengths, transitions, start, stop))


def softmax_nll(emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Without a CRF: summed token cross-entropy, per sentence: (B,)."""
    b, t_max, k = emissions.shape
    mask = torch.arange(t_max, device=emissions.device).unsqueeze(0) < lengths.unsqueeze(1)
    loss = torch.nn.functional.cross_entropy(emissions.reshape(-1, k), tags.masked_fill(~mask, 0).reshape(-1),
                                             reduction="none").view(b, t_max)
    return (loss * mask).sum(1)
