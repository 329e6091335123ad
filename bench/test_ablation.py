"""The ablation bench: every configuration is checked against the baseline's outputs, then timed.

Run through `fastner bench` (which passes the options and saves the JSON under reports/data/).
"""

from __future__ import annotations

import time

import pytest
import torch

from fastner.embeddings.charlm import SHRINK_STEP
from fastner.perf.counters import count
from fastner.perf.floor import prepare_floor
from fastner.perf.setup import check_outputs, snapshot


def test_config(benchmark, setup, reference, config, options):
    if config.note.startswith(("superseded", "inert")):
        pytest.skip(config.note)
    # correctness first (this run is also the warm-up round)
    setup.predict(config.switches)
    worst_gap = check_outputs(snapshot(setup.sentences), reference)
    info = {
        "kind": "config", "mode": config.mode, "name": config.name, "patches": list(config.patches),
        "note": config.note, "switches": config.switches.to_dict(), "outputs_checked": True,
        "max_confidence_gap": worst_gap, "n_tokens": setup.n_tokens, "n_sentences": len(setup.sentences),
    }
    if config.mode in ("baseline", "ladder"):
        subset = setup.sentences[: options["counters_limit"]]
        t0 = time.perf_counter()
        _, counts = count(lambda: setup.predict(config.switches, subset), device=str(setup.device))
        info["counters"] = {**counts.to_dict(), "n_tokens": sum(len(s) for s in subset)}
        info["counters_seconds"] = time.perf_counter() - t0
    benchmark.extra_info.update(info)
    benchmark.pedantic(setup.predict, args=(config.switches,), rounds=options["rounds"], iterations=1)
    check_outputs(snapshot(setup.sentences), reference)  # the timed rounds produced the same outputs too


def test_floor(benchmark, setup, floor_variant, options):
    """The bare LSTM/linear compute on the workload's shapes; checked: it ran over every real character."""
    run = prepare_floor(setup.tagger, setup.sentences, setup.batch_size, floor_variant)
    strings = [s for s in setup.sentences if len(s)]
    real = 2 * sum(len(s.to_tokenized_string()) + 2 for s in strings)  # both LMs, with the two markers
    with torch.inference_mode():
        positions = run()  # also the warm-up
        assert positions >= real
        if floor_variant != "padded":
            assert positions < real + 2 * len(strings) * SHRINK_STEP
        benchmark.extra_info.update({"kind": "floor", "name": f"floor-{floor_variant}", "n_tokens": setup.n_tokens,
                                     "lm_positions": positions, "lm_real_chars": real})
        assert benchmark.pedantic(run, rounds=options["rounds"], iterations=1) == positions
