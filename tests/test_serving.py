"""The serving measures observe what they claim: a known allocation shows in the peak memory, and latency
gives one figure per sentence with the batch's outputs."""

from __future__ import annotations

import sys

import pytest
import torch

from fastner import Sentence, Switches
from fastner.perf.serving import latencies, peak_memory_mb

from .conftest import SENTENCES, make_tagger


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU measure reads /proc/self/statm")
def test_peak_memory_sees_a_known_allocation():
    def allocate():
        x = torch.ones(200 * 2**20 // 4)  # 200 MiB, touched
        return float(x[-1])

    assert 180 < peak_memory_mb(allocate, torch.device("cpu")) < 400
    assert peak_memory_mb(lambda: None, torch.device("cpu")) < 20


def test_latencies_one_per_sentence_same_outputs():
    tagger = make_tagger(seed=2)
    batch = tagger.predict(SENTENCES, switches=Switches.preset("fastest"))
    alone = [Sentence([t.text for t in s]) for s in batch]
    times = latencies(tagger, alone, Switches.preset("fastest"))
    assert len(times) == len(alone) and min(times) > 0
    assert [[t.tag for t in s] for s in alone] == [[t.tag for t in s] for s in batch]
