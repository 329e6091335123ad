"""The cost model's fit: known constants are recovered from synthetic measurements; the solver is a true
non-negative least squares; errors are what they say."""

from __future__ import annotations

import numpy as np
import pytest

from fastner.perf import costmodel
from fastner.perf.costmodel import CostModel, Point, event_counts, fit, nonnegative_least_squares

TRUE = (4e-6, 25e-6, 8e-6, 0.6e-6)  # seconds per torch op, host sync, copy, Python call


def synthetic_points(constants, n: int = 30, noise: float = 0.0, seed: int = 0) -> list[Point]:
    """Ladder-like configurations: events spanning orders of magnitude, compute from 5% to 90% of the time."""
    rng = np.random.default_rng(seed)
    points = []
    for i in range(n):
        events = (rng.uniform(2e3, 4e5), rng.uniform(0, 7e4), rng.uniform(0, 9e4), rng.uniform(5e3, 5e5))
        overhead = float(np.dot(constants, events))
        compute = overhead * rng.uniform(0.05, 9.0)
        measured = (compute + overhead) * (1 + noise * rng.standard_normal())
        points.append(Point(f"p{i}", compute, events, measured))
    return points


def test_fit_recovers_known_constants_exactly_without_noise():
    model = fit(synthetic_points(TRUE))
    np.testing.assert_allclose(model.seconds_per_event, TRUE, rtol=1e-6)
    assert all(abs(costmodel.relative_error(model, p)) < 1e-9 for p in synthetic_points(TRUE))


def test_fit_recovers_known_constants_with_noise_and_states_the_error():
    points = synthetic_points(TRUE, n=200, noise=0.02, seed=1)
    model = fit(points)
    np.testing.assert_allclose(model.seconds_per_event, TRUE, rtol=0.25)
    errors = costmodel.summary([costmodel.relative_error(model, p) for p in points])
    assert 0.01 < errors["rms"] < 0.03 and errors["max"] < 0.1
    loo = costmodel.summary(costmodel.leave_one_out_errors(points[:40]))
    assert loo["rms"] >= costmodel.summary([costmodel.relative_error(fit(points[:40]), p)
                                            for p in points[:40]])["rms"]


def test_a_constant_that_would_be_negative_is_clamped_to_zero():
    # the host syncs take no time at all: an unconstrained fit on noisy data would give them a negative cost
    truth = (4e-6, 0.0, 8e-6, 0.6e-6)
    model = fit(synthetic_points(truth, n=60, noise=0.03, seed=2))
    assert min(model.seconds_per_event) >= 0.0
    assert model.constants()["host_syncs"] < 2e-6


def test_nonnegative_least_squares_matches_scipy():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.standard_normal((12, 4)) * rng.uniform(0.01, 100, size=4)
        b = rng.standard_normal(12)
        ours = nonnegative_least_squares(a, b)
        theirs, _ = scipy_optimize.nnls(a, b)
        assert np.all(ours >= 0)
        assert np.linalg.norm(a @ ours - b) == pytest.approx(np.linalg.norm(a @ theirs - b), rel=1e-7, abs=1e-12)


def test_event_counts_reads_the_counters():
    counts = {"torch_ops": 10, "syncs": 3, "h2d": 2, "d2h": 3, "python_calls": 100}
    assert event_counts(counts) == (10.0, 3.0, 5.0, 100.0)
    model = CostModel((1.0, 2.0, 3.0, 0.5))
    assert model.predict(7.0, event_counts(counts)) == 7.0 + 10 + 6 + 15 + 50


def test_bad_points_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        fit([])
    with pytest.raises(ValueError, match="positive"):
        fit([Point("x", 0.1, (1.0, 1.0, 1.0, 1.0), 0.0)])
