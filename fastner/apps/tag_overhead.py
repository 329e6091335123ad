"""Report of `fastner tag`'s overhead over `predict` alone (fastest preset, same text, same model)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from fastner.apps.documents import split_sentences
from fastner.apps.pipeline import Settings, run_collection
from fastner.perf.setup import environment, workload_vocab
from fastner.perf.timing import interleaved_rounds
from fastner.perf.workloads import load_workload
from fastner.reports import write_json_and_markdown
from fastner.switches import Switches
from fastner.synth.labels import LABELS
from fastner.tagger import SequenceTagger
from fastner.text import Sentence


def measure(size: str = "cpu", repeats: int = 5) -> dict:
    return {"kind": "tag-overhead", "size": size, "repeats": repeats,
            "result": measure_tag_overhead(size=size, repeats=repeats),
            "environment": environment(torch.device("cpu"))}


def measure_tag_overhead(tagger=None, documents: list[str] | None = None, *, size: str = "cpu",
                         switches=None, mini_batch_size: int = 32, repeats: int = 3, review: bool = True,
                         html: bool = False, fmt: str = "jsonl", workdir: str | Path | None = None) -> dict[str, Any]:
    """Time `tagger.predict` alone against the whole `fastner tag` pipeline on the same text.

    `documents`: texts (default: the bundled `legal` workload, one text per document, its sentences one per
    line); `tagger`: default a random model of `size` over the workload's vocabulary (as the benchmark
    builds). Predict alone is timed on exactly the sentences the pipeline splits, given as strings (so it
    tokenizes, as the pipeline must) and as pre-tokenized Sentences; the pipeline is timed end to end
    (files written, read, hashed, split, tagged, outputs and review checklists written and committed: the
    command's defaults; `review=False`, `html=True`, `fmt` change that). The three run in `repeats`
    interleaved rounds (`interleaved_rounds`); each keeps its best round.
    Returns seconds (wall clock, and process CPU time, steadier on a shared machine), tokens, and
    `overhead` = pipeline / predict(strings) - 1 (`overhead_cpu` the same in CPU time).
    """
    switches = switches or Switches.preset("fastest")
    if documents is None or tagger is None:
        workload = load_workload("legal")
        if documents is None:
            documents = ["\n".join(doc) + "\n" for doc in workload.documents]
        if tagger is None:
            tagger = SequenceTagger.random(size, LABELS, seed=0, vocab=workload_vocab(workload))
    settings = Settings(mode="tag", format=fmt, html=html, review=review, mini_batch_size=mini_batch_size,
                        switches=switches)
    sentences = [text for doc in documents for _, text in split_sentences([doc], settings.max_sentence_chars)]
    tokens = sum(len(s) for s in tagger.predict(sentences, mini_batch_size, switches))  # warm-up

    prebuilt = [Sentence(s) for s in sentences]
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for i, doc in enumerate(documents):
            (inputs / f"doc{i:05d}.txt").write_text(doc, encoding="utf-8")
        runs = iter(range(repeats))

        def pipeline() -> None:
            out = Path(tmp) / f"out{next(runs)}"
            report = run_collection([str(inputs)], out, tagger, "overhead", settings, quiet=True)
            if report.failed or report.tokens != tokens:
                raise RuntimeError(f"pipeline run differs: {report}")

        cpu: dict[str, list[float]] = {}
        wall = interleaved_rounds({"predict": lambda: tagger.predict(sentences, mini_batch_size, switches),
                                   "predict_pretokenized": lambda: tagger.predict(prebuilt, mini_batch_size, switches),
                                   "pipeline": pipeline}, repeats, cpu_seconds=cpu)
    # the smallest of the rounds: the run least disturbed by the rest of the machine
    predict_s, predict_pre_s, pipeline_s = (min(wall[k]) for k in ("predict", "predict_pretokenized", "pipeline"))
    predict_cpu, predict_pre_cpu, pipeline_cpu = (min(cpu[k]) for k in ("predict", "predict_pretokenized",
                                                                         "pipeline"))
    return {
        "documents": len(documents), "sentences": len(sentences), "tokens": tokens,
        "predict_s": predict_s, "predict_pretokenized_s": predict_pre_s, "pipeline_s": pipeline_s,
        "overhead": pipeline_s / predict_s - 1.0, "overhead_vs_pretokenized": pipeline_s / predict_pre_s - 1.0,
        "predict_cpu_s": predict_cpu, "predict_pretokenized_cpu_s": predict_pre_cpu, "pipeline_cpu_s": pipeline_cpu,
        "overhead_cpu": pipeline_cpu / predict_cpu - 1.0,
        "settings": {"format": fmt, "review": review, "html": html, "mini_batch_size": mini_batch_size,
                     "repeats": repeats},
    }


def render(data: dict) -> str:
    r, env = data["result"], data["environment"]
    rows = [("predict (strings: tokenizes)", r["predict_s"], r["predict_cpu_s"]),
            ("predict (pre-tokenized Sentences)", r["predict_pretokenized_s"], r["predict_pretokenized_cpu_s"]),
            ("fastner tag (files in, JSONL + review out)", r["pipeline_s"], r["pipeline_cpu_s"])]
    lines = [f"# `fastner tag` overhead over `predict`, bundled `legal` workload, `{data['size']}` model, CPU", "",
             "Generated by `fastner tag-overhead` from the JSON beside it: do not edit by hand. Preset `fastest`, "
             f"best of {data['repeats']} interleaved rounds each; {r['documents']} documents, "
             f"{r['sentences']} sentences, {r['tokens']:,} tokens.", "",
             "| what | wall s | CPU s | tokens/s (wall) |", "|---|---|---|---|"]
    lines += [f"| {name} | {wall:.3f} | {cpu:.3f} | {r['tokens'] / wall:,.0f} |" for name, wall, cpu in rows]
    lines += ["", f"Overhead of the whole pipeline over predict on strings: **{100 * r['overhead']:+.1f}%** wall, "
                  f"{100 * r['overhead_cpu']:+.1f}% CPU time (target: within 10%); over pre-tokenized predict: "
                  f"{100 * r['overhead_vs_pretokenized']:+.1f}% wall.", "",
              f"Machine: {env['cpu_model']}, {env['cpu_count']} cores, {env['torch_threads']} torch threads; "
              f"torch {env['torch']}, fastner {env['git_commit']}.", ""]
    return "\n".join(lines)


def stem(data: dict) -> str:
    return f"tag-overhead-cpu-{data['size']}"


def write(data: dict, out_dir: Path) -> tuple[Path, Path]:
    return write_json_and_markdown(data, render(data), out_dir, stem(data))
