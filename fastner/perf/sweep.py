"""`fastner sweep`: the regime sweep, and the cost model fitted on it.

The 2019 changes remove per-token overhead (operator calls, host syncs, small copies, Python calls); what
they are worth depends on how much of the time is compute. The sweep measures the three milestones of the
ladder (baseline, flair-0.4.4, fastest) at several model sizes: for each, its median time, its *compute
share* (its own compute floor, `FloorSpec.of(switches)`, over its time) and its counters. At one size
(`ladder_size`) it measures every step of the ladder the same way, and a cost model
(`fastner/perf/costmodel.py`) fitted on every measured configuration predicts each step's time from its
compute floor and counters.

Checks: at each size the baseline's tags and confidences are the reference; every configuration must give
them (tags identical, confidences within 1e-4) on the whole workload before it is timed (that run is the
warm-up), on the counted sentences, and after each of its timed runs. Timing: interleaved rounds in a
rotating order, configurations and floors together (`fastner/perf/timing.py`); on a GPU each call ends
with a synchronize. Counters are observed on every k-th sentence (`counters_limit` of them) and scaled to
the workload's tokens.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fastner.options import command_line, option
from fastner.perf import costmodel
from fastner.perf.counters import count
from fastner.perf.floor import VARIANTS, FloorSpec, prepare_floor
from fastner.perf.ladder import configs, load_patches, patches_dir
from fastner.perf.setup import build_setup, check_outputs, environment, snapshot
from fastner.perf.timing import interleaved_rounds
from fastner.reports import write_json_and_markdown
from fastner.switches import Switches
from fastner.tagger import SIZES

MILESTONES = ("baseline", "flair-0.4.4", "fastest")
TOLERANCE = 0.15  # the cost model's goal: each ladder step within 15% of its measured time


def _names(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


@dataclass(frozen=True)
class SweepOptions:
    """What `fastner sweep` measures (its flags are generated from these fields; all recorded in the JSON)."""

    workload: str = option("legal", "legal, conll, or a path (file: one sentence per line; directory: .txt "
                                    "documents)", "NAME")
    sizes: tuple[str, ...] = option(("tiny", "small", "cpu"), f"comma-separated model sizes, among "
                                    f"{', '.join(SIZES)}", "A,B,...", parse=_names)
    device: str = option("cpu", "where the model runs", choices=("cpu", "cuda"))
    limit: int | None = option(60, "use the first N sentences of the workload (0: all)", "N")
    rounds: int = option(3, "interleaved timed rounds per configuration", "N")
    batch_size: int = option(32, "predict's mini-batch size", "N")
    threads: int | None = option(None, "torch intra-op threads (default: torch's)", "N")
    ladder_size: str = option("last", "the size whose every ladder step is measured and predicted ('last': the "
                                      "last of --sizes; 'none': the milestones only)", "SIZE")
    counters_limit: int | None = option(20, "sentences observed by the counters, spread over the workload (0: all)",
                                        "N")
    seed: int = option(0, "seed of the random models' weights", "N")

    def __post_init__(self) -> None:
        for name in ("limit", "threads", "counters_limit"):  # 0 means unset
            if getattr(self, name) == 0:
                object.__setattr__(self, name, None)
        if isinstance(self.sizes, str):
            object.__setattr__(self, "sizes", _names(self.sizes))
        unknown = [s for s in self.sizes if s not in SIZES]
        if not self.sizes or unknown:
            raise ValueError(f"sizes must be among {', '.join(SIZES)}; got {', '.join(self.sizes) or 'none'}")
        if len(set(self.sizes)) != len(self.sizes):
            raise ValueError(f"sizes are listed twice: {', '.join(self.sizes)}")
        if self.ladder_size == "last":
            object.__setattr__(self, "ladder_size", self.sizes[-1])
        if self.ladder_size != "none" and self.ladder_size not in self.sizes:
            raise ValueError(f"ladder size {self.ladder_size!r} is not one of the sizes ({', '.join(self.sizes)})")
        for name in ("rounds", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)}")
        for name in ("limit", "threads", "counters_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 (or 0: unset), not {value}")


@dataclass(frozen=True)
class Step:
    """A configuration of the ladder: `baseline` or a patch id, its milestone name if it is one."""

    name: str
    milestone: str | None
    switches: Switches


def ladder_steps() -> list[Step]:
    """Every ladder step (baseline first), read from `patches/` as the bench reads it."""
    patches = load_patches()
    steps = configs("ladder", patches)  # baseline, then one step per patch
    milestones = ["baseline", *(p.milestone for p in patches)]
    out = [Step(c.name, m, c.switches) for c, m in zip(steps, milestones)]
    missing = [m for m in MILESTONES if m not in milestones]
    if missing:
        raise ValueError(f"no ladder step is marked with the milestone(s) {', '.join(missing)} in patches/")
    return out


# --- measuring ---------------------------------------------------------------------------------------------


def run(options: SweepOptions) -> dict:
    """Measure every size; return everything as a JSON-ready dict (kind "sweep")."""
    if options.threads:
        torch.set_num_threads(options.threads)
    load_before, t0 = os.getloadavg(), time.perf_counter()
    steps = ladder_steps()
    runs = [measure_size(size, options, steps if size == options.ladder_size else
                         [s for s in steps if s.milestone in MILESTONES]) for size in options.sizes]
    device = torch.device(options.device)
    first = runs[0].pop("workload")
    for r in runs[1:]:
        r.pop("workload")
    return {"kind": "sweep", "options": dataclasses.asdict(options), "command": command_line("fastner sweep", options),
            "workload": first["name"], "workload_stats": first["stats"], "n_tokens": first["n_tokens"],
            "environment": environment(device), "seconds": time.perf_counter() - t0,
            "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
            "patches": [{"id": p.id, "title": p.title, "milestone": p.milestone} for p in load_patches()],
            "reference": _article_reference(), "runs": runs}


def measure_size(size: str, options: SweepOptions, steps: list[Step]) -> dict:
    """One model size: check, count and time `steps` and the compute floors they need."""
    t0 = time.perf_counter()
    setup = build_setup(options.workload, size, options.device, options.batch_size, options.limit, options.seed)
    setup_seconds = time.perf_counter() - t0
    sentences = setup.sentences
    setup.predict(steps[0].switches)  # the baseline's outputs: the reference
    reference = snapshot(sentences)
    stride = math.ceil(len(sentences) / options.counters_limit) if options.counters_limit else 1
    counted = sentences[::stride]
    counted_reference = reference[::stride]
    results = {}
    for step in steps:  # checked first (the warm-up), then counted, and checked again
        setup.predict(step.switches)
        gap = check_outputs(snapshot(sentences), reference)
        _, counts = count(lambda switches=step.switches: setup.predict(switches, counted), device=str(setup.device))
        check_outputs(snapshot(counted), counted_reference)
        results[step.name] = {"name": step.name, "milestone": step.milestone, "switches": step.switches.to_dict(),
                              "floor": FloorSpec.of(step.switches).name, "max_confidence_gap": gap,
                              "counters": counts.to_dict()}
    specs = {FloorSpec.of(s.switches).name: FloorSpec.of(s.switches) for s in steps}
    specs.setdefault(VARIANTS["unpadded"].name, VARIANTS["unpadded"])
    real_chars = 2 * sum(len(s.to_tokenized_string()) + 2 for s in sentences if len(s))  # both LMs, markers
    floors, floor_calls = {}, {}
    for name, spec in specs.items():
        floor = prepare_floor(setup.tagger, sentences, options.batch_size, spec)
        with torch.inference_mode():
            positions = floor()  # also the warm-up
        if positions < real_chars:
            raise AssertionError(f"floor {name}: the LSTMs ran over {positions} positions for {real_chars} characters")
        floors[name] = {"spec": dataclasses.asdict(spec), "lm_positions": positions}
        floor_calls[f"floor:{name}"] = lambda f=floor: _inference(f)

    def check(name: str, _result: object) -> None:
        if name in results:
            check_outputs(snapshot(sentences), reference)

    calls = {step.name: (lambda switches=step.switches: setup.predict(switches)) for step in steps}
    times = interleaved_rounds({**calls, **floor_calls}, options.rounds, after=check)
    for name, entry in results.items():
        entry["times"] = times[name]
    for name, entry in floors.items():
        entry["times"] = times[f"floor:{name}"]
    t = setup.tagger
    return {"size": size, "setup_seconds": setup_seconds, "n_tokens": setup.n_tokens,
            "n_sentences": len(sentences), "lm_real_chars": real_chars,
            "counted": {"n_sentences": len(counted), "n_tokens": sum(len(s) for s in counted), "stride": stride},
            "model": {"char_hidden": SIZES[size].char_hidden, "hidden_size": t.hidden_size,
                      "embedding_dim": t.embedding_dim, "tags": len(t.tags),
                      "parameters": sum(p.numel() for p in t.parameters())},
            "steps": list(results.values()), "floors": floors,
            "workload": {"name": setup.workload.name, "stats": setup.stats(), "n_tokens": setup.n_tokens}}


def _inference(floor) -> int:
    with torch.inference_mode():
        return floor()


def _article_reference() -> dict | None:
    """The article's GPU figures (bench/reference.toml), quoted beside the sweep; None outside a checkout."""
    path = patches_dir().parent / "bench" / "reference.toml"
    if not path.is_file():
        return None
    return tomllib.loads(path.read_text(encoding="utf-8")).get("article_gpu")


# --- reading the JSON ------------------------------------------------------------------------------------


def _median(times: list[float]) -> float:
    return float(np.median(times))


def _iqr(times: list[float]) -> float:
    return float(np.subtract(*np.percentile(times, [75, 25])))


class _Size:
    """One size's measurements, with the figures the report derives from them."""

    def __init__(self, run: dict) -> None:
        self.run, self.size, self.n_tokens = run, run["size"], run["n_tokens"]
        self.steps = run["steps"]
        self.by_name = {s["name"]: s for s in self.steps}
        self.by_milestone = {s["milestone"]: s for s in self.steps if s["milestone"]}
        scale = self.n_tokens / run["counted"]["n_tokens"]
        self.events = {s["name"]: {k: v * scale for k, v in s["counters"].items() if isinstance(v, int)}
                       for s in self.steps}  # counters scaled from the counted sentences to the workload

    def time(self, step: dict) -> float:
        return _median(step["times"])

    def floor(self, name: str) -> float:
        return _median(self.run["floors"][name]["times"])

    def compute(self, step: dict) -> float:
        return self.floor(step["floor"])

    def milestone(self, name: str) -> float:
        return self.time(self.by_milestone[name])

    def point(self, step: dict) -> costmodel.Point:
        return costmodel.Point(f"{self.size} {step['name']}", self.compute(step),
                               costmodel.event_counts(self.events[step["name"]]), self.time(step))


def fit_points(data: dict) -> list[tuple[_Size, dict, costmodel.Point]]:
    """Every measured configuration of every size, as cost-model points."""
    return [(s, step, s.point(step)) for s in map(_Size, data["runs"]) for step in s.steps]


# --- rendering -------------------------------------------------------------------------------------------


def stem(data: dict) -> str:
    """`sweep-{device}-{workload}` (a workload path gives its file stem)."""
    workload = data["options"]["workload"]
    stem = workload if workload in ("legal", "conll") else Path(workload).stem
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"sweep-{data['options']['device']}-{stem}")


def render(data: dict) -> str:
    """Markdown for one sweep JSON (deterministic for a given JSON)."""
    o, name = data["options"], stem(data)
    sizes = [_Size(r) for r in data["runs"]]
    device = "GPU" if o["device"] == "cuda" else "CPU"
    lines = [f"# Regime sweep: `{data['workload']}` workload, {device}, sizes {', '.join(o['sizes'])}", "",
             f"Generated by `fastner sweep` from [{name}.json](data/{name}.json): do not edit by hand (re-render "
             "it with `fastner report`). At each size the baseline's tags are the reference: every "
             "configuration gave them (confidences within 1e-4) on the whole workload before it was timed, on "
             "the counted sentences, and after each timed run.", ""]
    lines += _section_summary(data, sizes, name)
    lines += _section_machine(data)
    lines += _section_workload(data, sizes)
    lines += _section_configurations(data, sizes)
    lines += _section_cost_model(data, sizes)
    lines += ["## Reproduce", "", "```bash", data["command"], f"fastner report reports/data/{name}.json", "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _section_summary(data: dict, sizes: list[_Size], stem: str) -> list[str]:
    lines = ["## Summary: the gains against the compute share", "",
             "*Compute share*: a configuration's own compute floor (the LSTM and linear work of its batches, "
             "padding and the LM decoder included when it does them; `FloorSpec.of` in `fastner/perf/floor.py`) "
             "over its median time. flair-0.4.4 does exactly the baseline's arithmetic, so the 2019 changes can "
             "gain at most *baseline time / flair-0.4.4's floor*: the *bound* column.", "",
             "| size | char LM hidden | parameters | baseline s | flair-0.4.4 s | fastest s | 2019 gain "
             "(baseline -> flair-0.4.4) | bound on the 2019 gain | fastest gain | compute share: baseline | "
             "flair-0.4.4 | fastest |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        base, f44, fast = (s.milestone(m) for m in MILESTONES)
        shares = [s.compute(s.by_milestone[m]) / s.milestone(m) for m in MILESTONES]
        bound = base / s.compute(s.by_milestone["flair-0.4.4"])
        lines.append(f"| `{s.size}` | {s.run['model']['char_hidden']} | {_int(s.run['model']['parameters'])} | "
                     f"{base:.3f} | {f44:.3f} | {fast:.3f} | **{base / f44:.2f}x** | {bound:.2f}x | "
                     f"**{base / fast:.2f}x** | " + " | ".join(f"{x:.0%}" for x in shares) + " |")
    lines += ["", f"![gains against the compute share]({stem}.png)", ""]
    by_share = sorted(sizes, key=lambda s: s.compute(s.by_milestone["baseline"]) / s.milestone("baseline"))
    if len(by_share) > 1:
        def describe(s: _Size) -> str:
            share = s.compute(s.by_milestone["baseline"]) / s.milestone("baseline")
            return (f"`{s.size}` (compute {share:.0%} of the baseline's time): 2019 gain "
                    f"{s.milestone('baseline') / s.milestone('flair-0.4.4'):.2f}x, fastest "
                    f"{s.milestone('baseline') / s.milestone('fastest'):.2f}x")
        gains = [s.milestone("baseline") / s.milestone("flair-0.4.4") for s in by_share]
        trend = ("here the 2019 gain falls as the compute share rises: the less of the time is compute, the more "
                 "removing per-token overhead is worth" if all(a >= b for a, b in itertools.pairwise(gains)) else
                 "here the 2019 gain does not fall steadily with the compute share (see the IQRs: on a shared "
                 "machine the medians are noisy)")
        lines += [f"From the least compute-bound size to the most: {describe(by_share[0])}; "
                  f"{describe(by_share[-1])}. Across all sizes, {trend}.", ""]
    over = [s.size for s in sizes
            if s.milestone("baseline") / s.milestone("flair-0.4.4") > s.milestone("baseline")
            / s.compute(s.by_milestone["flair-0.4.4"])]
    if over:
        lines += [f"At {', '.join(f'`{x}`' for x in over)} the measured 2019 gain exceeds its bound: flair-0.4.4 ran "
                  "faster than its own floor measured apart, so that floor overstates the compute inside predict "
                  "there (noise, or caches and threads that behave otherwise in the two runs).", ""]
    above = sorted({s.size for s in sizes for m in MILESTONES if s.compute(s.by_milestone[m]) > s.milestone(m)})
    if above:
        lines += [f"At {', '.join(f'`{x}`' for x in above)} a compute share is above 100%: the floor, measured apart, "
                  "took longer than the whole configuration. Those figures are noise (see the IQRs and the load "
                  "average below), not a finding.", ""]
    ref = data.get("reference")
    if ref:
        lines += [f"The article's GPU figures ({ref['source']}): {ref['legal']}; {ref['conll']}. A GPU makes the "
                  "compute much faster and each operator launch and host sync costlier, which moves a model to "
                  "the left of this plot.", ""]
    return lines


def _section_machine(data: dict) -> list[str]:
    env, o, load = data["environment"], data["options"], data["load_average"]
    flags = ", ".join(env.get("cpu_flags") or []) or "none of avx2, avx512f, avx512_bf16, amx_bf16"
    bf16 = "yes" if "avx512_bf16" in (env.get("cpu_flags") or []) else "no"
    rows = [("CPU", env["cpu_model"]), ("CPU flags", flags), ("AVX512-BF16", bf16),
            ("cores available", env["cpu_count"]), ("torch threads", env["torch_threads"]),
            ("GPU", env.get("gpu", "none")), ("python", env["python"]), ("torch", env["torch"]),
            ("numpy", env["numpy"]), ("platform", env["platform"]), ("fastner commit", env["git_commit"]),
            ("load average before (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in load["before"])),
            ("load average after", ", ".join(f"{x:.2f}" for x in load["after"])),
            ("whole sweep", f"{data['seconds']:.0f} s"), ("timed rounds per configuration", o["rounds"]),
            ("mini-batch size", o["batch_size"]), ("device", o["device"])]
    return ["## Machine and settings", "",
            "Timed rounds are interleaved (every configuration and floor once per round, in a rotating order), so "
            "other work on a shared machine falls on all of them alike; medians are quoted, IQRs beside them.", "",
            "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]


def _section_workload(data: dict, sizes: list[_Size]) -> list[str]:
    st, o = data["workload_stats"], data["options"]
    d = st["sentence_tokens"]
    limit = f" (first {o['limit']} sentences)" if o["limit"] else ""
    counted = sizes[0].run["counted"]
    lines = ["## Workload and models", "",
             f"`{data['workload']}`{limit}: {_plural(st['n_documents'], 'document')}, "
             f"{_plural(st['n_sentences'], 'sentence')}, "
             f"{_int(st['n_tokens'])} tokens, {_int(st['n_chars'])} characters; sentence length in tokens: "
             f"median {d['p50']:g}, mean {d['mean']:.1f}, max {d['max']}. Counters observed on "
             + ("every sentence" if counted["stride"] == 1 else f"one sentence in {counted['stride']}")
             + f" ({counted['n_sentences']} sentences, {_int(counted['n_tokens'])} tokens) and scaled to the "
             "workload's tokens.", "",
             "| size | char LM hidden | BiLSTM hidden | D | parameters (word vectors excluded) | model set-up s |",
             "|---|---|---|---|---|---|"]
    for s in sizes:
        m = s.run["model"]
        lines.append(f"| `{s.size}` | {m['char_hidden']} | {m['hidden_size']} | {m['embedding_dim']} | "
                     f"{_int(m['parameters'])} | {s.run['setup_seconds']:.2f} |")
    return [*lines, ""]


def _section_configurations(data: dict, sizes: list[_Size]) -> list[str]:
    lines = ["## Every configuration: time, compute floor, counters", "",
             "Counters per 1,000 tokens (`fastner/perf/counters.py`; on a CPU the model device is simulated as an "
             "accelerator, so the copies written in the code are counted). The floor's name says its arithmetic: "
             "batch order (`tokens`/`chars`), LM padding (`padded` per batch / `shrunk` to the characters "
             "present), reprojection and output layer over the `padded` grid or the `real` tokens, `-decoder` if "
             "the LM decoder runs, `-folded` if the reprojection is folded into the BiLSTM.", "",
             "| size | configuration | median s | IQR s | tokens/s | compute floor | floor s | compute share | "
             "multiple of the unpadded floor | torch ops | host syncs | H2D + D2H | Python calls |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    unpadded = VARIANTS["unpadded"].name
    for s in sizes:
        for step in s.steps:
            if not step["milestone"] and s.size != data["options"]["ladder_size"]:
                continue
            med, ev = s.time(step), costmodel.event_counts(s.events[step["name"]])
            per = [x * 1000 / s.n_tokens for x in ev]
            name = f"**{step['name']}**" if step["milestone"] else step["name"]
            lines.append(f"| `{s.size}` | {name} | {med:.3f} | {_iqr(step['times']):.3f} | {_int(s.n_tokens / med)} | "
                         f"`{step['floor']}` | {s.compute(step):.3f} | {s.compute(step) / med:.0%} | "
                         f"{med / s.floor(unpadded):.2f}x | " + " | ".join(_int(x) for x in per) + " |")
    return [*lines, ""]


def _section_cost_model(data: dict, sizes: list[_Size]) -> list[str]:
    points = fit_points(data)
    model = costmodel.fit([p for _, _, p in points])
    loo = costmodel.leave_one_out_errors([p for _, _, p in points])
    inside = [costmodel.relative_error(model, p) for _, _, p in points]
    fit_all, fit_loo = costmodel.summary(inside), costmodel.summary(loo)
    ladder_size = data["options"]["ladder_size"]
    ladder_size = ladder_size if ladder_size in data["options"]["sizes"] else None
    lines = ["## Cost model: time = compute + a x torch ops + b x host syncs + c x copies + d x Python calls", "",
             "Fitted on this machine, on every configuration measured above "
             f"({len(points)} points: every size's milestones"
             + (f" and every ladder step at `{ladder_size}`" if ladder_size else "") + "). *compute* is each "
             "configuration's own floor, measured; the four constants are non-negative and minimise the squared "
             "relative errors (`fastner/perf/costmodel.py`). Every host sync is also a D2H copy, so *b* is what a "
             "sync costs beyond its copy.", "",
             "| event | fitted cost per event |", "|---|---|"]
    for key, value in model.constants().items():
        lines.append(f"| {costmodel.EVENT_LABELS[key]} | {value * 1e6:.3f} µs |")
    lines += ["", f"Fit error over the {len(points)} points: RMS {fit_all['rms']:.1%}, largest {fit_all['max']:.1%} "
                  f"(in sample); each point predicted by the model fitted on the others (leave-one-out): RMS "
                  f"{fit_loo['rms']:.1%}, largest {fit_loo['max']:.1%}.", ""]
    ladder = [(s, step, p, e, e_loo) for (s, step, p), e, e_loo in zip(points, inside, loo)
              if s.size == ladder_size]
    if ladder:
        lines += [f"### Each ladder step at `{ladder_size}`: predicted against measured", "",
                  "| step | measured s | compute s | torch ops s | host syncs s | copies s | Python calls s | "
                  "predicted s | error | error, left out of the fit |", "|---|---|---|---|---|---|---|---|---|---|"]
        for _, step, p, e, e_loo in ladder:
            parts = [c * n for c, n in zip(model.seconds_per_event, p.events)]
            name = f"**{step['name']}**" if step["milestone"] else step["name"]
            lines.append(f"| {name} | {p.measured:.3f} | {p.compute:.3f} | " + " | ".join(f"{x:.3f}" for x in parts)
                         + f" | {model.predict(p.compute, p.events):.3f} | {e:+.1%} | {e_loo:+.1%} |")
        within = sum(abs(e) <= TOLERANCE for *_, e, _ in ladder)
        within_loo = sum(abs(e) <= TOLERANCE for *_, e in ladder)
        worst = max(ladder, key=lambda row: abs(row[3]))
        bias = float(np.mean([row[3] for row in ladder]))
        lines += ["", f"Goal: every step within {TOLERANCE:.0%}. In sample, {within} of {len(ladder)} steps are; "
                      f"left out of the fit, {within_loo} of {len(ladder)}. The worst in sample is "
                      f"{worst[1]['name']} ({worst[3]:+.1%}); the mean error over the steps is {bias:+.1%}: "
                      + ("the model misses time that no counter sees" if bias < -0.02 else
                         "the model counts some time twice" if bias > 0.02 else "no systematic bias") + ".", ""]
    lines += ["What the model leaves out, and so where it misses: it prices every operator call alike (a "
              "per-token `cat` of two vectors and a batched gather cost the same), it has no term for NumPy "
              "work (the Viterbi of steps 02-03 is NumPy), for bytes copied or for allocations, and its compute "
              "is the floor measured on its own, outside the predict call, where caches and threads may behave "
              "otherwise. It adds compute and overhead, as a CPU spends them one after the other; on a GPU the "
              "host's work and the kernels overlap, so a time nearer the larger of the two than their sum is "
              "the model's known limit there. On a shared machine, the noise of the medians (the IQR columns) "
              "bounds how well any model can fit.", ""]
    others = [(s, step, p, e) for (s, step, p), e in zip(points, inside) if s.size != ladder_size]
    if others:
        lines += ["### The milestones of the other sizes", "", "| size | configuration | measured s | predicted s "
                  "| error |", "|---|---|---|---|---|"]
        lines += [f"| `{s.size}` | {step['name']} | {p.measured:.3f} | {model.predict(p.compute, p.events):.3f} | "
                  f"{e:+.1%} |" for s, step, p, e in others]
        lines.append("")
    return lines


def plot(data: dict, out_dir: Path) -> Path:
    """`{stem}.png`: the 2019 gain and the fastest gain of each size against the baseline's compute share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [_Size(r) for r in data["runs"]]
    share = [s.compute(s.by_milestone["baseline"]) / s.milestone("baseline") for s in sizes]
    gain_2019 = [s.milestone("baseline") / s.milestone("flair-0.4.4") for s in sizes]
    gain_fast = [s.milestone("baseline") / s.milestone("fastest") for s in sizes]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    x = np.linspace(max(min(share) * 0.8, 0.01), 1.0, 200)
    ax.plot(x, 1 / x, color="#999999", linestyle="--",
            label="1 / compute share: the most that removing overhead alone can gain")
    ax.plot(share, gain_2019, "o-", color="#4c72b0", label="2019 gain (baseline -> flair-0.4.4)")
    ax.plot(share, gain_fast, "s-", color="#c44e52", label="fastest gain (baseline -> fastest)")
    for s, xs, y1, y2 in zip(sizes, share, gain_2019, gain_fast):
        ax.annotate(s.size, (xs, y1), textcoords="offset points", xytext=(4, -12), fontsize=8)
        ax.annotate(s.size, (xs, y2), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("compute share of the baseline's time (its own floor / its median)")
    ax.set_ylabel("speed-up over the baseline (medians)")
    ax.set_ylim(bottom=0.8, top=max(*gain_fast, *gain_2019) * 1.3)
    ax.set_xlim(0, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Regime sweep: {data['workload']}, {data['options']['device']}")
    fig.tight_layout()
    path = out_dir / f"{stem(data)}.png"
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def write(data: dict, out_dir: Path) -> list[Path]:
    """Save the JSON under `out_dir/data/`, the markdown and the PNG under `out_dir` (as `fastner report`
    renders them from the JSON)."""
    json_path, md_path = write_json_and_markdown(data, render(data), out_dir, stem(data))
    return [json_path, md_path, plot(data, out_dir)]


def load(path: Path) -> dict:
    """A sweep JSON, or a clear error."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SystemExit(f"{path}: not a readable JSON ({err})") from None
    if data.get("kind") != "sweep":
        raise SystemExit(f"{path}: not a sweep JSON (kind {data.get('kind')!r})")
    return data


def _int(x: float) -> str:
    return f"{x:,.0f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")
