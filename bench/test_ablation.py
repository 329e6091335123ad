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
from fastner.perf.serving import directory_mb, latencies, peak_memory_mb
from fastner.perf.setup import check_outputs, snapshot
from fastner.switches import Switches
from fastner.tagger import SequenceTagger
from fastner.text import Sentence


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


@pytest.mark.parametrize("preset", ["baseline", "flair-0.4.4", "fastest"])
def test_serving(benchmark, setup, reference, preset):
    """Each sentence alone (batch of one): the same outputs as in batches, then one latency per sentence;
    and the peak memory of one predict over the whole workload."""
    switches = Switches.preset(preset)
    singles = [s for s in setup.sentences if len(s)]
    latencies(setup.tagger, singles, switches)  # warm-up, and the check below
    check_outputs(snapshot(setup.sentences), reference)
    times = benchmark.pedantic(latencies, args=(setup.tagger, singles, switches), rounds=1, iterations=1)
    check_outputs(snapshot(setup.sentences), reference)
    with torch.inference_mode():
        peak = peak_memory_mb(lambda: setup.predict(switches), setup.device)
    check_outputs(snapshot(setup.sentences), reference)
    benchmark.extra_info.update({"kind": "serving", "name": preset, "latencies": times, "peak_memory_mb": peak,
                                 "n_sentences": len(singles), "n_tokens": setup.n_tokens})


def test_load(benchmark, setup, reference, tmp_path):
    """SequenceTagger.load of the bench's model saved in fastner's format; the loaded model tags like it."""
    setup.tagger.save(tmp_path / "model")
    loaded = benchmark.pedantic(SequenceTagger.load, args=(tmp_path / "model",), rounds=3, iterations=1)
    sample = [Sentence([t.text for t in s]) for s in setup.sentences[:8]]
    loaded.to(setup.device).predict(sample, switches=Switches.preset("fastest"))
    check_outputs(snapshot(sample), reference[:8])
    benchmark.extra_info.update({"kind": "load", "name": "load", "model_mb": directory_mb(tmp_path / "model")})
