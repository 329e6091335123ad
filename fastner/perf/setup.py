"""What every benchmark, profile and counter run starts from: a workload, a random model, pre-tokenized
sentences, and the baseline's outputs to check every configuration against."""

from __future__ import annotations

import platform
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fastner.devices import cpu_flags, resolve_device
from fastner.perf.workloads import Workload, load_workload
from fastner.switches import Switches
from fastner.synth.labels import LABELS
from fastner.tagger import SequenceTagger
from fastner.text import Sentence

SCORE_TOLERANCE = 1e-4  # confidences may differ by float rounding between configurations; tags may not

Outputs = list[tuple[list[str], list[float]]]


@dataclass
class BenchSetup:
    workload: Workload
    size: str
    device: torch.device
    batch_size: int
    tagger: SequenceTagger
    sentences: list[Sentence]  # pre-tokenized once; predict() re-tags them in place

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    def stats(self) -> dict:
        return self.workload.stats(lambda text: [t.text for t in Sentence(text)])

    def predict(self, switches: Switches, sentences: list[Sentence] | None = None) -> list[Sentence]:
        """One timed unit: predict over the workload, synchronized on a GPU."""
        out = self.tagger.predict(self.sentences if sentences is None else sentences, self.batch_size, switches)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return out


def workload_vocab(workload: Workload, min_count: int = 2) -> list[str]:
    """Word list for a random model: the workload's lower-cased words seen at least `min_count` times, most
    frequent first, so frequent words hit and rare ones (names...) go through Flair's fallbacks."""
    counts = Counter(w.lower() for s in workload.sentences for w in s.split())
    return [w for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]


def build_setup(workload: str, size: str, device: str = "cpu", batch_size: int = 32, limit: int | None = None,
                seed: int = 0) -> BenchSetup:
    wl = load_workload(workload, limit)
    try:
        dev = resolve_device(device)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    tagger = SequenceTagger.random(size, LABELS, seed=seed, vocab=workload_vocab(wl)).to(dev)
    return BenchSetup(wl, size, dev, batch_size, tagger, [Sentence(s) for s in wl.sentences])


def snapshot(sentences: list[Sentence]) -> Outputs:
    return [([t.tag for t in s], [t.score for t in s]) for s in sentences]


def check_outputs(got: Outputs, want: Outputs) -> float:
    """Assert identical tags and confidences within SCORE_TOLERANCE; return the largest confidence gap."""
    assert len(got) == len(want), "different number of sentences"
    worst = 0.0
    for i, ((tags, scores), (wtags, wscores)) in enumerate(zip(got, want)):
        assert tags == wtags, f"sentence {i}: tags differ from the baseline's"
        if scores:
            worst = max(worst, float(np.max(np.abs(np.asarray(scores) - np.asarray(wscores)))))
    assert worst <= SCORE_TOLERANCE, f"confidences differ from the baseline's by {worst:.2e}"
    return worst


def environment(device: torch.device) -> dict:
    """Machine, versions and threads, recorded with every figure."""
    info = {
        "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
        "cpu_count": _cpu_count(), "cpu_model": _cpu_model(),
        "cpu_flags": [flag for flag, have in cpu_flags().items() if have],
        "platform": platform.platform(), "device": str(device), "git_commit": _git_commit(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
