"""The patches/ ladder: files load, the ladder reaches the presets, one-on and leave-one-out are what
they say."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from fastner import Switches
from fastner.perf.ladder import configs, ladder, leave_one_out, load_patches, one_on


@pytest.fixture(scope="module")
def patches():
    return load_patches()


def test_every_patch_file_is_complete_and_changes_something(patches):
    assert len(patches) >= 15
    for p in patches:
        assert p.switches, p.id
        assert p.what and p.upstream and p.predicted_cpu and p.pr


def test_ladder_reaches_flair_044_then_fastest(patches):
    steps = ladder(patches)
    assert steps[0].switches == Switches.preset("baseline")
    milestones = {p.milestone: i + 1 for i, p in enumerate(patches) if p.milestone}
    assert steps[milestones["flair-0.4.4"]].switches == Switches.preset("flair-0.4.4")
    assert steps[-1].switches == Switches.preset("fastest")
    assert milestones["fastest"] == len(patches)
    for previous, step in itertools.pairwise(steps):
        assert previous.switches != step.switches, f"{step.name} changes nothing on the ladder"


def test_every_switch_is_set_by_some_patch(patches):
    set_by_patches = {name for p in patches for name in p.switches}
    assert set_by_patches == {f.name for f in dataclasses.fields(Switches)}


def test_one_on_adds_required_patches_only(patches):
    by_name = {c.name: c for c in one_on(patches)}
    assert by_name["02-viterbi-numpy-loop"].switches.diff() == {"viterbi_device": "cpu", "viterbi_impl": "numpy_tile"}
    assert by_name["05-storage-none"].switches.diff() == {"eval_storage": "none"}
    assert "with" in by_name["20-gather"].note


def test_leave_one_out_removes_dependents_and_flags_untimed(patches):
    by_name = {c.name: c for c in leave_one_out(patches, use_crf=True)}
    full = Switches.preset("fastest")
    assert by_name["05-storage-none"].switches.batch_build != "gather"  # 20-gather requires 05
    assert by_name["07-per-column-batch"].note.startswith("superseded")
    assert by_name["04-nocrf-vectorized"].note.startswith("inert")
    assert by_name["16-lm-skip-decoder"].switches == full.replace(lm_skip_decoder=False)


def test_modes(patches):
    assert next(c.name for c in configs("ladder", patches)) == "baseline"
    assert {c.mode for c in configs("all", patches)} == {"baseline", "ladder", "one-on", "leave-one-out"}
    with pytest.raises(ValueError, match="mode"):
        configs("sideways", patches)


def test_bad_patch_files(tmp_path):
    (tmp_path / "01-x.toml").write_text('id = "01-x"\ntitle = "t"\n')
    with pytest.raises(ValueError, match="missing"):
        load_patches(tmp_path)
    (tmp_path / "01-x.toml").write_text('id = "01-x"\ntitle="t"\npr="1"\nwhat="w"\nupstream="u"\npredicted_cpu="p"\n'
                                        '[switches]\nno_such_switch = 1\n')
    with pytest.raises(ValueError, match="no_such_switch"):
        load_patches(tmp_path)
    (tmp_path / "01-x.toml").write_text("not toml [")
    with pytest.raises(ValueError, match="TOML"):
        load_patches(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_patches(tmp_path / "empty")
