"""The `fastner` command: thin argument parsing over the package's functions."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPORTS = Path("reports")


def _add_bench_options(p: argparse.ArgumentParser) -> None:
    from fastner.options import add_arguments
    from fastner.perf.options import WORKLOAD, BenchOptions

    add_arguments(p, BenchOptions, only=WORKLOAD)


def _add_timing_options(p: argparse.ArgumentParser) -> None:
    from fastner.options import add_arguments
    from fastner.perf.options import TIMING, BenchOptions

    add_arguments(p, BenchOptions, only=TIMING)


def group_name(device: str, size: str, workload: str) -> str:
    """File-name stem of a (device, size, workload) group: `cpu-cpu-legal`."""
    stem = Path(workload).stem if workload not in ("legal", "conll") else workload
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{device}-{size}-{stem}")


def cmd_bench(args) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    from fastner.options import from_args
    from fastner.perf.options import BenchOptions

    options = from_args(BenchOptions, args)
    json_path = out_dir / f"{group_name(args.device, args.size, args.workload)}-{args.mode}.json"
    command = [sys.executable, "-m", "pytest", str(REPO / "bench"), "-o", "addopts=", "-p", "no:cacheprovider",
               "-q", "--benchmark-enable", f"--benchmark-json={json_path}", "--benchmark-sort=name",
               *options.pytest_args()]
    code = subprocess.call(command, cwd=REPO)
    if code == 0:
        print(f"saved {json_path}")
    return code


def cmd_report(args) -> int:
    from fastner.reports import render_all

    for path in render_all([Path(p) for p in args.json], Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_profile(args) -> int:
    from fastner.perf.ladder import configs
    from fastner.perf.profile import profile_config
    from fastner.perf.setup import build_setup
    from fastner.switches import Switches

    if args.preset:
        name, switches = args.preset, Switches.preset(args.preset)
    else:
        steps = {c.name: c.switches for c in configs("ladder")}
        if args.step not in steps:
            raise SystemExit(f"unknown step {args.step!r}: expected one of {', '.join(steps)}")
        name, switches = args.step, steps[args.step]
    setup = build_setup(args.workload, args.size, args.device, args.batch_size, args.limit)
    for kind, path in profile_config(setup, switches, Path(args.out), name).items():
        print(f"{kind}: {path}")
    return 0


def cmd_ablation(args) -> int:
    """The main job: bench (the ladder by default), profile baseline and fastest, render the report."""
    data = REPORTS / "data"
    args.out = str(data)
    code = cmd_bench(args)
    if code:
        return code
    group = group_name(args.device, args.size, args.workload)
    for preset in ("baseline", "fastest"):
        code = cmd_profile(argparse.Namespace(preset=preset, step=None, workload=args.workload, size=args.size,
                                              device=args.device, batch_size=args.batch_size, limit=args.limit,
                                              out=str(data / "profiles" / group)))
    return cmd_report(argparse.Namespace(json=[str(data / f"{group}-{args.mode}.json")], out=str(REPORTS)))


def cmd_head_to_head(args) -> int:
    from fastner.perf.headtohead import run, write

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = run(args.workload, args.size, args.rounds, args.batch_size, args.limit)
    for path in write(data, Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_sweep(args) -> int:
    from fastner.devices import resolve_device
    from fastner.options import from_args
    from fastner.perf.sweep import SweepOptions, run, write

    try:
        options = from_args(SweepOptions, args)
    except ValueError as err:
        raise SystemExit(f"fastner sweep: {err}") from None
    resolve_device(options.device)  # a clear error before any work where there is no GPU
    try:
        data = run(options)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"fastner sweep: {err}") from None
    for path in write(data, Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_tag_overhead(args) -> int:
    from fastner.apps.tag_overhead import measure, write

    for path in write(measure(args.size, args.repeats), Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_tiers(args) -> int:
    from fastner.options import from_args
    from fastner.perf.tiers import TiersOptions, run, write

    data = run(from_args(TiersOptions, args))
    for path in write(data, Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_scale_ray(args) -> int:
    from fastner.apps.runs import UsageError
    from fastner.apps.scale_ray import measure, write

    try:
        data = measure(args.docs, args.rounds, args.model, args.batch_docs)
    except UsageError as err:
        print(f"fastner scale-ray: error: {err}", file=sys.stderr)
        return 2
    for path in write(data, Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_export_onnx(args) -> int:
    from fastner.io import ModelFileError
    from fastner.onnx import export
    from fastner.tagger import SequenceTagger

    try:
        tagger = SequenceTagger.load(args.model_dir)
    except ModelFileError as err:
        print(f"fastner export-onnx: {err}", file=sys.stderr)
        return 2
    path = export(tagger, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); tag with fastner.onnx.OnnxTagger.load({str(path)!r})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastner", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bench", help="run the pytest-benchmark ablation suite, save its JSON")
    _add_bench_options(p)
    _add_timing_options(p)
    p.add_argument("--out", default=str(REPORTS / "data"))
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("report", help="render markdown reports from their saved JSON, every kind (no measuring)")
    p.add_argument("json", nargs="+")
    p.add_argument("--out", default=str(REPORTS))
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("profile", help="cProfile (.prof for snakeviz) and line_profiler report of one config")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--preset")
    which.add_argument("--step", help="a ladder step: a patch id such as 09-no-clone")
    _add_bench_options(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("ablation", help="the main job: bench, profiles of baseline and fastest, report")
    _add_bench_options(p)
    _add_timing_options(p)
    p.set_defaults(func=cmd_ablation, limit=60, mode="ladder", rounds=3)

    p = sub.add_parser("head-to-head", help="Flair 0.15.1 vs fastner on the same weights (needs the flair extra)")
    _add_bench_options(p)
    from fastner.options import add_arguments
    from fastner.perf.options import BenchOptions

    add_arguments(p, BenchOptions, only=("rounds", "threads"))
    p.add_argument("--out", default=str(REPORTS))
    p.set_defaults(func=cmd_head_to_head, rounds=5)

    p = sub.add_parser("sweep", help="baseline, flair-0.4.4 and fastest at several model sizes, against their "
                                     "compute share; the ladder at one size; a cost model fitted on them")
    from fastner.options import add_arguments
    from fastner.perf.sweep import SweepOptions

    add_arguments(p, SweepOptions)
    p.add_argument("--out", default=str(REPORTS))
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("tag-overhead", help="time `fastner tag` against predict alone on the legal workload")
    p.add_argument("--size", default="cpu", choices=["tiny", "cpu", "paper"])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=str(REPORTS))
    p.set_defaults(func=cmd_tag_overhead)

    p = sub.add_parser("tiers", help="Flair 0.15.1, fastner fp32, bf16/fp16 and ONNX Runtime on the trained benchmark "
                                     "model: speed and agreement side by side (trains the model once if needed)")
    from fastner.perf.tiers import TiersOptions

    add_arguments(p, TiersOptions)
    p.add_argument("--out", default=str(REPORTS), help="reports directory (the JSON goes to OUT/data/)")
    p.set_defaults(func=cmd_tiers)

    p = sub.add_parser("export-onnx", help="export a model as one .onnx file for ONNX Runtime (needs the onnx extra)")
    p.add_argument("model_dir", help="a fastner model directory (config.json + model.safetensors)")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.set_defaults(func=cmd_export_onnx)

    p = sub.add_parser("scale-ray", help="local engine vs Ray workers on the legal workload (needs the ray extra)")
    p.add_argument("--docs", type=int, default=280, help="documents: the legal workload's, repeated (default 280)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--model", default=None, help="model directory (default: the bundled model)")
    p.add_argument("--batch-docs", type=int, default=8, help="documents per Ray batch at most")
    p.add_argument("--out", default=str(REPORTS))
    p.set_defaults(func=cmd_scale_ray)

    from fastner.apps.cli import register as register_apps
    from fastner.interop.cli import register as register_interop
    from fastner.serve.cli import register as register_serve
    from fastner.train.cli import register as register_train

    register_train(sub)
    register_apps(sub)
    register_interop(sub)
    register_serve(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
