"""The benchmark's options, declared once: `fastner bench` / `ablation` / `profile` / `head-to-head` flags and
the bench suite's pytest options (bench/conftest.py) are both generated from `BenchOptions`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fastner.options import option
from fastner.tagger import SIZES

MODES = ("ladder", "one-on", "leave-one-out", "all")
WORKLOAD = ("workload", "size", "device", "batch_size", "limit")  # what a measured setup is built from
TIMING = ("mode", "rounds", "threads", "counters_limit")  # how the bench times it


@dataclass(frozen=True)
class BenchOptions:
    """What a benchmark run measures and how (all recorded in its JSON)."""

    workload: str = option("legal", "legal, conll, or a path (file: one sentence per line; directory: .txt "
                                    "documents)", "NAME")
    size: str = option("cpu", "model size of SequenceTagger.random", choices=tuple(SIZES))
    device: str = option("cpu", "where the model runs", choices=("cpu", "cuda"))
    batch_size: int = option(32, "predict's mini-batch size", "N")
    limit: int | None = option(None, "use the first N sentences of the workload", "N")
    mode: str = option("ladder", "ladder (cumulative), one-on, leave-one-out, or all", choices=MODES)
    rounds: int = option(3, "timed rounds per configuration", "N")
    threads: int | None = option(None, "torch intra-op threads (default: torch's)", "N")
    counters_limit: int = option(20, "sentences observed by the op counters", "N")

    def pytest_args(self) -> list[str]:
        """The same options as flags of the bench suite (bench/conftest.py)."""
        return [f"--{f.name.replace('_', '-')}={getattr(self, f.name)}" for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None]
