"""The Switches dataclass: metadata, presets, impossible combinations, and that every switch really changes
the computation it names (the sequence of Python and C calls made by predict differs from the baseline's)."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from fastner import Switches
from fastner.switches import PRESETS

from .conftest import SENTENCES, make_tagger
from .test_tagger import single_flips


def test_every_field_has_help_and_pr():
    fields = dataclasses.fields(Switches)
    assert len(fields) >= 15
    for f in fields:
        assert f.metadata["help"] and len(f.metadata["help"]) > 20, f.name
        assert f.metadata["pr"], f.name


def test_switches_are_frozen_and_defaults_are_the_baseline():
    s = Switches()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.viterbi_impl = "batched"
    assert Switches.preset("baseline") == s


def test_presets():
    assert {"baseline", "flair-0.4.4", "fastest"} <= set(PRESETS)
    flair = Switches.preset("flair-0.4.4")
    assert flair.viterbi_impl == "numpy_broadcast" and flair.word_vec_cache_size == 10000
    assert not flair.lm_skip_decoder  # Flair only skipped the decoder in v0.12
    fastest = Switches.preset("fastest")
    assert set(fastest.diff()) >= set(flair.diff())
    with pytest.raises(ValueError, match="unknown preset"):
        Switches.preset("turbo")


@pytest.mark.parametrize(("changes", "names"), [
    ({"viterbi_impl": "numpy_broadcast"}, ["viterbi_impl", "viterbi_device"]),
    ({"batch_build": "gather"}, ["batch_build", "clone_policy", "eval_storage"]),
    ({"batch_build": "gather", "clone_policy": "none"}, ["eval_storage"]),
    ({"lm_shrink": True}, ["lm_shrink", "batch_build"]),
    ({"viterbi_impl": "fast"}, ["viterbi_impl"]),
    ({"word_vec_cache_size": -1}, ["word_vec_cache_size"]),
])
def test_impossible_combinations_name_the_fields(changes, names):
    with pytest.raises(ValueError) as err:
        Switches(**changes)
    for name in names:
        assert name in str(err.value)


def call_sequence(tagger, switches) -> list[str]:
    """Names of every Python function and C function called by one predict(), in order."""
    tagger.predict(SENTENCES[:3], mini_batch_size=2, switches=switches)  # warm: lazy imports, caches
    calls: list[str] = []

    def profiler(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_qualname)
        elif event == "c_call":
            calls.append(getattr(arg, "__qualname__", repr(arg)))

    sys.setprofile(profiler)
    try:
        tagger.predict(SENTENCES[:3], mini_batch_size=2, switches=switches)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("use_crf", [True, False])
def test_every_switch_changes_the_computation(use_crf):
    tagger = make_tagger(use_crf=use_crf, chars_per_chunk=16)
    baseline = call_sequence(tagger, Switches())
    assert call_sequence(tagger, Switches()) == baseline  # the observation itself is deterministic
    crf_only = {"viterbi_device", "viterbi_impl"}
    nocrf_only = {"nocrf_vectorized"}
    for switches in single_flips():
        (name,) = switches.diff()
        if name in (nocrf_only if use_crf else crf_only):
            continue  # those decode one kind of model only
        assert call_sequence(tagger, switches) != baseline, f"{switches.diff()} changed nothing"


def test_switches_that_need_a_crf_change_nothing_without_one_and_say_so():
    """Documented: the CRF switches act on CRF models only, nocrf_vectorized on models without CRF."""
    helps = {f.name: f.metadata["help"] for f in dataclasses.fields(Switches)}
    for name in ("viterbi_device", "viterbi_impl", "nocrf_vectorized"):
        assert "CRF" in helps[name]
