"""Interleaved timing: every call once per round, in a rotating order, so that a slow spell of a shared
machine falls on every configuration alike instead of on whichever ran during it."""

from __future__ import annotations

import time
from collections.abc import Callable


def interleaved_rounds(calls: dict[str, Callable[[], object]], rounds: int,
                       after: Callable[[str, object], None] | None = None,
                       cpu_seconds: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Wall-clock seconds of each call, one per round; round r starts at the r-th name (rotating order).

    `after(name, result)`, if given, runs after each timed call, outside the timed region (a check of the
    call's output, say): a failing check stops the timing there. `cpu_seconds`, if given, receives each
    call's process CPU seconds of the same runs (steadier than wall clock on a shared machine).
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, not {rounds}")
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0, c0 = time.perf_counter(), time.process_time()
            result = calls[name]()
            times[name].append(time.perf_counter() - t0)
            if cpu_seconds is not None:
                cpu_seconds.setdefault(name, []).append(time.process_time() - c0)
            if after is not None:
                after(name, result)
    return times
