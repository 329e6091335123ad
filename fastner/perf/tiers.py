"""Tiers: one trained tagger run by Flair 0.15.1, by fastner in fp32 and in reduced precision, and by ONNX
Runtime, timed side by side and compared for how far each one's outputs move from fastner's fp32.

The model is the trained benchmark model of the size (`fastner train-bench-model`, trained once per machine
and cached), so agreement is measured on scores that mean something; Flair runs the same weights
(`flair_tagger_from`). Every system first tags the workload once (the warm-up and the outputs compared), then
the systems are timed in interleaved rounds in rotating order, then each is checked to give the same outputs
again. Agreement (identical tags, span F1 against fp32's spans, largest confidence gap) is measured on the
timed workload; accuracy (micro F1) on the generator's unseen-template test split. Profiles are separate
runs after the timing. A row whose setup is missing (Flair or onnxruntime not installed, no bf16 on this
CPU) is kept with the reason.
"""

from __future__ import annotations

import contextlib
import cProfile
import dataclasses
import json
import os
import pstats
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from fastner.options import option
from fastner.perf.floor import prepare_floor
from fastner.perf.headtohead import flair_tagger_from
from fastner.perf.profile import top_functions
from fastner.perf.setup import environment, resolve_device
from fastner.perf.timing import interleaved_rounds
from fastner.perf.workloads import load_workload
from fastner.precision import PrecisionError, cpu_capabilities, resolve_precision
from fastner.reports import write_json_and_markdown
from fastner.switches import Switches
from fastner.text import Sentence

KIND = "tiers"
SIZES = ("cpu", "paper")  # the sizes with a benchmark-model recipe (fastner.train.benchmodel.RECIPES)
FLAIR, FP32, FLOOR = "flair-0.15.1", "fastner fastest fp32", "floor fp32 (unpadded, folded)"
PROFILE_ROWS = 10
GOALS = {"speed_vs_flair": 2.5, "identical_tags": 0.995, "span_f1": 0.995, "test_f1_points": 0.2}


@dataclass
class Output:
    """One sentence's outputs: raw BIOES tags (None for Flair, which gives spans), confidences, and spans as
    (first token, last token, label, start char, end char)."""

    tags: list[str] | None
    scores: list[float] | None
    spans: list[tuple[int, int, str, int, int]]


@dataclass
class System:
    """One row: a timed call over the workload, its outputs after a call, and its tags on token lists."""

    name: str
    note: str
    run: Callable[[], object] | None = None
    outputs: Callable[[], list[Output]] | None = None
    tag_tokens: Callable[[list[list[str]]], list[list[str]]] | None = None
    missing: str | None = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TiersOptions:
    """What `fastner tiers` measures and how (recorded in its JSON)."""

    workload: str = option("legal", "legal, conll, or a path (file: one sentence per line; directory: .txt "
                                    "documents)", "NAME")
    size: str = option("cpu", "size of the trained benchmark model (`fastner train-bench-model`)", choices=SIZES)
    device: str = option("cpu", "where fastner and Flair run (ONNX Runtime: the CPU)", choices=("cpu", "cuda"))
    batch_size: int = option(32, "predict's mini-batch size", "N")
    limit: int | None = option(None, "use the first N sentences of the workload", "N")
    rounds: int = option(5, "timed rounds per system", "N")
    threads: int | None = option(None, "torch intra-op threads, and ONNX Runtime's (default: torch's)", "N")
    cache: str | None = option(None, "where the trained model is cached (default: $FASTNER_CACHE or "
                                     "~/.cache/fastner)", "DIR")
    model: str | None = option(None, "measure this model directory instead of the trained benchmark model (no "
                                     "test-split scores then)", "DIR")


# --- outputs ------------------------------------------------------------------------------------------------

def _fastner_outputs(sentences: list[Sentence]) -> list[Output]:
    return [Output([t.tag for t in s], [t.score for t in s],
                   sorted((x.first_token, x.last_token, x.label, x.start, x.end) for x in s.spans)) for s in sentences]


def _flair_outputs(sentences) -> list[Output]:
    out = []
    for s in sentences:
        spans = sorted((x.tokens[0].idx - 1, x.tokens[-1].idx - 1, x.get_label("ner").value, x.start_position,
                        x.end_position) for x in s.get_spans("ner"))
        out.append(Output(None, None, spans))
    return out


def _span_tags(output: Output, n_tokens: int) -> list[str]:
    from fastner.train.conll import bioes_from_spans

    return bioes_from_spans(n_tokens, [(first, last, label) for first, last, label, _, _ in output.spans])


def _tags_from_spans(sentences: list[Sentence]) -> list[list[str]]:
    """BIOES tags rebuilt from each sentence's spans: what every row is scored on (Flair gives spans only)."""
    return [_span_tags(o, len(s)) for o, s in zip(_fastner_outputs(sentences), sentences)]


def agreement(got: list[Output], want: list[Output], lengths: list[int]) -> dict:
    """Identical tags (raw tags when both have them, else tags derived from spans), span precision/recall/F1
    against `want`'s spans (exact offsets and label), and the largest confidence gap."""
    same = total = 0
    for g, w, n in zip(got, want, lengths, strict=True):
        if g.tags is not None and w.tags is not None:
            a, b = g.tags, w.tags
        else:
            a, b = _span_tags(g, n), _span_tags(w, n)
        same += sum(x == y for x, y in zip(a, b))
        total += n
    gs = {(i, s) for i, o in enumerate(got) for s in o.spans}
    ws = {(i, s) for i, o in enumerate(want) for s in o.spans}
    tp = len(gs & ws)
    precision = tp / len(gs) if gs else 1.0
    recall = tp / len(ws) if ws else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    gaps = [abs(x - y) for g, w in zip(got, want) if g.scores is not None and w.scores is not None
            for x, y in zip(g.scores, w.scores)]
    return {"tokens": total, "identical_tags": same / total if total else 1.0, "tags_changed": total - same,
            "spans": len(gs), "reference_spans": len(ws), "span_precision": precision, "span_recall": recall,
            "span_f1": f1, "max_confidence_gap": max(gaps) if gaps else None,
            "tags_from": "raw tags" if got and got[0].tags is not None else "spans"}


# --- the systems ------------------------------------------------------------------------------------------

def _fastner_system(name: str, note: str, tagger, texts, batch_size: int, precision: str,
                    autocast: torch.dtype | None = None) -> System:
    try:
        resolve_precision("bf16" if autocast == torch.bfloat16 else precision, tagger.device)
    except PrecisionError as err:
        return System(name, note, missing=str(err))
    sentences = [Sentence(t) for t in texts]
    fastest = Switches.preset("fastest")

    def context():
        return torch.autocast(tagger.device.type, dtype=autocast) if autocast else contextlib.nullcontext()

    def run():
        with context():
            tagger.predict(sentences, batch_size, fastest, precision)
        if tagger.device.type == "cuda":
            torch.cuda.synchronize(tagger.device)

    def tag_tokens(token_lists):
        with context():
            out = tagger.predict([Sentence(list(t)) for t in token_lists], batch_size, fastest, precision)
        return _tags_from_spans(out)

    return System(name, note, run, lambda: _fastner_outputs(sentences), tag_tokens)


def _flair_system(tagger, texts, batch_size: int, directory: Path) -> System:
    note = "Flair 0.15.1 `predict` on the same weights (`flair_tagger_from`)"
    try:
        import flair
        import flair.data
    except ImportError:
        return System(FLAIR, note, missing="Flair is not installed (`pip install 'fastner[flair]'`)")
    flair.device = tagger.device
    flair_tagger = flair_tagger_from(tagger, directory)
    sentences = [flair.data.Sentence(t) for t in texts]

    def run():
        with torch.no_grad():
            flair_tagger.predict(sentences, mini_batch_size=batch_size)
        if tagger.device.type == "cuda":
            torch.cuda.synchronize(tagger.device)

    def tag_tokens(token_lists):
        flair_sentences = [flair.data.Sentence(list(t)) for t in token_lists]
        with torch.no_grad():
            flair_tagger.predict(flair_sentences, mini_batch_size=batch_size)
        return [_span_tags(o, len(t)) for o, t in zip(_flair_outputs(flair_sentences), token_lists)]

    return System(FLAIR, note, run, lambda: _flair_outputs(sentences), tag_tokens,
                  info={"flair": flair.__version__})


def _onnx_systems(tagger, texts, batch_size: int, directory: Path, threads: int) -> list[System]:
    fp32_note = "`fastner.onnx.export` graph in ONNX Runtime (CPU provider), fastner's host side and decoder"
    int8_note = ("the same graph after `onnxruntime.quantization.quantize_dynamic` (int8 weights per output "
                 "channel: LSTM, MatMul, Gather; activations quantized on the fly)")
    names = ("onnxruntime fp32", "onnxruntime int8 (dynamic)")
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ImportError:
        why = "onnx/onnxruntime are not installed (`pip install 'fastner[onnx]'`)"
        return [System(names[0], fp32_note, missing=why), System(names[1], int8_note, missing=why)]
    if tagger.device.type != "cpu":
        why = "ONNX rows run on the CPU provider only (onnxruntime-gpu is not used)"
        return [System(names[0], fp32_note, missing=why), System(names[1], int8_note, missing=why)]
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from fastner.onnx import OnnxTagger, export

    fp32_path = directory / "model.onnx"
    t0 = time.perf_counter()
    export(tagger, fp32_path)
    export_seconds = time.perf_counter() - t0
    int8_path = directory / "model-int8.onnx"
    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8, per_channel=True)
    out = []
    for name, note, path in ((names[0], fp32_note, fp32_path), (names[1], int8_note, int8_path)):
        engine = OnnxTagger.load(path, threads=threads)
        sentences = [Sentence(t) for t in texts]

        def tag_tokens(token_lists, engine=engine):
            return _tags_from_spans(engine.predict([Sentence(list(t)) for t in token_lists], batch_size))

        out.append(System(name, note, lambda e=engine, s=sentences: e.predict(s, batch_size),
                          lambda s=sentences: _fastner_outputs(s), tag_tokens,
                          info={"onnxruntime": onnxruntime.__version__, "file_mb": path.stat().st_size / 1e6,
                                "path": str(path), "export_seconds": export_seconds}))
    return out


# --- measuring ------------------------------------------------------------------------------------------

def run(options: TiersOptions) -> dict:
    """Build every system, check, time, compare, score and profile; return everything as a JSON-ready dict."""
    from fastner.tagger import SequenceTagger
    from fastner.train.benchmodel import command, ensure_bench_model, load_summary

    o = options
    if o.threads:
        torch.set_num_threads(o.threads)
    dev = resolve_device(o.device)
    load_begin = os.getloadavg()
    if o.model is None:
        model_dir = ensure_bench_model(o.size, o.cache, device=o.device)
        summary = load_summary(o.size, o.cache)
    else:
        model_dir, summary = Path(o.model), None
    tagger = SequenceTagger.load(model_dir).to(dev)
    wl = load_workload(o.workload, o.limit)
    texts = list(wl.sentences)
    lengths = [len(Sentence(t)) for t in texts]
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        systems = build_systems(tagger, texts, o.batch_size, Path(tmp), threads)
        active = [s for s in systems if s.missing is None]
        first: dict[str, list[Output]] = {}
        for s in active:  # the warm-up pass; its outputs are the ones compared
            s.run()
            if s.outputs:
                first[s.name] = s.outputs()
        times = interleaved_rounds({s.name: s.run for s in active}, o.rounds)
        for s in active:
            if s.outputs and s.outputs() != first[s.name]:
                raise AssertionError(f"{s.name}: outputs after the timed rounds differ from the first run's")
        agree = {name: agreement(out, first[FP32], lengths) for name, out in first.items()}
        if FLAIR in agree and agree[FLAIR]["span_f1"] != 1.0:
            raise AssertionError(f"Flair 0.15.1 on the same weights does not give fastner fp32's spans: {agree[FLAIR]}")
        test = _test_scores(active, summary)
        profiles = _profiles(active, o.batch_size, texts, threads)
    rows = [{"name": s.name, "note": s.note, "missing": s.missing, "times": times.get(s.name),
             "agreement": agree.get(s.name), "test": test.get(s.name),
             "info": {k: v for k, v in s.info.items() if k != "path"},
             "outputs_stable": True if s.outputs and s.missing is None else None} for s in systems]
    return {"kind": KIND, "options": dataclasses.asdict(o), "workload": wl.name, "size": o.size, "device": dev.type,
            "batch_size": o.batch_size, "rounds": o.rounds, "limit": o.limit, "n_tokens": sum(lengths),
            "n_sentences": len(texts),
            "workload_stats": wl.stats(lambda text: [t.text for t in Sentence(text)]), "rows": rows,
            "reference": FP32, "floor": FLOOR, "flair": FLAIR, "goals": GOALS, "profiles": profiles,
            "model": {"dir": str(model_dir), "command": command(o.size, o.cache) if o.model is None else None,
                      "summary": summary, "tags": tagger.tag_types, "embedding_dim": tagger.embedding_dim,
                      "hidden": tagger.hidden_size, "char_hidden": [e.lm.hidden_size for e in tagger.embeddings
                                                                   if hasattr(e, "lm")]},
            "environment": {**environment(dev), "cpu": cpu_capabilities(), "load_avg_begin": list(load_begin),
                            "load_avg_end": list(os.getloadavg())}}


def build_systems(tagger, texts: list[str], batch_size: int, directory: Path, threads: int) -> list[System]:
    """Every row, in report order; a row that cannot run here carries the reason."""
    reduced = "bf16" if tagger.device.type == "cpu" else "fp16"
    systems = [
        _flair_system(tagger, texts, batch_size, directory),
        _fastner_system(FP32, "`predict()` (the `fastest` preset), the exact reference", tagger, texts, batch_size,
                        "fp32"),
        _fastner_system(f"fastner fastest {reduced}", f"`predict(precision='{reduced}')`: weights converted once "
                        "(cached), CRF decoding in fp32", tagger, texts, batch_size, reduced),
    ]
    if tagger.device.type == "cuda":
        systems.append(_fastner_system("fastner fastest bf16", "`predict(precision='bf16')`", tagger, texts,
                                       batch_size, "bf16"))
    systems.append(_fastner_system(
        f"fastner fastest fp32 under torch.autocast({reduced})", "`predict()` wrapped in `torch.autocast` as is: "
        "weights cast per call, emissions and Viterbi in the reduced dtype", tagger, texts, batch_size, "fp32",
        torch.bfloat16 if reduced == "bf16" else torch.float16))
    systems += _onnx_systems(tagger, texts, batch_size, directory, threads)
    floor = prepare_floor(tagger, [Sentence(t) for t in texts], batch_size, "folded")
    systems.append(System(FLOOR, "bare LSTM and linear compute of fastest's batches (`fastner/perf/floor.py`)",
                          floor))
    return systems


def _test_scores(systems: list[System], summary: dict | None) -> dict:
    """Micro F1 on the unseen-template test split of the model's corpus, per system (not timed)."""
    if summary is None:
        return {}
    from fastner.train.conll import read_conll
    from fastner.train.metrics import span_scores

    test = read_conll(Path(summary["recipe"]["work"]) / "corpus" / "test.conll")
    gold = [s.tags for s in test]
    tokens = [s.tokens for s in test]
    out = {}
    for s in systems:
        if s.tag_tokens is not None:
            scores = span_scores(gold, s.tag_tokens(tokens))
            out[s.name] = {"sentences": len(test), "tokens": sum(map(len, gold)), "micro": scores["micro"],
                           "macro_f1": scores["macro"]["f1"]}
    return out


def _profiles(systems: list[System], batch_size: int, texts: list[str], threads: int) -> dict:
    """cProfile (top functions by own time) of the fastner rows, and ONNX Runtime's own per-node profile."""
    out = {}
    for s in systems:
        if s.name.startswith("fastner") and "autocast" not in s.name:
            profiler = cProfile.Profile()
            profiler.runcall(s.run)
            stats = pstats.Stats(profiler)
            out[s.name] = {"kind": "cprofile", "total_seconds": stats.total_tt,
                           "top": top_functions(stats, PROFILE_ROWS)}
        elif s.name.startswith("onnxruntime") and "path" in s.info:
            out[s.name] = _ort_profile(Path(s.info["path"]), texts, batch_size, threads)
    return out


def _ort_profile(path: Path, texts: list[str], batch_size: int, threads: int) -> dict:
    """ONNX Runtime's profiler over one pass: time per node (grouped: char LM LSTMs, BiLSTM, other ops by
    type), the sessions' run time, and what is left of the wall time for fastner's host side."""
    import onnxruntime

    from fastner.onnx import OnnxTagger

    with tempfile.TemporaryDirectory() as tmp:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "ort")
        engine = OnnxTagger.load(path, session_options=options)
        sentences = [Sentence(t) for t in texts]
        engine.predict(sentences[:batch_size], batch_size)  # warm-up
        t0 = time.perf_counter()
        engine.predict(sentences, batch_size)
        wall = time.perf_counter() - t0
        events = json.loads(Path(engine.session.end_profiling()).read_text(encoding="utf-8"))
    runs = sorted((e["ts"], e["dur"] / 1e6) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    measured = runs[1:]  # the first run is the warm-up batch
    groups: dict[str, float] = {}
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time") and measured \
                and e["ts"] >= measured[0][0]:
            node, op = e["name"][: -len("_kernel_time")], e.get("args", {}).get("op_name", "?")
            group = ("char LM LSTMs" if re.match(r"lm\d+\.layer", node) else
                     "BiLSTM" if node.startswith("bilstm.") else op)
            groups[group] = groups.get(group, 0.0) + e["dur"] / 1e6
    session = sum(d for _, d in measured)
    return {"kind": "onnxruntime", "wall_seconds": wall, "session_run_seconds": session,
            "host_seconds": wall - session, "runs": len(measured),
            "nodes": dict(sorted(groups.items(), key=lambda kv: -kv[1]))}


# --- the report -------------------------------------------------------------------------------------------

def stem(data: dict) -> str:
    """`tiers-{device}-{workload}` (a workload path gives its file stem)."""
    return file_stem(data["device"], data["workload"])


def file_stem(device: str, workload: str) -> str:
    name = workload if workload in ("legal", "conll") else Path(workload).stem
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"tiers-{device}-{name}")


def _median(row: dict) -> float | None:
    return float(np.median(row["times"])) if row.get("times") else None


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def render(data: dict) -> str:
    """Markdown for one tiers JSON (deterministic for a given JSON)."""
    rows = data["rows"]
    med = {r["name"]: _median(r) for r in rows}
    n = data["n_tokens"]
    flair, ref, floor = med.get(data["flair"]), med.get(data["reference"]), med.get(data["floor"])
    env, cpu, model = data["environment"], data["environment"]["cpu"], data["model"]
    summary = model["summary"]
    ref_test = next((r["test"] for r in rows if r["name"] == data["reference"]), None)
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in cpu["flags"].items())
    lines = [
        f"# Tiers: Flair 0.15.1, fastner fp32, reduced precision and ONNX Runtime, `{data['workload']}` workload, "
        f"`{data['size']}` model, {data['device'].upper()}", "",
        "Generated by `fastner tiers` from the JSON beside it: do not edit by hand.", "",
        f"One trained model ({_model_line(model)}), {data['n_sentences']} sentences ({n:,} tokens, pre-tokenized "
        f"before timing), `mini_batch_size={data['batch_size']}`, {data['rounds']} interleaved rounds in rotating "
        "order after one warm-up pass per system (whose outputs are the ones compared); every system gave the "
        "same outputs again after its timed rounds. Reduced precision is *outside* `Switches`' exactness "
        "contract: its rows are compared with fastner fp32 instead of being required to equal it.", "",
        "| system | median s | IQR s | tokens/s | vs Flair 0.15.1 | vs fastest fp32 | multiple of the fp32 floor | "
        "identical tags | span F1 vs fp32 | max conf. gap | test micro F1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = med[r["name"]]
        if m is None:
            lines.append(f"| {r['name']} | not run: {r['missing']} |  |  |  |  |  |  |  |  |  |")
            continue
        iqr = float(np.subtract(*np.percentile(r["times"], [75, 25])))
        a, t = r["agreement"], r["test"]
        cells = [r["name"], f"{m:.3f}", f"{iqr:.3f}", f"{n / m:,.0f}",
                 f"{flair / m:.2f}x" if flair else "n/a", f"{ref / m:.2f}x" if ref else "n/a",
                 f"{m / floor:.2f}x" if floor else "n/a",
                 _pct(a["identical_tags"]) + ("" if a["tags_from"] == "raw tags" else " (from spans)") if a else "",
                 f"{a['span_f1']:.4f}" if a else "",
                 f"{a['max_confidence_gap']:.1e}" if a and a["max_confidence_gap"] is not None else "",
                 f"{t['micro']['f1']:.4f}" if t else ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "What each row runs:", ""]
    lines += [f"- **{r['name']}**: {r['note']}." for r in rows]
    lines += ["", "Identical tags: the share of the workload's tokens whose BIOES tag equals fastner fp32's (Flair "
              "gives spans, so its row compares tags rebuilt from spans). Span F1: exact character offsets and "
              "label against fp32's spans. Max conf. gap: the largest difference of a token's confidence. Test "
              "micro F1: CoNLL span F1 on the generator's unseen-template test split, of the spans each system returns "
              "(rebuilt as tags, the same way for every row; the training record below scores raw tags)"
              + (f" ({ref_test['sentences']} sentences, {ref_test['tokens']:,} tokens; not timed)." if ref_test
                 else " (not measured: the model was given with --model, without its corpus)."), ""]
    lines += _goals(data, rows, med)
    lines += _capabilities(cpu, flags)
    lines += _profile_section(data, med)
    lines += _model_section(model, summary)
    lines += ["## Machine", "",
              f"{env['cpu_model']}, {env['cpu_count']} cores, {env['torch_threads']} torch threads (ONNX Runtime: "
              f"the same number of intra-op threads); Python {env['python']}, torch {env['torch']}, numpy "
              f"{env['numpy']}" + "".join(f", {k} {v}" for k, v in sorted(_versions(rows).items()))
              + f"; fastner {env['git_commit']}. "
              f"Load average (1, 5, 15 min) {_load(env['load_avg_begin'])} at the start, "
              f"{_load(env['load_avg_end'])} at the end (other jobs share this machine).", ""]
    return "\n".join(lines)


def _versions(rows: list[dict]) -> dict:
    return {k: v for r in rows for k, v in r["info"].items() if k in ("flair", "onnxruntime")}


def _load(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _model_line(model: dict) -> str:
    return (f"char LMs hidden {', '.join(map(str, model['char_hidden']))}, embeddings {model['embedding_dim']}-d "
            f"per token, BiLSTM hidden {model['hidden']}, {len(model['tags'])} entity types")


def _goals(data: dict, rows: list[dict], med: dict) -> list[str]:
    goals, flair = data["goals"], med.get(data["flair"])
    reduced = next((r for r in rows if r["name"].startswith("fastner fastest") and r["name"] != data["reference"]
                    and "autocast" not in r["name"]), None)
    ref_test = next((r["test"] for r in rows if r["name"] == data["reference"]), None)
    lines = ["## Goals", ""]
    if reduced is None or med.get(reduced["name"]) is None:
        why = reduced["missing"] if reduced else "no reduced-precision row"
        return [*lines, f"Not measured: {why}.", ""]
    a, t, m = reduced["agreement"], reduced["test"], med[reduced["name"]]
    checks = []
    if flair:
        speed = flair / m
        checks.append((f"{reduced['name']} at least {goals['speed_vs_flair']}x Flair 0.15.1", f"{speed:.2f}x",
                       speed >= goals["speed_vs_flair"]))
    checks.append((f"identical tags at least {_pct(goals['identical_tags'])}", _pct(a["identical_tags"]),
                   a["identical_tags"] >= goals["identical_tags"]))
    checks.append((f"span F1 against fp32 at least {goals['span_f1']}", f"{a['span_f1']:.4f}",
                   a["span_f1"] >= goals["span_f1"]))
    if t and ref_test:
        delta = 100 * (t["micro"]["f1"] - ref_test["micro"]["f1"])
        checks.append((f"test micro F1 within {goals['test_f1_points']} points of fp32", f"{delta:+.2f} points",
                       abs(delta) <= goals["test_f1_points"]))
    lines += ["| goal (from the issue) | measured | met |", "|---|---|---|"]
    lines += [f"| {goal} | {value} | {'yes' if ok else '**no**'} |" for goal, value, ok in checks]
    return [*lines, ""]


def _capabilities(cpu: dict, flags: str) -> list[str]:
    return ["## CPU capabilities", "",
            f"/proc/cpuinfo flags: {flags if cpu['flags_read'] else 'not readable'}. PyTorch: CPU capability "
            f"`{cpu['torch_cpu_capability']}`, oneDNN (mkldnn) {'available' if cpu['mkldnn'] else 'absent'}, "
            f"`torch.ops.mkldnn._is_mkldnn_bf16_supported()` = {cpu['torch_bf16_supported']}. "
            "`precision='bf16'` needs the last one (else it raises); it is fast only with native bf16 dot products "
            "(avx512_bf16 or amx_bf16): with AVX512 alone oneDNN emulates them.", ""]


def _profile_section(data: dict, med: dict) -> list[str]:
    profiles = data.get("profiles") or {}
    if not profiles:
        return []
    lines = ["## Where the time goes", "",
             "Separate runs after the timing. fastner rows: cProfile, top functions by own time (cProfile adds its "
             "own cost to every Python call; `torch.lstm` and `linear` are the compute). ONNX Runtime rows: its own "
             "profiler, kernel time per node group, summed over one pass; the rest of the wall time is fastner's "
             "host side (char indexing, word lookups, feeding, Viterbi).", ""]
    lines += _onnx_explanation(data, med)
    for name, p in profiles.items():
        if p["kind"] == "cprofile":
            lstm = sum(f["tottime"] for f in p["top"] if f["function"] == "<built-in method torch.lstm>")
            lines += [f"### {name}: {p['total_seconds']:.2f} s profiled, `torch.lstm` {lstm:.2f} s "
                      f"({lstm / p['total_seconds']:.0%})", "",
                      "| function | calls | own s | share |", "|---|---|---|---|"]
            lines += [f"| `{f['function']}` | {f['ncalls']:,} | {f['tottime']:.3f} | {f['share']:.1%} |"
                      for f in p["top"]]
        else:
            lines += [f"### {name}: {p['wall_seconds']:.2f} s wall, {p['session_run_seconds']:.2f} s in "
                      f"{p['runs']} session runs, {p['host_seconds']:.2f} s host side", "",
                      "| node group | kernel s | share of session runs |", "|---|---|---|"]
            lines += [f"| {g} | {s:.3f} | {s / p['session_run_seconds']:.1%} |" for g, s in p["nodes"].items()]
        lines.append("")
    return lines


def _onnx_explanation(data: dict, med: dict) -> list[str]:
    """ONNX Runtime fp32 against fastest fp32, from the two profiles: LSTM kernels, other kernels, host side."""
    profiles = data.get("profiles") or {}
    ort, ref = profiles.get("onnxruntime fp32"), profiles.get(data["reference"])
    if not ort or not ref or med.get("onnxruntime fp32") is None or med.get(data["reference"]) is None:
        return []
    ort_lstm = ort["nodes"].get("char LM LSTMs", 0.0) + ort["nodes"].get("BiLSTM", 0.0)
    torch_lstm = sum(f["tottime"] for f in ref["top"] if f["function"] == "<built-in method torch.lstm>")
    ort_rest = ort["session_run_seconds"] - ort_lstm
    ratio = med[data["reference"]] / med["onnxruntime fp32"]
    ort_share, torch_share = ort_lstm / ort["wall_seconds"], torch_lstm / ref["total_seconds"]
    lm_s, bilstm_s = ort["nodes"].get("char LM LSTMs", 0.0), ort["nodes"].get("BiLSTM", 0.0)
    verdict = ("so each engine runs at the speed of its LSTM kernels, and removing overhead cannot change the "
               "ranking" if min(ort_share, torch_share) >= 0.8 else "so the time outside the LSTM kernels matters "
               "as much as the kernels")
    return [f"**ONNX Runtime fp32 against fastest fp32** ({ratio:.2f}x in the timed rounds): one pass spends "
            f"{ort_lstm:.2f} s in ONNX Runtime's LSTM kernels (char LMs {lm_s:.2f} s, BiLSTM {bilstm_s:.2f} s) "
            f"where fastest spends {torch_lstm:.2f} s in `torch.lstm` ({ort_lstm / torch_lstm:.2f}x); ONNX "
            f"Runtime's other kernels take {ort_rest:.2f} s and fastner's host side around them "
            f"{ort['host_seconds']:.2f} s, where fastest's time outside `torch.lstm` is "
            f"{ref['total_seconds'] - torch_lstm:.2f} s (profiled, so inflated by cProfile). The LSTM kernels are "
            f"{ort_share:.0%} of ONNX Runtime's pass and {torch_share:.0%} of fastest's, {verdict}.", ""]


def _model_section(model: dict, summary: dict | None) -> list[str]:
    lines = ["## The trained model", ""]
    if summary is None:
        return [*lines, f"Given with `--model {model['dir']}`: no training record.", ""]
    recipe, config, test = summary["recipe"], summary["train_config"], summary["test"]
    lines += [f"Built by `{model['command']}` (once per machine, then cached in `{model['dir']}`), which runs the "
              f"bundled model's recipe (`fastner.train.recipe`) at this size: "
              f"{recipe['train_docs']} training, {recipe['dev_docs']} dev and {recipe['test_docs']} test "
              f"documents (seed {recipe['seed']}), char LMs hidden {recipe['lm_hidden']} over "
              f"{recipe['lm_embedding']}-d character embeddings trained {recipe['lm_epochs']} epoch(s) on "
              f"{recipe['lm_docs']} documents, {config['word_dim']}-d learned word vectors, BiLSTM hidden "
              f"{config['hidden_size']}, at most {config['epochs']} epochs. A small corpus and few epochs, so that it "
              "trains in minutes on a 2-core CPU: its scores are those of a quickly trained model, enough to give "
              "its outputs meaning, not a tuned one.", "",
              f"Training time: **{summary['train_wall_s'] / 60:.1f} min wall**, {summary['train_cpu_s'] / 60:.1f} min "
              f"CPU, {summary['threads']} threads, torch {summary['torch']}; stages: "
              + ", ".join(f"{k} {v:.0f} s" for k, v in summary["stages_s"].items()) + ". Best dev micro F1 "
              f"{summary['best_dev_f1']:.4f}; LM dev perplexity: "
              + "; ".join(f"{k} {h[-1]['dev_perplexity']:.2f}" for k, h in summary["lm_history"].items()) + ".", "",
              f"Test split (unseen templates and names, {test['sentences']} sentences, {test['tokens']:,} tokens), "
              "fastner fp32 at the end of training:", "",
              "| type | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for kind, s in sorted(test["per_type"].items()):
        lines.append(f"| {kind} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |")
    for label in ("micro", "macro"):
        s = test[label]
        lines.append(f"| **{label}** | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |")
    return [*lines, ""]


def write(data: dict, out_dir: Path) -> tuple[Path, Path]:
    return write_json_and_markdown(data, render(data), out_dir, stem(data))
