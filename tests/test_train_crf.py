"""The CRF loss against a brute-force enumeration of every tag path, with ragged lengths and START/STOP."""

from __future__ import annotations

import itertools

import pytest
import torch

from fastner.train.crf import NEG, crf_nll, gold_score, log_partition, softmax_nll


def _problem(seed: int, k_real: int = 3, b: int = 4, t: int = 4):
    g = torch.Generator().manual_seed(seed)
    k = k_real + 2
    start, stop = k_real, k_real + 1
    transitions = torch.randn(k, k, generator=g, dtype=torch.float64)
    transitions[start, :] = NEG
    transitions[:, stop] = NEG
    emissions = torch.randn(b, t, k, generator=g, dtype=torch.float64)
    lengths = torch.tensor([t, 2, 1, 3][:b])
    tags = torch.randint(0, k_real, (b, t), generator=g)
    return emissions, tags, lengths, transitions, start, stop


def _path_score(emissions, path, transitions, start, stop) -> torch.Tensor:
    score = transitions[path[0], start] + emissions[0, path[0]]
    for i in range(1, len(path)):
        score = score + transitions[path[i], path[i - 1]] + emissions[i, path[i]]
    return score + transitions[stop, path[-1]]


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force(seed: int) -> None:
    emissions, tags, lengths, transitions, start, stop = _problem(seed)
    k = transitions.shape[0]
    nll = crf_nll(emissions, tags, lengths, transitions, start, stop)
    for i, n in enumerate(lengths.tolist()):
        every = [_path_score(emissions[i], p, transitions, start, stop) for p in itertools.product(range(k), repeat=n)]
        log_z = torch.logsumexp(torch.stack(every), 0)
        gold = _path_score(emissions[i], tags[i, :n].tolist(), transitions, start, stop)
        assert torch.allclose(log_partition(emissions, lengths, transitions, start, stop)[i], log_z)
        assert torch.allclose(gold_score(emissions, tags, lengths, transitions, start, stop)[i], gold)
        assert torch.allclose(nll[i], log_z - gold)
        assert nll[i] > 0


def test_padding_and_batch_company_change_nothing() -> None:
    emissions, tags, lengths, transitions, start, stop = _problem(7)
    batched = crf_nll(emissions, tags, lengths, transitions, start, stop)
    for i, n in enumerate(lengths.tolist()):
        alone = crf_nll(emissions[i:i + 1, :n], tags[i:i + 1, :n], lengths[i:i + 1], transitions, start, stop)
        assert torch.allclose(alone[0], batched[i])
    noisy = emissions.clone()
    for i, n in enumerate(lengths.tolist()):
        noisy[i, n:] = 1e3  # garbage past each length
    assert torch.allclose(crf_nll(noisy, tags, lengths, transitions, start, stop), batched)


def test_gradients_are_finite_and_reach_emissions_and_transitions() -> None:
    emissions, tags, lengths, transitions, start, stop = _problem(3)
    emissions.requires_grad_(True)
    transitions.requires_grad_(True)
    crf_nll(emissions, tags, lengths, transitions, start, stop).sum().backward()
    assert torch.isfinite(emissions.grad).all() and torch.isfinite(transitions.grad).all()
    assert emissions.grad[1, 2:].abs().max() == 0  # positions past a length get no gradient
    assert transitions.grad[start].abs().max() < 1e-12  # nothing ever moves to START


def test_softmax_nll_masks_padding() -> None:
    emissions, tags, lengths, *_ = _problem(2)
    loss = softmax_nll(emissions, tags, lengths)
    expected = torch.nn.functional.cross_entropy(emissions[1, :2], tags[1, :2], reduction="sum")
    assert torch.allclose(loss[1], expected)
