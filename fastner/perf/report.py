"""Markdown speed reports rendered from saved pytest-benchmark JSON (and saved profiles) only.

Nothing is measured here, and nothing depends on the clock: the same JSON renders byte-identical markdown.
One report per (device, model size, workload) group, with a PNG plot of the ladder beside it.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

COUNTER_COLUMNS = [("torch_ops", "torch ops"), ("syncs", "host syncs"), ("h2d", "H2D copies"),
                   ("h2d_bytes", "H2D KB"), ("d2h", "D2H copies"), ("clone_cat_calls", "clone/cat calls"),
                   ("clone_cat_bytes", "clone/cat KB"), ("python_calls", "Python calls")]


def _group_key(data: dict) -> tuple[str, str, str, str]:
    o = data["fastner"]["options"]
    return o["device"], o["size"], data["fastner"]["workload"], o["mode"]


def report_stem(device: str, size: str, workload: str, mode: str) -> str:
    """`cpu-cpu-legal` for the ladder (the main job's default report), `cpu-cpu-legal-all` for other modes."""
    return f"{device}-{size}-{workload}" + ("" if mode == "ladder" else f"-{mode}")


def render_reports(json_paths: list[Path], out_dir: Path) -> list[Path]:
    """Render one markdown report (and one PNG) per device, size, workload and mode found in the JSON files;
    return the paths."""
    groups: dict[tuple, list[tuple[Path, dict]]] = defaultdict(list)
    for path in json_paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise SystemExit(f"{path}: not a readable benchmark JSON ({err})") from None
        if "fastner" not in data or "benchmarks" not in data:
            raise SystemExit(f"{path}: not a fastner bench JSON (run `fastner bench` to make one)")
        groups[_group_key(data)].append((path, data))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for key, items in sorted(groups.items()):
        stem = report_stem(*key)
        report = Report(items, out_dir, stem, profiles=report_stem(*key[:3], "ladder"))
        md_path = out_dir / f"{stem}.md"
        md_path.write_text(report.markdown(), encoding="utf-8")
        written.append(md_path)
        png = report.plot()
        if png:
            written.append(png)
    return written


def write_json_and_markdown(data: dict, markdown: str, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Save a measurement's JSON under `out_dir/data/` and the markdown rendered from it beside."""
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "data" / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _int(x: float) -> str:
    return f"{x:,.0f}"


COMPUTE_FUNCTIONS = ("<built-in method torch.lstm>", "<built-in method torch._C._nn.linear>")


class Report:
    """One group's report. Later JSON files override earlier ones for the same configuration."""

    def __init__(self, items: list[tuple[Path, dict]], out_dir: Path, stem: str, profiles: str) -> None:
        self.out_dir, self.stem, self.profiles = out_dir, stem, profiles  # profiles: the group's profile folder
        self.sources = [p for p, _ in items]
        self.data = items[-1][1]
        self.meta = self.data["fastner"]
        self.patches = self.meta["patches"]
        self.entries: dict[tuple[str, str], dict] = {}
        for _, data in items:
            for b in data["benchmarks"]:
                info = b["extra_info"]
                mode = info.get("mode", info.get("kind"))
                self.entries[(mode, info["name"])] = b
        self.n_tokens = self.meta["n_tokens"]

    # --- data helpers ------------------------------------------------------------------------------------

    def median(self, mode: str, name: str) -> float | None:
        b = self.entries.get((mode, name))
        return b["stats"]["median"] if b else None

    def baseline(self) -> float | None:
        return self.median("baseline", "baseline")

    def fastest(self) -> float | None:
        last = self.patches[-1]["id"]
        return self.median("ladder", last)

    def milestone_median(self, milestone: str) -> float | None:
        if milestone == "baseline":
            return self.baseline()
        for p in self.patches:
            if p.get("milestone") == milestone:
                return self.median("ladder", p["id"])
        return None

    # --- sections ------------------------------------------------------------------------------------------

    def markdown(self) -> str:
        o = self.meta["options"]
        sources = ", ".join(f"[{p.name}]({os.path.relpath(p, self.out_dir)})" for p in self.sources)
        parts = [
            f"# fastner ablation: `{self.meta['workload']}` workload, `{o['size']}` model, {o['device']}",
            "",
            f"Generated by `fastner report` from {sources}: do not edit by hand. Every timed configuration "
            "first produced the baseline's tags (confidences within 1e-4) on the whole workload, and again "
            "after its timed rounds.",
            "",
            *self.section_summary(),
            *self.section_machine(),
            *self.section_workload(),
            *self.section_serving(),
            *self.section_ladder(),
            *self.section_counters(),
            *self.section_flair_ratio(),
            *self.section_floor(),
            *self.section_one_on(),
            *self.section_leave_one_out(),
            *self.section_profiles(),
            *self.section_cpu_vs_gpu(),
            *self.section_reproduce(),
        ]
        return "\n".join(parts).rstrip() + "\n"

    def section_summary(self) -> list[str]:
        base, f44, fast = self.baseline(), self.milestone_median("flair-0.4.4"), self.fastest()
        floor = self.median("floor", "floor-unpadded")
        lines = ["## Summary", ""]
        if base:
            lines.append(f"- baseline (Flair 0.4.3 behaviour): {_fmt(base)} s median, "
                         f"{_int(self.n_tokens / base)} tokens/s")
        if base and f44:
            lines.append(f"- flair-0.4.4 (every 2019 change): {_fmt(f44)} s, {_int(self.n_tokens / f44)} tokens/s, "
                         f"**{base / f44:.2f}x** the baseline")
        if base and fast:
            lines.append(f"- fastest (all of fastner): {_fmt(fast)} s, {_int(self.n_tokens / fast)} tokens/s, "
                         f"**{base / fast:.2f}x** the baseline" + (f", {f44 / fast:.2f}x flair-0.4.4" if f44 else ""))
        if floor and fast:
            lines.append(f"- compute floor (LSTMs and linears alone, unpadded): {_fmt(floor)} s; fastest runs at "
                         f"**{fast / floor:.2f}x** the floor")
        return [*lines, ""]

    def section_machine(self) -> list[str]:
        mi = self.data["machine_info"]
        env = mi.get("fastner", {})
        o = self.meta["options"]
        rows = [("CPU", env.get("cpu_model", mi.get("cpu", {}).get("brand_raw", "unknown"))),
                ("cores available", env.get("cpu_count")), ("torch threads", env.get("torch_threads")),
                ("GPU", env.get("gpu", "none")), ("python", env.get("python")), ("torch", env.get("torch")),
                ("numpy", env.get("numpy")), ("platform", env.get("platform")),
                ("fastner commit", env.get("git_commit")), ("measured at", self.data.get("datetime")),
                ("pytest-benchmark", self.data.get("version")),
                ("rounds per configuration", o["rounds"]), ("mini-batch size", o["batch_size"])]
        return ["## Machine and versions", "", "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]

    def section_workload(self) -> list[str]:
        s, m = self.meta["workload_stats"], self.meta["model"]
        d = s["sentence_tokens"]
        lines = ["## Workload and model", "",
                 f"`{self.meta['workload']}`" + (f" (first {self.meta['options']['limit']} sentences)"
                                                 if self.meta["options"]["limit"] else "")
                 + f": {s['n_documents']} documents, {s['n_sentences']} sentences, {_int(s['n_tokens'])} tokens, "
                 f"{_int(s['n_chars'])} characters. Sentence length in tokens: min {d['min']}, median {d['p50']:g}, "
                 f"mean {_fmt(d['mean'], 1)}, p95 {d['p95']:.0f}, max {d['max']}.", "",
                 "| tokens | sentences |", "|---|---|"]
        lines += [f"| {lo}-{hi if hi is not None else ''} | {n} |" for lo, hi, n in d["histogram"] if n]
        embeddings = ", ".join(f"{e['name']} ({e['dim']})" for e in m["embeddings"])
        lines += ["", f"Model `{m['size']}` (random weights): embeddings {embeddings}, D = {m['embedding_dim']}, "
                      f"BiLSTM hidden {m['hidden_size']}, {m['tags']} tags, CRF {m['use_crf']}, "
                      f"{_int(m['parameters'])} parameters (word vectors excluded).", ""]
        return lines

    def section_ladder(self) -> list[str]:
        base = self.baseline()
        lines = ["## The ladder (cumulative)", "",
                 "Each step adds one patch (`patches/`) to all the previous ones. *Step gain* is the previous "
                 "step's median over this one's; *upstream* is what the PR reported on a GPU (other workloads "
                 "and machines, so compare orders of magnitude, not digits); *predicted* was written in the "
                 "patch file before measuring.", "",
                 "| step | change | PR | median s | IQR s | tokens/s | vs baseline | step gain | upstream (GPU) "
                 "| predicted (CPU) |", "|---|---|---|---|---|---|---|---|---|---|"]
        b = self.entries.get(("baseline", "baseline"))
        if b:
            st = b["stats"]
            lines.append(f"| baseline | Flair 0.4.3 | | {_fmt(st['median'])} | {_fmt(st['iqr'])} | "
                         f"{_int(self.n_tokens / st['median'])} | 1.00x | | | |")
        previous = base
        for p in self.patches:
            b = self.entries.get(("ladder", p["id"]))
            if not b:
                continue
            st = b["stats"]
            upstream = f"{p['upstream']}" + (f" ({p['upstream_ratio']:.2f}x)" if p.get("upstream_ratio") else "")
            name = f"**{p['id']}** ({p['milestone']})" if p.get("milestone") else p["id"]
            gain = f"{previous / st['median']:.2f}x" if previous else ""
            lines.append(f"| {name} | {p['title']} | {p['pr']} | {_fmt(st['median'])} | {_fmt(st['iqr'])} | "
                         f"{_int(self.n_tokens / st['median'])} | {base / st['median']:.2f}x | {gain} | "
                         f"{upstream} | {p['predicted_cpu']} |")
            previous = st["median"]
        lines += ["", f"![ladder]({self.stem}-ladder.png)", ""]
        return lines

    def _counters(self, mode: str, name: str) -> dict | None:
        b = self.entries.get((mode, name))
        return b["extra_info"].get("counters") if b else None

    def section_counters(self) -> list[str]:
        header = " | ".join(label for _, label in COUNTER_COLUMNS)
        lines = ["## What each step removed: counters per 1,000 tokens", "",
                 f"Observed (not estimated) over the first {self.meta['options']['counters_limit']} sentences "
                 "with `fastner.perf.counters`: ATen operator calls (each a kernel launch on a GPU), host "
                 "synchronisations (`.item()`, `.tolist()`, `.cpu()`... of device tensors), host<->device "
                 "transfers as written in the code (on this CPU run the model device is simulated as an "
                 "accelerator), bytes copied by `clone`/`cat`/`stack`, Python function calls.", "",
                 f"| step | {header} |", "|---|" + "---|" * len(COUNTER_COLUMNS)]
        rows = [("baseline", "baseline")] + [("ladder", p["id"]) for p in self.patches]
        previous = None
        notes = []
        for mode, name in rows:
            c = self._counters(mode, name)
            if not c:
                continue
            per = {k: c[k] * 1000 / c["n_tokens"] for k, _ in COUNTER_COLUMNS}
            cells = [(_int(per[k] / 1024) if k.endswith("bytes") else _int(per[k])) for k, _ in COUNTER_COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if previous is not None:
                changes = [f"{label} {_delta(previous[k], per[k])}" for k, label in COUNTER_COLUMNS
                           if abs(per[k] - previous[k]) > 0.02 * max(previous[k], 1) and not k.endswith("bytes")]
                what = " ".join(next(p["what"] for p in self.patches if p["id"] == name).split())
                moved = (", ".join(changes) if changes else "no counter moved by more than 2%: the step changes "
                         "the cost of operations, not their number")
                notes.append(f"- **{name}**: {what} *Counters*: {moved}.")
            previous = per
        return [*lines, "", "Per step, what moved (per 1,000 tokens, previous -> this step):", "", *notes, ""]

    def section_flair_ratio(self) -> list[str]:
        base, f44 = self.baseline(), self.milestone_median("flair-0.4.4")
        ref = self.meta["reference"]["flair_043_to_044_cpu"]
        env = self.data["machine_info"].get("fastner", {})
        lines = ["## baseline -> flair-0.4.4 here, and real Flair 0.4.3 -> 0.4.4", ""]
        if base and f44:
            lines.append(f"fastner on this machine ({env.get('torch_threads')} torch threads): "
                         f"**{base / f44:.2f}x**.")
        lines += ["", f"Real Flair measured on a 2-core machine ({ref['source']}): 1 thread {ref['threads_1']}, "
                      f"2 threads {ref['threads_2']}.", ""]
        profile = self.sources[-1].parent / "profiles" / self.profiles / "baseline-top.json"
        if profile.is_file():  # how much of the baseline the 2019 changes could remove at all
            top = json.loads(profile.read_text(encoding="utf-8"))["top"]
            compute = sum(f["share"] for f in top if f["function"] in COMPUTE_FUNCTIONS)
            lines += [f"Why the two differ: none of the 2019 changes touches the LSTMs or the linear layers (the "
                      f"LM decoder included), and in this baseline's profile `torch.lstm` and `linear` take "
                      f"{compute:.0%} of the time, so removing *all* the rest could gain at most "
                      f"{1 / compute:.2f}x here. In real Flair 0.4.3 the character LMs took about 70% of the time "
                      "(peers.md), leaving more per-token overhead to remove: its Viterbi alone went from 1.20 s to "
                      "0.17 s cumulative. fastner's baseline has the same per-token operations (the counters "
                      "above), but each costs less next to this machine's LSTM time, and what 0.4.4 leaves in place "
                      "(the decoder, the padding) is the part fastner's own steps then remove.", ""]
        return lines

    def section_serving(self) -> list[str]:
        """Throughput per milestone, single-sentence latency, peak memory and model load time."""
        stats = self.meta["workload_stats"] or {}
        n_sent, n_docs = stats.get("n_sentences"), stats.get("n_documents")
        lines = ["## Throughput, latency, memory, load time", "",
                 "Throughput: the whole workload in mini-batches of "
                 f"{self.meta['options']['batch_size']} (the ladder's medians). Latency: each non-empty sentence "
                 "tagged alone (batch of one), after a warm-up pass that also checked its tags. Peak memory: "
                 "above the level just before one predict over the whole workload (see `fastner/perf/serving.py` "
                 "for how it is read).", "",
                 "| configuration | tokens/s | sentences/s | documents/s | latency p50 ms | latency p95 ms | "
                 "peak memory MiB |", "|---|---|---|---|---|---|---|"]
        found = False
        for name in ("baseline", "flair-0.4.4", "fastest"):
            med = self.milestone_median(name)
            serving = self.entries.get(("serving", name))
            if not med and not serving:
                continue
            found = True
            cells = [_int(self.n_tokens / med), _int(n_sent / med) if n_sent else "",
                     f"{n_docs / med:,.2f}" if n_docs else ""] if med else ["", "", ""]
            if serving:
                info = serving["extra_info"]
                ms = np.asarray(info["latencies"]) * 1000
                peak = info["peak_memory_mb"]
                cells += [f"{np.percentile(ms, 50):.1f}", f"{np.percentile(ms, 95):.1f}",
                          f"{peak:,.0f}" if peak is not None else "n/a"]
            else:
                cells += ["", "", ""]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if not found:
            return []
        load = self.entries.get(("load", "load"))
        if load:
            lines += ["", f"Model load (`SequenceTagger.load`, {load['extra_info']['model_mb']:,.1f} MiB on disk): "
                          f"{load['stats']['median']:.3f} s median of {load['stats']['rounds']}."]
        return [*lines, ""]

    def section_floor(self) -> list[str]:
        floor = self.median("floor", "floor-unpadded")
        if not floor:
            return []
        lines = ["## The compute floor", "",
                 "The bare LSTM and linear work on the same batches (inputs prepared beforehand, see "
                 "`fastner/perf/floor.py`): *unpadded* reads each character-LM string in 64-character steps "
                 "over the strings still running; *folded* is the same with the reprojection folded into the "
                 "BiLSTM's input weights (the arithmetic `fold_reprojection` leaves); *padded* pads each batch as "
                 "Flair does. Multiples below are of the unpadded floor, which includes the reprojection: a "
                 "configuration that folds it can go below 1.00x.", "",
                 "| | median s | tokens/s |", "|---|---|---|"]
        for key, label in (("floor-unpadded", "floor, unpadded"), ("floor-folded", "floor, unpadded, folded"),
                           ("floor-padded", "floor, padded as Flair")):
            value = self.median("floor", key)
            if value:
                lines.append(f"| {label} | {_fmt(value)} | {_int(self.n_tokens / value)} |")
        lines += ["", "| configuration | median s | multiple of the floor |", "|---|---|---|"]
        for label, value in (("baseline", self.baseline()), ("flair-0.4.4", self.milestone_median("flair-0.4.4")),
                             ("fastest", self.fastest())):
            if value:
                lines.append(f"| {label} | {_fmt(value)} | {value / floor:.2f}x |")
        for key in ("floor-unpadded", "floor-folded", "floor-padded"):
            b = self.entries.get(("floor", key))
            if b:
                info = b["extra_info"]
                lines.append("")
                lines.append(f"{key}: the LSTMs ran over {_int(info['lm_positions'])} character positions for "
                             f"{_int(info['lm_real_chars'])} real characters "
                             f"({info['lm_positions'] / info['lm_real_chars']:.2f}x).")
        return [*lines, ""]

    def section_one_on(self) -> list[str]:
        base = self.baseline()
        rows = [(p, self.entries.get(("one-on", p["id"]))) for p in self.patches]
        if not base or not any(b for _, b in rows):
            return []
        lines = ["## One-on: each patch alone on the baseline", "",
                 "| patch | median s | IQR s | vs baseline | note |", "|---|---|---|---|---|"]
        for p, b in rows:
            if b:
                st = b["stats"]
                lines.append(f"| {p['id']} | {_fmt(st['median'])} | {_fmt(st['iqr'])} | {base / st['median']:.2f}x "
                             f"| {b['extra_info']['note']} |")
        return [*lines, ""]

    def section_leave_one_out(self) -> list[str]:
        fast = self.fastest()
        from fastner.perf.ladder import Patch, leave_one_out  # notes for the untimed ones come from the ladder

        patches = [Patch(**{**p, "requires": tuple(p.get("requires", ()))}) for p in self.patches]
        notes = {c.name: c.note for c in leave_one_out(patches, use_crf=self.meta["model"]["use_crf"])}
        rows = [(p, self.entries.get(("leave-one-out", p["id"]))) for p in self.patches]
        if not fast or not any(b for _, b in rows):
            return []
        lines = ["## Leave-one-out: the full ladder minus one patch", "",
                 "| patch removed | median s | IQR s | slowdown vs fastest | note |", "|---|---|---|---|---|"]
        for p, b in rows:
            if b:
                st = b["stats"]
                lines.append(f"| {p['id']} | {_fmt(st['median'])} | {_fmt(st['iqr'])} | {st['median'] / fast:.2f}x "
                             f"| {b['extra_info']['note']} |")
            else:
                lines.append(f"| {p['id']} | not timed | | | {notes.get(p['id'], '')} |")
        return [*lines, ""]

    def section_profiles(self) -> list[str]:
        directory = self.sources[-1].parent / "profiles" / self.profiles
        lines = []
        for name in ("baseline", "fastest"):
            path = directory / f"{name}-top.json"
            if not path.is_file():
                continue
            top = json.loads(path.read_text(encoding="utf-8"))
            rel = os.path.relpath(directory, self.out_dir)
            lines += [f"### {name}: top functions by own time (cProfile, {_fmt(top['total_seconds'], 2)} s "
                      "profiled, a separate run)", "",
                      f"Files: [{name}.prof]({rel}/{name}.prof) (`snakeviz` it), "
                      f"[{name}-lines.txt]({rel}/{name}-lines.txt) (line_profiler).", "",
                      "| function | calls | own s | share |", "|---|---|---|---|"]
            lines += [f"| `{r['function']}` | {_int(r['ncalls'])} | {_fmt(r['tottime'])} | {100 * r['share']:.1f}% |"
                      for r in top["top"][:12]]
            lines.append("")
        return ["## Profiles", "", *lines] if lines else []

    def section_cpu_vs_gpu(self) -> list[str]:
        ref = self.meta["reference"]["article_gpu"]
        base_c, fast_c = self._counters("baseline", "baseline"), self._counters("ladder", self.patches[-1]["id"])
        lines = ["## Why the CPU gains are smaller than the article's GPU gains", "",
                 f"The article measured on a GPU: {ref['legal']}; {ref['conll']}. Most of the 2019 patches "
                 "remove *per-token operations*: kernel launches, blocking device reads, small host-to-device "
                 "copies. On a GPU each costs a launch or a pipeline stall of several microseconds while the "
                 "GPU's arithmetic is nearly free, so removing them is most of the time. On a CPU the model "
                 "already lives on the host: a 'device read' is a memory access, a 'copy to the device' does "
                 "not happen, and the character-LM LSTMs, which no 2019 patch touched, take most of the time. "
                 "The counters above show the removed operations; the timings show what they cost on this "
                 "machine."]
        gaps = []
        previous = self.baseline()
        for p in self.patches:
            m = self.median("ladder", p["id"])
            if m and previous and p.get("upstream_ratio"):
                gaps.append(f"| {p['id']} | {p['upstream_ratio']:.2f}x | {previous / m:.2f}x |")
            previous = m or previous
        if gaps:
            lines += ["", "| step | upstream gain (GPU) | gain here |", "|---|---|---|", *gaps]
        if base_c and fast_c:
            def per(c, k):
                return c[k] * 1000 / c["n_tokens"]
            lines += ["", f"From baseline to fastest, per 1,000 tokens: host syncs {_int(per(base_c, 'syncs'))} -> "
                          f"{_int(per(fast_c, 'syncs'))}, torch operator calls {_int(per(base_c, 'torch_ops'))} -> "
                          f"{_int(per(fast_c, 'torch_ops'))}, host-to-device copies {_int(per(base_c, 'h2d'))} -> "
                          f"{_int(per(fast_c, 'h2d'))}, Python calls {_int(per(base_c, 'python_calls'))} -> "
                          f"{_int(per(fast_c, 'python_calls'))}."]
        return [*lines, ""]

    def section_reproduce(self) -> list[str]:
        o = self.meta["options"]
        limit = f" --limit {o['limit']}" if o["limit"] else ""
        return ["## Reproduce", "", "```bash",
                f"fastner bench --workload {self.meta['workload']} --size {o['size']} --device {o['device']} "
                f"--mode {o['mode']} --rounds {o['rounds']} --batch-size {o['batch_size']}{limit}",
                f"fastner profile --preset baseline --workload {self.meta['workload']} --size {o['size']}{limit} "
                f"--out reports/data/profiles/{self.profiles}",
                f"fastner report reports/data/{self.sources[-1].name} --out reports/", "```", ""]

    # --- plot --------------------------------------------------------------------------------------------

    def plot(self) -> Path | None:
        steps = [("baseline", self.baseline())] + [(p["id"], self.median("ladder", p["id"])) for p in self.patches]
        steps = [(n, m) for n, m in steps if m]
        if len(steps) < 2:
            return None
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        floor = self.median("floor", "floor-unpadded")
        fig, ax = plt.subplots(figsize=(10, 4.8), dpi=100)
        names = [n for n, _ in steps]
        rates = [self.n_tokens / m for _, m in steps]
        ax.bar(range(len(steps)), rates, color="#4c72b0")
        if floor:
            ax.axhline(self.n_tokens / floor, color="#c44e52", linestyle="--", label="compute floor (unpadded)")
            ax.legend(loc="upper left")
        ax.set_xticks(range(len(steps)), names, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("tokens / s (median)")
        o = self.meta["options"]
        ax.set_title(f"fastner ladder: {self.meta['workload']}, {o['size']} model, {o['device']}")
        fig.tight_layout()
        path = self.out_dir / f"{self.stem}-ladder.png"
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
        return path


def _delta(before: float, after: float) -> str:
    return f"{_int(before)} -> {_int(after)}"


