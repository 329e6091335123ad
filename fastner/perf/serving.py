"""What a user serving the tagger asks besides throughput: single-sentence latency, peak memory, load time.

- latency: each sentence predicted alone (`mini_batch_size=1`), synchronized on a GPU; one figure per sentence.
- peak memory: on a GPU, `torch.cuda.max_memory_allocated` above what was allocated before the call; on the
  CPU, the peak resident set size (sampled every half millisecond from /proc/self/statm) above the level
  just before the call, after handing freed heap back to the OS (glibc `malloc_trim`) so memory kept from
  earlier calls does not hide this one's. Linux only on the CPU (None elsewhere).
- load time: `SequenceTagger.load` of the model saved in fastner's format (safetensors + JSON).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from fastner.switches import Switches
from fastner.tagger import SequenceTagger
from fastner.text import Sentence

STATM = Path("/proc/self/statm")


def latencies(tagger: SequenceTagger, sentences: list[Sentence], switches: Switches) -> list[float]:
    """Seconds to tag each sentence alone (batch of one), in order; sentences are tagged in place."""
    out = []
    for sentence in sentences:
        t0 = time.perf_counter()
        tagger.predict([sentence], mini_batch_size=1, switches=switches)
        if tagger.device.type == "cuda":
            torch.cuda.synchronize(tagger.device)
        out.append(time.perf_counter() - t0)
    return out


def peak_memory_mb(fn: Callable[[], object], device: torch.device) -> float | None:
    """Peak memory (MiB) `fn()` used above what was in use just before it; None where it cannot be read."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    if not STATM.is_file():
        return None
    _trim_heap()
    page = os.sysconf("SC_PAGE_SIZE")
    before = _resident_pages()
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _resident_pages())
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], _resident_pages())
    return (peak[0] - before) * page / 2**20


def _resident_pages() -> int:
    return int(STATM.read_text().split()[1])


def _trim_heap() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the measure may then under-report
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def directory_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file()) / 2**20
