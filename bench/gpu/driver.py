"""The GPU measurement in one device call: calibrate, size every stage to the time budget, run, bundle.

Stages, each a subprocess with its own timeout so that one overrun never costs the others' results:
  legal     `fastner bench --mode ladder` on the legal workload (counters, floors, latency, memory, load time)
  conll     the same on the conll workload
  profiles  cProfile + line_profiler of baseline and fastest on both workloads (as `fastner profile`)
  sweep     `fastner sweep` over the sizes up to --size, every ladder step at --size
Every configuration of every stage checks its tags against the baseline's before its time counts (the bench
and the sweep do it themselves). A calibration first times baseline, flair-0.4.4, fastest and a counted
baseline on a few legal sentences; each stage then takes as many sentences as its estimated time allows
within its share of the budget, and the estimates of later stages are corrected by how long earlier ones
really took. After each stage, what exists is bundled into $OUT (at most 6 files):
  results.tar.gz   data/*.json and data/profiles/<group>/* (render it here with `render`)
  summary.json     the plan, each stage's command, exit code, estimated and measured seconds, the GPU
  *.json           the bench and sweep JSONs alone, in case the archive does not come back

  python bench/gpu/driver.py run --out OUT [--device cuda] [--size paper] [--budget 420]
  python bench/gpu/driver.py render OUT_OR_ARCHIVE --reports reports/gpu-cuda
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGES = ("legal", "sweep", "conll", "profiles")  # by priority: the article's ladder first, profiles last
SHARES = {"legal": 0.32, "sweep": 0.34, "conll": 0.22, "profiles": 0.12}  # of the budget left after calibration
ROUNDS = 3
CALIBRATION_SENTENCES = 16
COUNTED_SENTENCES = 20  # what `fastner bench` and `fastner sweep` count by default
MIN_SENTENCES = 8
SAFETY = 1.4  # estimates are multiplied by this before they are compared with a stage's budget
RESERVE_S = 15.0  # kept for the last bundling
MIN_STAGE_S = 20.0  # what an earlier stage's timeout leaves to each later one


@dataclass
class Calibration:
    """Seconds measured on CALIBRATION_SENTENCES legal sentences at the run's size and device."""

    tokens: int
    startup_s: float  # a stage's fixed cost: import torch and fastner, build the model, first call
    baseline_s: float
    flair_044_s: float
    fastest_s: float
    counted_baseline_s: float  # the baseline under the op counters
    floor_s: float  # the unpadded compute floor

    @property
    def baseline_per_token(self) -> float:
        return self.baseline_s / self.tokens

    def ratio(self, seconds: float) -> float:
        return seconds / self.baseline_s


@dataclass
class Stage:
    name: str
    sentences: int = 0
    tokens: int = 0
    budget_s: float = 0.0
    estimate_s: float = 0.0
    timeout_s: float = 0.0
    command: list[str] = field(default_factory=list)
    returncode: int | None = None
    seconds: float | None = None
    status: str = "not run"


# --- sizing ------------------------------------------------------------------------------------------------


def stage_passes(stage: str, cal: Calibration, sweep_sizes: int, ladder_steps: int) -> tuple[float, float, int]:
    """(baseline passes over the stage's sentences, counted-baseline passes over the counted sentences, model
    builds) that a stage costs, from the calibration's speed ratios."""
    r44, rfast, rfloor = cal.ratio(cal.flair_044_s), cal.ratio(cal.fastest_s), cal.ratio(cal.floor_s)
    milestones = 1 + r44 + rfast
    between = ladder_steps - 3
    ladder = milestones + between * (1 + r44 + rfast) / 3  # the steps between the milestones: their mean
    count_factor = cal.counted_baseline_s / cal.baseline_s
    if stage in ("legal", "conll"):
        passes = 1 + (1 + ROUNDS) * ladder + 3 * (1 + ROUNDS) * rfloor + 3 * 2 * milestones  # serving: 1 alone x2
        return passes, ladder * count_factor, 2  # the model's build, and its save and loads (the load test)
    if stage == "profiles":
        return 2 * 5 * milestones / 3, 0.0, 2  # per workload: warm-up, cProfile, line_profiler of 2 presets
    if stage == "sweep":
        per_size = 1 + (1 + ROUNDS) * milestones + 3 * (1 + ROUNDS) * rfloor
        extra = (1 + ROUNDS) * (ladder - milestones) + 4 * (1 + ROUNDS) * rfloor
        counted = (sweep_sizes * milestones + ladder - milestones) * count_factor
        return sweep_sizes * per_size + extra, counted, sweep_sizes
    raise ValueError(f"unknown stage {stage!r}")


def estimate(stage: str, cal: Calibration, tokens: int, counted_tokens: int, sweep_sizes: int,
             ladder_steps: int, scale: float) -> float:
    """Seconds a stage should take on `tokens` tokens (its sentences) and `counted_tokens` (the counted ones)."""
    passes, counted, builds = stage_passes(stage, cal, sweep_sizes, ladder_steps)
    return scale * (cal.startup_s * builds + cal.baseline_per_token * (passes * tokens + counted * counted_tokens))


def size_stage(stage: str, budget_s: float, cumulative_tokens: list[int], cal: Calibration, sweep_sizes: int,
               ladder_steps: int, scale: float) -> tuple[int, float]:
    """The most sentences (at least MIN_SENTENCES) whose estimated time, times SAFETY, fits `budget_s`;
    returns (sentences, estimated seconds)."""
    best = min(MIN_SENTENCES, len(cumulative_tokens))
    for n in range(best, len(cumulative_tokens) + 1):
        counted = cumulative_tokens[min(n, COUNTED_SENTENCES) - 1]
        seconds = estimate(stage, cal, cumulative_tokens[n - 1], counted, sweep_sizes, ladder_steps, scale)
        if SAFETY * seconds > budget_s:
            break
        best = n
    counted = cumulative_tokens[min(best, COUNTED_SENTENCES) - 1]
    return best, estimate(stage, cal, cumulative_tokens[best - 1], counted, sweep_sizes, ladder_steps, scale)


def default_sweep_sizes(size: str, sizes: list[str]) -> list[str]:
    """Every size up to `size` in SIZES order (at least two)."""
    upto = sizes[: sizes.index(size) + 1]
    return upto if len(upto) > 1 else sizes[:2]


# --- running -----------------------------------------------------------------------------------------------


def calibrate(size: str, device: str, import_s: float) -> Calibration:
    import torch

    from fastner.perf.counters import count
    from fastner.perf.floor import prepare_floor
    from fastner.perf.setup import build_setup
    from fastner.switches import Switches

    t0 = time.perf_counter()
    setup = build_setup("legal", size, device, 32, CALIBRATION_SENTENCES)
    presets = {name: Switches.preset(name) for name in ("baseline", "flair-0.4.4", "fastest")}
    for switches in presets.values():
        setup.predict(switches)  # warm-up (the first CUDA calls, cuDNN plans)
    startup = import_s + time.perf_counter() - t0
    times = {}
    for name, switches in presets.items():  # best of two: a calibration spoilt by a hiccup sizes everything wrong
        times[name] = min(_seconds(lambda s=switches: setup.predict(s)) for _ in range(2))
    t0 = time.perf_counter()
    count(lambda: setup.predict(presets["baseline"]), device=str(setup.device))
    counted = time.perf_counter() - t0
    floor = prepare_floor(setup.tagger, setup.sentences, 32, "unpadded")
    with torch.inference_mode():
        floor()
        floor_s = min(_seconds(floor) for _ in range(2))
    return Calibration(setup.n_tokens, startup, times["baseline"], times["flair-0.4.4"], times["fastest"], counted,
                       floor_s)


def _seconds(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def cumulative_tokens(workload: str) -> list[int]:
    from fastner.perf.workloads import load_workload
    from fastner.text import Sentence

    total, out = 0, []
    for sentence in load_workload(workload).sentences:
        total += len(Sentence(sentence))
        out.append(total)
    return out


def stage_command(stage: str, args, sentences: int, work: Path, sweep_sizes: list[str]) -> list[str]:
    py = sys.executable
    common = ["--device", args.device, "--rounds", str(ROUNDS)]
    if stage in ("legal", "conll"):
        return [py, "-m", "fastner.cli", "bench", "--workload", stage, "--size", args.size, "--mode", "ladder",
                "--limit", str(sentences), "--out", str(work / "data"), *common]
    if stage == "profiles":
        return [py, str(Path(__file__).resolve()), "profile", "--device", args.device, "--size", args.size,
                "--limits", args.profile_limits, "--out", str(work / "data" / "profiles")]
    return [py, "-m", "fastner.cli", "sweep", "--workload", "legal", "--sizes", ",".join(sweep_sizes),
            "--ladder-size", args.size, "--limit", str(sentences), "--out", str(work), *common]


def run_stage(command: list[str], timeout_s: float) -> int | None:
    """Run a stage in its own process group; kill the whole group (`fastner bench` runs pytest in a child)
    at the timeout. Returns the exit code, or None after a timeout."""
    env = {**os.environ, "PYTEST_ADDOPTS": "-W default::UserWarning"}  # a CUDA warning must not fail a bench
    process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


def gpu_info() -> dict:
    info: dict = {}
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        info["nvidia_smi"] = out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.SubprocessError) as err:
        info["nvidia_smi"] = f"not available: {err}"
    return info


def bundle(work: Path, out: Path, summary: dict) -> None:
    """Archive data/ into out/results.tar.gz, copy the JSONs beside it, write summary.json."""
    data = work / "data"
    if data.is_dir():
        archive = out / "results.tar.gz.part"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(data, arcname="data")
        archive.replace(out / "results.tar.gz")
        for path in sorted(data.glob("*.json")):
            shutil.copyfile(path, out / path.name)
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")


def cmd_run(args) -> int:
    started = time.perf_counter()
    from fastner.devices import resolve_device
    from fastner.perf.ladder import configs
    from fastner.perf.setup import environment
    from fastner.tagger import SIZES

    import_s = time.perf_counter() - started  # torch and fastner: every stage's process pays it too

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.size not in SIZES:
        raise SystemExit(f"--size must be one of {', '.join(SIZES)}")
    device = resolve_device(args.device)
    work = Path(tempfile.mkdtemp(prefix="fastner-gpu-"))
    sweep_sizes = args.sweep_sizes.split(",") if args.sweep_sizes else default_sweep_sizes(args.size, list(SIZES))
    ladder_steps = len(configs("ladder"))
    summary: dict = {"budget_s": args.budget, "device": args.device, "size": args.size, "rounds": ROUNDS,
                     "sweep_sizes": sweep_sizes, "environment": {**environment(device), **gpu_info()},
                     "article": "100 manually annotated French judgments, Flair 0.4.3 -> 0.4.4 on an RTX 2080 Ti "
                                "(bench/reference.toml)", "stages": []}
    print(f"[driver] calibrating on {CALIBRATION_SENTENCES} legal sentences, size {args.size}, {args.device}")
    cal = calibrate(args.size, args.device, import_s)
    summary["calibration"] = asdict(cal)
    print(f"[driver] calibration: {json.dumps(asdict(cal))}")
    tokens = {"legal": cumulative_tokens("legal"), "conll": cumulative_tokens("conll")}
    scale = 1.0
    stages = [Stage(name) for name in STAGES]
    summary["stages"] = [asdict(s) for s in stages]
    for i, stage in enumerate(stages):
        elapsed = time.perf_counter() - started
        left = args.budget - elapsed - RESERVE_S
        share = SHARES[stage.name] / sum(SHARES[s.name] for s in stages[i:])
        stage.budget_s = max(left * share, 0.0)
        workload = "legal" if stage.name != "conll" else "conll"
        if stage.name == "profiles":  # the same sentences as the ladders, so the reports' profiles match them
            ladders = {s.name: s.sentences or MIN_SENTENCES for s in stages if s.name in ("legal", "conll")}
            limits = {"legal": ladders["legal"], "conll": ladders["conll"]}
            stage.sentences = min(limits.values())
            args.profile_limits = f"legal={limits['legal']},conll={limits['conll']}"
            stage.tokens = tokens["legal"][limits["legal"] - 1] + tokens["conll"][limits["conll"] - 1]
            stage.estimate_s = estimate("profiles", cal, stage.tokens // 2, 0, 0, ladder_steps, scale)
        else:
            stage.sentences, stage.estimate_s = size_stage(stage.name, stage.budget_s, tokens[workload], cal,
                                                           len(sweep_sizes), ladder_steps, scale)
            stage.tokens = tokens[workload][stage.sentences - 1]
        later = len(stages) - i - 1  # each later stage keeps at least MIN_STAGE_S of the time left
        stage.timeout_s = max(min(left - later * MIN_STAGE_S, 2.0 * max(stage.budget_s, stage.estimate_s)), 1.0)
        if left < 5.0:
            stage.status = "skipped: no time left"
            print(f"[driver] {stage.name}: skipped, no time left")
            continue
        stage.command = stage_command(stage.name, args, stage.sentences, work, sweep_sizes)
        print(f"[driver] {stage.name}: {stage.sentences} sentences ({stage.tokens} tokens), estimate "
              f"{stage.estimate_s:.0f} s, budget {stage.budget_s:.0f} s, timeout {stage.timeout_s:.0f} s", flush=True)
        t0 = time.perf_counter()
        stage.returncode = run_stage(stage.command, stage.timeout_s)
        stage.status = ("ok" if stage.returncode == 0 else f"timed out after {stage.timeout_s:.0f} s"
                        if stage.returncode is None else f"failed (exit code {stage.returncode})")
        stage.seconds = time.perf_counter() - t0
        if stage.returncode == 0 and stage.estimate_s > 0:  # correct the later estimates by what this one took
            scale *= min(max(stage.seconds / stage.estimate_s, 0.5), 3.0)
        print(f"[driver] {stage.name}: {stage.status} in {stage.seconds:.0f} s", flush=True)
        summary["stages"] = [asdict(s) for s in stages]
        summary["seconds"] = time.perf_counter() - started
        bundle(work, out, summary)
    summary["seconds"] = time.perf_counter() - started
    bundle(work, out, summary)
    shutil.rmtree(work, ignore_errors=True)
    print(f"[driver] done in {summary['seconds']:.0f} s: " + ", ".join(f"{s.name} {s.status}" for s in stages))
    return 0 if all(s.status == "ok" for s in stages) else 1


def cmd_profile(args) -> int:
    """Profiles of baseline and fastest, per workload, into OUT/{device}-{size}-{workload}/ (the bench's group)."""
    from fastner.perf.profile import profile_config
    from fastner.perf.setup import build_setup
    from fastner.switches import Switches

    for item in args.limits.split(","):
        workload, limit = item.split("=")
        setup = build_setup(workload, args.size, args.device, 32, int(limit))
        for preset in ("baseline", "fastest"):
            paths = profile_config(setup, Switches.preset(preset), Path(args.out) / f"{args.device}-{args.size}-"
                                   f"{workload}", preset)
            print(f"[profile] {workload} {preset}: {', '.join(str(p) for p in paths.values())}")
    return 0


def cmd_render(args) -> int:
    """Unpack results.tar.gz into REPORTS/data and render every report it holds into REPORTS (`fastner report`)."""
    from fastner.reports import render_all

    source, reports = Path(args.source), Path(args.reports)
    archive = source / "results.tar.gz" if source.is_dir() else source
    if archive.is_file():
        reports.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(reports, filter="data")
    elif not (reports / "data").is_dir():
        raise SystemExit(f"{source}: no results.tar.gz, and no {reports / 'data'} to render")
    for path in render_all(sorted((reports / "data").glob("*.json")), reports):
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    if str(REPO) not in sys.path:  # the fastner of the checkout this script sits in, installed or not
        sys.path.insert(0, str(REPO))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="calibrate, size and run every stage; bundle into --out")
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    p.add_argument("--size", default="paper")
    p.add_argument("--budget", type=float, default=420.0, help="seconds for the whole run (calibration included)")
    p.add_argument("--sweep-sizes", default=None, help="default: every size up to --size")
    p.set_defaults(func=cmd_run, profile_limits="")
    p = sub.add_parser("profile", help="(a stage) profiles of baseline and fastest per workload")
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", default="paper")
    p.add_argument("--limits", required=True, help="legal=N,conll=M")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_profile)
    p = sub.add_parser("render", help="unpack a run's results here and render its reports")
    p.add_argument("source", help="the folder the run's files came back to, or its results.tar.gz")
    p.add_argument("--reports", default="reports", help="where the reports go (their JSON under REPORTS/data)")
    p.set_defaults(func=cmd_render)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
