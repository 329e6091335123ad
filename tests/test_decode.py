"""Every decoder against brute-force enumeration of all tag paths, on random ragged problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from fastner.decode import (
    Decoder,
    argmax_per_token,
    argmax_vectorized,
    viterbi_batched,
    viterbi_numpy_broadcast,
    viterbi_numpy_tile,
    viterbi_torch_loop,
)
from fastner.switches import Switches

K, START, STOP = 5, 3, 4  # START and STOP are ordinary indices, not the last ones by convention only


def brute_force(feats: np.ndarray, trans: np.ndarray) -> tuple[list[int], list[float]]:
    """Best path by enumeration; confidences = max softmax of the best score of each prefix ending in each tag."""
    length = len(feats)
    best, best_path = -np.inf, None
    prefix_best = np.full((length, K), -np.inf)
    for path in itertools.product(range(K), repeat=length):
        score = trans[path[0], START] + feats[0, path[0]]
        prefix_best[0, path[0]] = max(prefix_best[0, path[0]], score)
        for t in range(1, length):
            score += trans[path[t], path[t - 1]] + feats[t, path[t]]
            prefix_best[t, path[t]] = max(prefix_best[t, path[t]], score)
        if path[-1] in (START, STOP):
            continue
        total = score + trans[STOP, path[-1]]
        if total > best:
            best, best_path = total, list(path)
    exp = np.exp(prefix_best - prefix_best.max(axis=1, keepdims=True))
    return best_path, (exp / exp.sum(axis=1, keepdims=True)).max(axis=1).tolist()


def problems(seed: int, n: int = 12):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        lengths = rng.integers(1, 6, size=rng.integers(1, 5)).tolist()
        feats = rng.normal(size=(len(lengths), max(lengths), K)).astype(np.float32) * 2
        trans = rng.normal(size=(K, K)).astype(np.float32)
        yield feats, lengths, trans


def _ids(path) -> list[int]:
    return [int(p) for p in path]


@pytest.mark.parametrize("seed", range(4))
def test_every_viterbi_finds_the_brute_force_best_path(seed):
    for feats, lengths, trans in problems(seed):
        expected = [brute_force(feats[i, :n].astype(np.float64), trans.astype(np.float64))
                    for i, n in enumerate(lengths)]
        batched = viterbi_batched(torch.from_numpy(feats), torch.tensor(lengths), torch.from_numpy(trans), START, STOP)
        for i, n in enumerate(lengths):
            want_path, want_conf = expected[i]
            results = {
                "torch_loop": viterbi_torch_loop(torch.from_numpy(feats[i, :n]), torch.from_numpy(trans), START, STOP),
                "numpy_tile": viterbi_numpy_tile(feats[i, :n], trans, START, STOP),
                "numpy_broadcast": viterbi_numpy_broadcast(feats[i, :n], trans, START, STOP),
                "batched": batched[i],
            }
            for name, (path, conf) in results.items():
                assert _ids(path) == want_path, name
                np.testing.assert_allclose(conf, want_conf, atol=1e-5, err_msg=name)


def test_batched_ignores_padding_garbage():
    rng = np.random.default_rng(7)
    feats = rng.normal(size=(3, 6, K)).astype(np.float32)
    trans = rng.normal(size=(K, K)).astype(np.float32)
    lengths = [6, 2, 4]
    noisy = feats.copy()
    for i, n in enumerate(lengths):
        noisy[i, n:] = 1e4 * rng.normal(size=(6 - n, K))
    a = viterbi_batched(torch.from_numpy(feats), torch.tensor(lengths), torch.from_numpy(trans), START, STOP)
    b = viterbi_batched(torch.from_numpy(noisy), torch.tensor(lengths), torch.from_numpy(trans), START, STOP)
    assert a == b


def test_argmax_decoders_agree_with_softmax():
    rng = np.random.default_rng(3)
    feats = torch.from_numpy(rng.normal(size=(3, 5, K)).astype(np.float32))
    lengths = [5, 1, 3]
    probs = torch.softmax(feats, dim=2)
    for out in (argmax_per_token(feats, lengths), argmax_vectorized(feats, lengths)):
        for i, n in enumerate(lengths):
            tags, confs = out[i]
            assert _ids(tags) == probs[i, :n].argmax(1).tolist()
            np.testing.assert_allclose(confs, probs[i, :n].max(1).values.numpy(), atol=1e-6)


@pytest.mark.parametrize("impl", ["torch_loop", "numpy_tile", "numpy_broadcast", "batched"])
@pytest.mark.parametrize("device", ["model", "cpu"])
def test_decoder_object_dispatches_every_valid_combination(impl, device):
    if impl.startswith("numpy") and device == "model":
        with pytest.raises(ValueError, match="viterbi_device"):
            Switches(viterbi_impl=impl, viterbi_device=device)
        return
    feats, lengths, trans = next(problems(11))
    decoder = Decoder.prepare(torch.from_numpy(trans), START, STOP, Switches(viterbi_impl=impl, viterbi_device=device))
    out = decoder(torch.from_numpy(feats), lengths)
    for i, n in enumerate(lengths):
        assert _ids(out[i][0]) == brute_force(feats[i, :n].astype(np.float64), trans.astype(np.float64))[0]


@pytest.mark.parametrize("length", [1200, 4000])
def test_every_viterbi_agrees_at_any_length(length):
    """Forward scores are shifted to a maximum of 0 at each step: float32 rounding no longer grows with the
    length, so the four decoders (which add in different orders) agree on long sentences too."""
    rng = np.random.default_rng(length)
    k, start, stop = 22, 20, 21
    feats = (rng.standard_normal((1, length, k)) * 6 + 3).astype(np.float32)  # trained-model-like emissions
    trans = rng.standard_normal((k, k)).astype(np.float32)
    trans[start, :] = -10000.0
    trans[:, stop] = -10000.0
    f, t = torch.from_numpy(feats), torch.from_numpy(trans)
    reference_path, reference = viterbi_torch_loop(f[0], t, start, stop)
    outputs = [viterbi_numpy_tile(feats[0], trans, start, stop), viterbi_numpy_broadcast(feats[0], trans, start, stop),
               viterbi_batched(f, torch.tensor([length]), t, start, stop)[0]]
    for path, confidences in outputs:
        assert [int(p) for p in path] == [int(p) for p in reference_path]
        np.testing.assert_allclose(confidences, reference, atol=1e-6)
