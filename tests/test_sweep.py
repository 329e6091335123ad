"""`fastner sweep` end to end on tiny models, its report re-rendered byte for byte from its JSON, its checks
(a configuration with other tags stops it), the per-configuration floors, and the GPU script's driver."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastner.cli import main
from fastner.perf import sweep
from fastner.perf.floor import VARIANTS, FloorSpec
from fastner.perf.ladder import configs
from fastner.perf.timing import interleaved_rounds
from fastner.switches import Switches
from fastner.tagger import SequenceTagger

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sweep")
    assert main(["sweep", "--sizes", "tiny,small", "--ladder-size", "tiny", "--limit", "5", "--rounds", "1",
                 "--counters-limit", "3", "--out", str(out)]) == 0
    path = out / "data" / "sweep-cpu-legal.json"
    return out, json.loads(path.read_text())


def test_sweep_json_records_every_configuration_checked(swept):
    _, data = swept
    assert data["kind"] == "sweep" and [r["size"] for r in data["runs"]] == ["tiny", "small"]
    assert len(data["load_average"]["before"]) == 3 and len(data["load_average"]["after"]) == 3
    assert {"cpu_flags", "torch", "torch_threads", "cpu_model", "git_commit"} <= set(data["environment"])
    tiny, small = data["runs"]
    assert [s["name"] for s in tiny["steps"]] == [c.name for c in configs("ladder")]  # the ladder at tiny
    assert [s["milestone"] for s in small["steps"]] == list(sweep.MILESTONES)  # milestones elsewhere
    for run in data["runs"]:
        assert run["n_sentences"] == 5 and run["counted"]["n_sentences"] == 3
        for step in run["steps"]:
            assert len(step["times"]) == 1 and step["times"][0] > 0
            assert step["max_confidence_gap"] <= 1e-4
            assert step["counters"]["torch_ops"] > 0 and step["floor"] in run["floors"]
        assert VARIANTS["unpadded"].name in run["floors"]
        for floor in run["floors"].values():
            assert floor["lm_positions"] >= run["lm_real_chars"] and len(floor["times"]) == 1


def test_sweep_report_renders_byte_identical_from_its_json(swept, tmp_path):
    out, data = swept
    source = out / "data" / "sweep-cpu-legal.json"
    for folder in ("a", "b"):  # `fastner report` dispatches on the JSON's kind
        assert main(["report", str(source), "--out", str(tmp_path / folder)]) == 0
    first, second = ([tmp_path / f / name for name in ("sweep-cpu-legal.md", "sweep-cpu-legal.png")] for f in "ab")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
    text = first[0].read_text()
    assert text == (out / "sweep-cpu-legal.md").read_text()  # what the sweep wrote is what the JSON renders
    assert first[1].read_bytes() == (out / "sweep-cpu-legal.png").read_bytes()
    assert first[1].stat().st_size > 1000
    for heading in ("## Summary", "## Machine and settings", "## Every configuration", "## Cost model",
                    "### Each ladder step at `tiny`", "### The milestones of the other sizes", "## Reproduce"):
        assert heading in text
    base = next(s for s in data["runs"][1]["steps"] if s["name"] == "baseline")
    row = next(line for line in text.splitlines() if line.startswith("| `small` | 128 |"))
    assert f"{base['times'][0]:.3f}" in row  # the summary's figure comes from the JSON
    assert "AVX512-BF16" in text and "load average before" in text


def test_a_configuration_with_other_tags_stops_the_sweep(monkeypatch):
    original = SequenceTagger.predict

    def wrong_when_fastest(self, inputs, mini_batch_size=32, switches=None):
        out = original(self, inputs, mini_batch_size, switches)
        if switches is not None and switches.lm_shrink:
            token = next(t for s in out for t in s)
            token.tag = "S-PERS" if token.tag != "S-PERS" else "O"
        return out

    monkeypatch.setattr(SequenceTagger, "predict", wrong_when_fastest)
    with pytest.raises(AssertionError, match="tags differ"):
        sweep.run(sweep.SweepOptions(sizes=("tiny",), limit=3, rounds=1, ladder_size="none", counters_limit=2))


def test_bad_options_are_refused_clearly(tmp_path):
    for argv, message in ((["--sizes", "tiny,huge"], "sizes must be among"),
                          (["--sizes", "tiny", "--ladder-size", "paper"], "not one of the sizes"),
                          (["--sizes", "tiny", "--rounds", "0"], "rounds must be >= 1"),
                          (["--sizes", "tiny,tiny"], "listed twice")):
        with pytest.raises(SystemExit, match=message):
            main(["sweep", *argv, "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="not a sweep JSON"):
        bad = tmp_path / "x.json"
        bad.write_text(json.dumps({"kind": "head-to-head"}))
        sweep.load(bad)


def test_floor_spec_follows_the_switches_that_change_the_arithmetic():
    assert FloorSpec.of(Switches.preset("baseline")).name == "tokens-padded-padded-decoder"
    assert FloorSpec.of(Switches.preset("flair-0.4.4")) == FloorSpec.of(Switches.preset("baseline"))
    assert FloorSpec.of(Switches.preset("fastest")) == VARIANTS["folded"]
    assert FloorSpec.of(Switches.preset("fastest").replace(fold_reprojection=False)) == VARIANTS["unpadded"]
    assert FloorSpec.of(Switches.preset("baseline").replace(lm_skip_decoder=True)) == VARIANTS["padded"]
    names = {FloorSpec.of(c.switches).name for c in configs("ladder")}
    assert len(names) == 6  # the decoder, the batch order, gather, shrink and fold each change the floor


def test_interleaved_rounds_rotate_and_check_after_each_call():
    order, checked = [], []
    calls = {name: (lambda n=name: order.append(n) or n) for name in ("a", "b", "c")}
    times = interleaved_rounds(calls, 3, after=lambda name, result: checked.append((name, result)))
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert checked == [(n, n) for n in order]
    assert all(len(v) == 3 and min(v) >= 0 for v in times.values())
    with pytest.raises(ValueError, match="rounds"):
        interleaved_rounds(calls, 0)


# --- the GPU script's driver (bench/gpu/driver.py) -------------------------------------------------------


@pytest.fixture(scope="module")
def driver():
    spec = importlib.util.spec_from_file_location("gpu_driver", REPO / "bench" / "gpu" / "driver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_driver_sizes_each_stage_to_its_budget(driver):
    cal = driver.Calibration(tokens=300, startup_s=5.0, baseline_s=1.0, flair_044_s=0.2, fastest_s=0.1,
                             counted_baseline_s=4.0, floor_s=0.05)
    tokens = [50 * (i + 1) for i in range(400)]  # 50 tokens a sentence
    previous = 0
    for budget in (60.0, 120.0, 240.0):
        n, seconds = driver.size_stage("legal", budget, tokens, cal, 6, 23, 1.0)
        assert driver.SAFETY * seconds <= budget or n == driver.MIN_SENTENCES
        assert n >= previous
        if n < len(tokens):  # one sentence more would not fit
            counted = tokens[min(n + 1, driver.COUNTED_SENTENCES) - 1]
            more = driver.estimate("legal", cal, tokens[n], counted, 6, 23, 1.0)
            assert driver.SAFETY * more > budget
        previous = n
    slower, _ = driver.size_stage("sweep", 2400.0, tokens, cal, 6, 23, 2.0)  # a stage twice as slow as estimated
    faster, _ = driver.size_stage("sweep", 2400.0, tokens, cal, 6, 23, 1.0)
    assert slower < faster
    assert driver.default_sweep_sizes("paper", ["tiny", "small", "cpu", "paper"]) == ["tiny", "small", "cpu", "paper"]
    assert driver.default_sweep_sizes("tiny", ["tiny", "small", "cpu"]) == ["tiny", "small"]


def test_driver_kills_a_stage_and_its_children_at_the_timeout(driver, tmp_path):
    marker = tmp_path / "child-still-alive"
    t0 = time.perf_counter()
    code = driver.run_stage(["bash", "-c", f"(sleep 3; touch {marker}) & sleep 30"], 1.0)
    assert code is None and time.perf_counter() - t0 < 10
    time.sleep(3.5)
    assert not marker.exists()  # the grandchild went with the stage
    assert driver.run_stage([sys.executable, "-c", "raise SystemExit(3)"], 30.0) == 3


def test_driver_bundles_then_renders_what_came_back(driver, swept, tmp_path):
    out, data = swept
    work, back = tmp_path / "work", tmp_path / "back"
    (work / "data").mkdir(parents=True)
    back.mkdir()
    (work / "data" / "sweep-cpu-legal.json").write_text(json.dumps(data))
    driver.bundle(work, back, {"stages": []})
    assert sorted(p.name for p in back.iterdir()) == ["results.tar.gz", "summary.json", "sweep-cpu-legal.json"]
    assert driver.main(["render", str(back), "--reports", str(tmp_path / "reports")]) == 0
    rendered = (tmp_path / "reports" / "sweep-cpu-legal.md").read_text()
    assert rendered == (out / "sweep-cpu-legal.md").read_text()


@pytest.mark.slow
def test_gpu_script_dry_run_on_cpu(tmp_path):
    """The whole device script, on the CPU at the tiny size (several minutes): run with `-m slow`."""
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PYTHON": sys.executable}
    code = subprocess.call(["bash", str(REPO / "bench" / "gpu" / "run.sh"), "--device", "cpu", "--size", "tiny",
                            "--budget", "400"], env=env)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert code == 0, [(s["name"], s["status"]) for s in summary["stages"]]
    assert {"results.tar.gz", "log.txt", "cpu-tiny-legal-ladder.json", "cpu-tiny-conll-ladder.json",
            "sweep-cpu-legal.json"} <= {p.name for p in (tmp_path / "out").iterdir()}
