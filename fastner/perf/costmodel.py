"""A cost model of one predict call, fitted per machine:

    time = compute + a x torch ops + b x host syncs + c x transfers + d x Python calls

`compute` is measured, not fitted: the configuration's own compute floor (`FloorSpec.of(switches)` in
`fastner/perf/floor.py`: the LSTM and linear work of its batches, padding and LM decoder included when it
does them). The events are the counters of `fastner/perf/counters.py` for the same call: ATen operator
calls, host synchronisations, host<->device copies (H2D + D2H; every sync is also a D2H copy, so `b` is
what a sync costs beyond its copy), Python function calls. The constants a, b, c, d (seconds per event)
are fitted by non-negative least squares on *relative* errors, (measured - predicted) / measured, so a
0.05 s configuration weighs as much as a 5 s one.

Non-negative least squares is solved exactly by enumeration: with four constants there are 16 supports,
and the optimum is the unconstrained least-squares solution on the best support whose coefficients are all
non-negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EVENTS = ("torch_ops", "host_syncs", "transfers", "python_calls")
EVENT_LABELS = {"torch_ops": "torch op", "host_syncs": "host sync", "transfers": "host<->device copy",
                "python_calls": "Python call"}


def event_counts(counts: dict) -> tuple[float, ...]:
    """The model's events, in EVENTS order, from a `Counts.to_dict()` (or the same keys scaled)."""
    return (float(counts["torch_ops"]), float(counts["syncs"]), float(counts["h2d"] + counts["d2h"]),
            float(counts["python_calls"]))


@dataclass(frozen=True)
class Point:
    """One measured configuration: its compute floor (s), its events (EVENTS order), its median time (s)."""

    label: str
    compute: float
    events: tuple[float, ...]
    measured: float


@dataclass(frozen=True)
class CostModel:
    """Seconds per event, in EVENTS order."""

    seconds_per_event: tuple[float, ...]

    def overhead(self, events: Sequence[float]) -> float:
        return float(np.dot(self.seconds_per_event, events))

    def predict(self, compute: float, events: Sequence[float]) -> float:
        return compute + self.overhead(events)

    def constants(self) -> dict[str, float]:
        return dict(zip(EVENTS, self.seconds_per_event))


def nonnegative_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin ||a x - b|| subject to x >= 0, for a (M, P) with small P (2^P supports are tried)."""
    p = a.shape[1]
    scale = np.abs(a).max(axis=0)
    scale[scale == 0] = 1.0
    scaled = a / scale  # (M, P), columns of comparable size: a well-conditioned lstsq on every support
    best, best_residual = np.zeros(p), float(np.sum(b * b))
    for k in range(1, p + 1):
        for support in itertools.combinations(range(p), k):
            cols = list(support)
            x, *_ = np.linalg.lstsq(scaled[:, cols], b, rcond=None)
            if np.any(x < 0):
                continue
            residual = float(np.sum((scaled[:, cols] @ x - b) ** 2))
            if residual < best_residual - 1e-15 * max(best_residual, 1.0):
                best = np.zeros(p)
                best[cols] = x
                best_residual = residual
    return best / scale


def fit(points: Sequence[Point]) -> CostModel:
    """The constants minimising the squared relative errors over `points`, all >= 0."""
    if not points:
        raise ValueError("the cost model needs at least one measured point")
    measured = np.array([p.measured for p in points])
    if np.any(measured <= 0):
        raise ValueError("measured times must be positive")
    events = np.array([p.events for p in points], dtype=float)  # (M, 4)
    compute = np.array([p.compute for p in points])
    a = events / measured[:, None]  # relative: each row divided by its own time
    b = (measured - compute) / measured
    return CostModel(tuple(float(x) for x in nonnegative_least_squares(a, b)))


def relative_error(model: CostModel, point: Point) -> float:
    """(predicted - measured) / measured."""
    return (model.predict(point.compute, point.events) - point.measured) / point.measured


def leave_one_out_errors(points: Sequence[Point]) -> list[float]:
    """Each point's relative error under the model fitted on all the other points."""
    return [relative_error(fit([q for j, q in enumerate(points) if j != i]), p) for i, p in enumerate(points)]


def summary(errors: Sequence[float]) -> dict[str, float]:
    """RMS and largest absolute relative error."""
    e = np.abs(np.asarray(errors, dtype=float))
    return {"rms": float(np.sqrt(np.mean(e ** 2))), "max": float(e.max())}
