"""`fastner scale-ray`: the Ray engine against the local engine on one machine, and what 1 million decisions need.

`measure` writes the bundled `legal` workload's documents, repeated to `docs` files, and runs `fastner tag`'s
pipeline on them in each configuration, in this process, one after the other (the order reversed every other
round): the local engine with 2 torch threads (1 process), then the Ray engine on a local Ray instance started
for the run with 1 and with 2 workers of 1 thread. Each run writes to a fresh directory; its outputs are
compared byte for byte with the first local run's. Recorded per run: the run's seconds as `summary.json` has
them (inspect, tag, write, commit), tokens, the load average before and after; for Ray also the start-up
(Ray instance + workers loading the model) and shutdown, batches, the per-batch overhead (the driver's round
trip minus the worker's own time, median) and the round trip of an empty batch.

`render` makes the markdown from that JSON only (same JSON, same bytes), including a paper estimate of the
time and machines 1 million decisions need, computed from the measured figures and the JSON's `assumptions`.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

KIND = "scale-ray"
STEM = "scale-ray-cpu"
LOCAL_THREADS = 2
GOAL = 0.9  # Ray 2 workers x 1 thread over the local engine (1 process, 2 threads), tokens/s
CONFIGS = [  # (name, Ray workers of 1 thread, or None: the local engine, with this many torch threads)
    ("local", None, LOCAL_THREADS), ("local-1t", None, 1), ("ray-1x1", 1, 1), ("ray-2x1", 2, 1)]
ASSUMPTIONS = {
    "decisions": 1_000_000,
    "deadline_hours": 24.0,
    "cores_per_cpu_machine": 32,
    "gpu_seconds_per_100_decisions": 11.0,
    "gpu_source": "the article: 100 court-of-appeal decisions in 11 s with Flair 0.4.4 on one RTX 2080 Ti "
                  "(paper-size model: char LMs of hidden 2048), i.e. an inventory in 3 days instead of 30",
    "cpu_note": "one worker of 1 thread per core, each as fast as the measured Ray workers, with the measured "
                "1 -> 2 worker efficiency; the bundled model (char LMs of hidden 128), not the paper-size one",
}


def write_inputs(directory: Path, docs: int) -> dict[str, Any]:
    """The `legal` workload's documents (one sentence per line), repeated to `docs` files; their sizes."""
    from fastner.perf.workloads import load_workload

    workload = load_workload("legal")
    texts = ["\n".join(document) + "\n" for document in workload.documents]
    directory.mkdir(parents=True)
    for i in range(docs):
        (directory / f"d{i:04d}.txt").write_text(texts[i % len(texts)], encoding="utf-8")
    return {"name": "legal", "base_documents": len(texts), "documents": docs,
            "bytes": sum(len(texts[i % len(texts)].encode()) for i in range(docs))}


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".fastner" not in p.parts and p.name != "summary.json"}


def measure(docs: int = 280, rounds: int = 2, model: str | None = None, batch_docs: int = 8,
            empty_batches: int = 20) -> dict[str, Any]:
    """Run every configuration `rounds` times on `docs` documents; the JSON `render` reads."""
    import torch

    from fastner.apps.distributed import ModelFiles, RayEngine, RayOptions, import_ray
    from fastner.apps.pipeline import Settings, run_collection
    from fastner.apps.tag import load_model
    from fastner.devices import cpu_flags
    from fastner.models import default_model_path
    from fastner.perf.setup import environment
    from fastner.switches import Switches

    ray = import_ray()
    directory = Path(model) if model else default_model_path()
    tagger, model_id = load_model(directory)
    settings = Settings(mode="tag", switches=Switches.preset("fastest"))
    work = Path(tempfile.mkdtemp(prefix="fastner-scale-ray-"))
    runs: list[dict[str, Any]] = []
    try:
        workload = write_inputs(work / "in", docs)
        inputs = [str(work / "in")]
        reference: dict[str, bytes] | None = None
        for round_number in range(1, rounds + 1):
            order = CONFIGS if round_number % 2 else CONFIGS[::-1]
            for name, workers, threads in order:
                out = work / f"{name}-{round_number}"
                entry: dict[str, Any] = {"config": name, "round": round_number, "load_before": os.getloadavg()}
                if workers is None:
                    before = torch.get_num_threads()
                    torch.set_num_threads(threads)
                    try:
                        report = run_collection(inputs, out, tagger, model_id, settings, quiet=True)
                    finally:
                        torch.set_num_threads(before)
                else:
                    options = RayOptions(workers=workers, threads_per_worker=1, batch_docs=batch_docs)
                    engine = RayEngine(ModelFiles.read(directory), model_id, options, quiet=True)
                    with engine:
                        report = engine.run(inputs, out, settings)
                        empty = engine.round_trips(empty_batches)
                    last = engine.stats["last_run"]
                    entry["ray"] = {
                        "connect_s": engine.stats["connect_s"], "start_s": engine.stats["start_s"],
                        "close_s": engine.stats["close_s"], "batches": last["batches"],
                        "batch_overhead_s": last["batch_overhead_s"], "worker_s": last["worker_s"],
                        "empty_batch_s": statistics.median(empty), "worker_deaths": last["worker_deaths"]}
                entry.update(load_after=os.getloadavg(), seconds=report.seconds, documents=report.done,
                             failed=report.failed, tokens=report.tokens, sentences=report.sentences)
                outputs = _outputs(out)
                if reference is None:
                    reference = outputs
                entry["identical"] = outputs == reference
                entry["files"] = len(outputs)
                runs.append(entry)
                shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    env = environment(torch.device("cpu"))
    env.update(cpu_flags=cpu_flags(), ray=ray.__version__, local_threads=LOCAL_THREADS)
    return {"kind": KIND, "command": f"fastner scale-ray --docs {docs} --rounds {rounds}"
                                     + (f" --model {model}" if model else "") + f" --batch-docs {batch_docs}",
            "workload": workload, "model": {"id": model_id, "path": str(model) if model else "bundled"},
            "settings": {"mode": "tag", "format": "jsonl", "review": True, "preset": "fastest",
                         "batch_docs": batch_docs, "empty_batches": empty_batches},
            "goal": GOAL, "runs": runs, "assumptions": dict(ASSUMPTIONS), "environment": env}


# --- rendering (from the JSON only) ----------------------------------------------------------------------------

def _median(values: list[float]) -> float:
    return statistics.median(values)


def summarize(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per configuration: medians over rounds of the run's seconds, tokens/s, Ray's costs."""
    out: dict[str, dict[str, Any]] = {}
    for name, workers, _ in CONFIGS:
        runs = [r for r in data["runs"] if r["config"] == name]
        if not runs:
            continue
        row: dict[str, Any] = {"workers": workers, "rounds": len(runs),
                               "seconds": _median([r["seconds"] for r in runs]),
                               "tokens_per_s": _median([r["tokens"] / r["seconds"] for r in runs]),
                               "identical": all(r["identical"] for r in runs),
                               "documents": runs[0]["documents"], "tokens": runs[0]["tokens"],
                               "load": _median([(r["load_before"][0] + r["load_after"][0]) / 2 for r in runs])}
        if workers is not None:
            ray_runs = [r["ray"] for r in runs]
            for key in ("connect_s", "start_s", "close_s", "batches", "empty_batch_s"):
                row[key] = _median([x[key] for x in ray_runs])
            row["batch_overhead_s"] = _median([x["batch_overhead_s"] for x in ray_runs])
            row["busy"] = _median([x["worker_s"] / (r["seconds"] * workers) for x, r in zip(ray_runs, runs)])
            row["end_to_end_s"] = _median([r["seconds"] + x["start_s"] + x["close_s"] for x, r in zip(ray_runs, runs)])
        else:
            row["end_to_end_s"] = row["seconds"]
        out[name] = row
    return out


def estimate(data: dict[str, Any], rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Time and machines for `assumptions.decisions` decisions, from the measured rows and the assumptions."""
    a = data["assumptions"]
    tokens_per_decision = rows["local"]["tokens"] / rows["local"]["documents"]
    per_worker = rows["ray-1x1"]["tokens_per_s"]
    efficiency = rows["ray-2x1"]["tokens_per_s"] / (2 * per_worker)
    machine_tps = a["cores_per_cpu_machine"] * per_worker * efficiency
    total_tokens = a["decisions"] * tokens_per_decision
    deadline_s = a["deadline_hours"] * 3600
    cpu_one_machine_s = total_tokens / machine_tps
    gpu_one_s = a["decisions"] * a["gpu_seconds_per_100_decisions"] / 100
    batch_docs = data["runs"][0]["documents"] / rows["ray-2x1"]["batches"]
    return {"tokens_per_decision": tokens_per_decision, "per_worker_tokens_per_s": per_worker,
            "efficiency": efficiency, "machine_tokens_per_s": machine_tps,
            "cpu_one_machine_hours": cpu_one_machine_s / 3600,
            "cpu_machines": math.ceil(cpu_one_machine_s / deadline_s),
            "cpu_core_hours": total_tokens / (per_worker * efficiency) / 3600,
            "gpu_one_hours": gpu_one_s / 3600, "gpus": math.ceil(gpu_one_s / deadline_s),
            "ray_overhead_per_decision_ms": 1000 * rows["ray-2x1"]["batch_overhead_s"] / batch_docs}


def stem(data: dict[str, Any]) -> str:
    """The report's file stem (`fastner report` writes `STEM.md`)."""
    return STEM


def render(data: dict[str, Any]) -> str:
    rows = summarize(data)
    env, w, s = data["environment"], data["workload"], data["settings"]
    local, single, one, two = rows["local"], rows["local-1t"], rows["ray-1x1"], rows["ray-2x1"]
    ratio = two["tokens_per_s"] / local["tokens_per_s"]
    flags = env["cpu_flags"]
    lines = [
        "# The Ray engine on one CPU machine: `fastner tag --engine ray` against the local engine", "",
        f"Generated by `{data['command']}` from the JSON beside it (`reports/data/{STEM}.json`): do not edit by "
        "hand. The same inputs and model in every configuration, one after the other in this process, the order "
        "reversed every other round; medians over rounds.", "",
        f"Workload: the bundled `legal` workload's {w['base_documents']} documents repeated to {w['documents']} "
        f"files ({w['bytes']:,} bytes, {local['tokens']:,} tokens); `fastner tag` with JSONL and review "
        f"outputs, preset `{s['preset']}`, model `{data['model']['path']}` ({data['model']['id']}); Ray batches "
        f"of at most {s['batch_docs']} documents.", "",
        "| configuration | rounds | run s | tokens/s | vs local | start-up s | shutdown s | end to end s | "
        "outputs identical to local | load average |",
        "|---|---|---|---|---|---|---|---|---|---|"]
    names = {"local": f"local engine, 1 process x {env['local_threads']} threads",
             "local-1t": "local engine, 1 process x 1 thread", "ray-1x1": "Ray, 1 worker x 1 thread",
             "ray-2x1": "Ray, 2 workers x 1 thread"}
    for name, row in rows.items():
        start = f"{row['start_s']:.2f}" if "start_s" in row else "-"
        close = f"{row['close_s']:.2f}" if "close_s" in row else "-"
        lines.append(f"| {names[name]} | {row['rounds']} | {row['seconds']:.2f} | {row['tokens_per_s']:,.0f} | "
                     f"{row['tokens_per_s'] / local['tokens_per_s']:.2f}x | {start} | {close} | "
                     f"{row['end_to_end_s']:.2f} | {'yes' if row['identical'] else '**no**'} | {row['load']:.2f} |")
    end_ratio = local["end_to_end_s"] / two["end_to_end_s"]
    verdict = "met" if ratio >= data["goal"] else "**missed**"
    lines += ["", f"**Ray 2 workers x 1 thread: {ratio:.2f}x the local engine's tokens/s** over the run (goal >= "
                  f"{data['goal']}: {verdict}); {end_ratio:.2f}x end to end, with Ray's start-up and shutdown "
                  f"({'met' if end_ratio >= data['goal'] else 'missed'} there). The run's seconds are what "
                  "`summary.json` records (inspect, tag, write, commit); start-up is a local Ray instance plus the "
                  "workers loading the model, paid once per run (a cluster joined with `--address` is already up)."]
    lines += ["", f"Against the local engine with 1 thread (the torch threads each Ray worker has): Ray 1x1 "
                  f"{one['tokens_per_s'] / single['tokens_per_s']:.2f}x (the driver reads, hashes and writes in its "
                  f"own process meanwhile), Ray 2x1 {two['tokens_per_s'] / single['tokens_per_s']:.2f}x; the local "
                  f"engine's second thread gives it {local['tokens_per_s'] / single['tokens_per_s']:.2f}x its "
                  "1-thread speed here."]
    load = _median([row["load"] for row in rows.values()])
    if load > env["cpu_count"]:
        lines += ["", f"Caution: the machine was shared with other work (load average {load:.1f} on {env['cpu_count']} "
                     "cores over these runs, median). A process's speed then follows its share of the cores: the "
                     "threads of one torch process wait on each other (the local engine's second thread costs it "
                     f"{single['tokens_per_s'] / local['tokens_per_s']:.1f}x here), and Ray's extra processes "
                     "(driver and workers) get a larger share than one process does. These ratios are this machine's "
                     "under that load, not a quiet machine's; the fairest reading is Ray 1x1 against the local "
                     "engine with 1 thread, and Ray 2x1 against Ray 1x1 shows that two workers had no idle core "
                     "to gain."]
    if ratio < data["goal"]:
        lines += ["", f"The machine is shared with other agents: the load average during the Ray 2x1 runs was "
                     f"{two['load']:.1f} on {env['cpu_count']} cores (local runs: {local['load']:.1f}); "
                     "two single-thread workers lose more to a busy machine than one process whose second thread "
                     "only helps inside torch."]
    lines += ["", "## What Ray costs", "",
              "| | Ray 1x1 | Ray 2x1 |", "|---|---|---|",
              f"| connect (start a local Ray instance) s | {one['connect_s']:.2f} | {two['connect_s']:.2f} |",
              f"| start-up (instance + workers ready with the model) s | {one['start_s']:.2f} | {two['start_s']:.2f} |",
              f"| shutdown s | {one['close_s']:.2f} | {two['close_s']:.2f} |",
              f"| batches | {one['batches']:.0f} | {two['batches']:.0f} |",
              f"| per-batch overhead (driver round trip - worker time), median ms | "
              f"{1000 * one['batch_overhead_s']:.1f} | {1000 * two['batch_overhead_s']:.1f} |",
              f"| empty batch round trip, median ms | {1000 * one['empty_batch_s']:.1f} | "
              f"{1000 * two['empty_batch_s']:.1f} |",
              f"| workers busy (worker time / run time x workers) | {100 * one['busy']:.0f}% | "
              f"{100 * two['busy']:.0f}% |",
              "", "Per run:", "", "| configuration | round | run s | tokens/s | identical | load before | load after |",
              "|---|---|---|---|---|---|---|"]
    for r in data["runs"]:
        lines.append(f"| {r['config']} | {r['round']} | {r['seconds']:.2f} | {r['tokens'] / r['seconds']:,.0f} | "
                     f"{'yes' if r['identical'] else '**no**'} | {r['load_before'][0]:.2f} | "
                     f"{r['load_after'][0]:.2f} |")
    e, a = estimate(data, rows), data["assumptions"]
    lines += ["", f"## Paper estimate: {a['decisions']:,} decisions", ""]
    if load > env["cpu_count"]:
        lines += [f"The 1 -> 2 worker efficiency ({e['efficiency']:.2f}) was measured on the loaded machine above: "
                  "a dedicated machine with a core per worker should scale better, so the CPU figures are "
                  "pessimistic.", ""]
    lines += ["Computed from the figures above and these assumptions (JSON `assumptions`):", ""]
    lines += [f"- `{key}`: {value}" for key, value in a.items()]
    lines += ["", "| | CPU (measured model) | GPU (article's figure) |", "|---|---|---|",
              f"| rate used | {e['per_worker_tokens_per_s']:,.0f} tokens/s per 1-thread worker x "
              f"{e['efficiency']:.2f} efficiency x {a['cores_per_cpu_machine']} cores = "
              f"{e['machine_tokens_per_s']:,.0f} tokens/s per machine | "
              f"{a['gpu_seconds_per_100_decisions']:g} s per 100 decisions per GPU |",
              f"| work | {e['tokens_per_decision']:,.0f} tokens per decision: {e['cpu_core_hours']:,.0f} core-hours | "
              f"{e['gpu_one_hours']:,.1f} GPU-hours |",
              f"| one machine (one GPU) | {e['cpu_one_machine_hours']:,.1f} h | {e['gpu_one_hours']:,.1f} h |",
              f"| machines (GPUs) for {a['deadline_hours']:g} h | {e['cpu_machines']} | {e['gpus']} |",
              "", f"Ray's own cost per decision (per-batch overhead / documents per batch, 2 workers): "
                  f"{e['ray_overhead_per_decision_ms']:.2f} ms, against "
                  f"{1000 * e['tokens_per_decision'] / e['per_worker_tokens_per_s']:,.0f} ms of tagging on a CPU "
                  f"worker and {10 * a['gpu_seconds_per_100_decisions']:,.0f} ms on the article's GPU.",
              "", "## Machine", "",
              f"{env['cpu_model']}, {env['cpu_count']} cores; CPU flags: "
              + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in flags.items())
              + f"; Python {env['python']}, torch {env['torch']}, Ray {env['ray']}, fastner {env['git_commit']}; "
                f"{env['platform']}.", ""]
    return "\n".join(lines)


def write(data: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    from fastner.reports import write_json_and_markdown

    return write_json_and_markdown(data, render(data), out_dir, stem(data))

