"""Unit tests of core.gradcheck: the analytic gradients agree with centred differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from core_helpers import random_problem
from hypothesis import given, settings
from hypothesis import strategies as st

import core.gradcheck
from core import Backward, Params, backward, forward, gradient_check, mse_loss, relative_error
from core.gradcheck import (
    FAILED,
    NOISE_WEIGHT,
    PASS_THRESHOLD,
    RELATIVE,
    ROUNDING,
    STEP,
    VERDICTS,
    first_steps,
    judge,
    numeric_derivative,
    rounding_level,
)

M = 20  # rows of the full data set in the random problems


def loop_loss(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """(1/2m)·Σ (ŷ - y)², with Python scalars and loops only."""
    W1, b1, W2, b2 = (a.tolist() for a in params)
    m, n, h = len(X), len(W1), len(W1[0])
    total = 0.0
    for i in range(m):
        out = b2[0][0]
        for j in range(h):
            z = sum(X[i][k] * W1[k][j] for k in range(n)) + b1[0][j]
            out += W2[j][0] / (1.0 + math.exp(-z))
        total += (out - y[i][0]) ** 2
    return total / (2 * m)


def nudged(params: Params, name: str, index: tuple[int, int], shift: float) -> Params:
    arrays = {k: v.copy() for k, v in params._asdict().items()}
    arrays[name][index] += shift
    return Params.of(**arrays)


def near_fit_problem(n_in: int, n_hidden: int, m: int, seed: int):
    """Random network with targets scattered around its own outputs (batch loss about 0.05)."""
    params, X, _ = random_problem(n_in, n_hidden, m, seed)
    noise = np.random.default_rng([seed, 1]).normal(0, 0.3, (m, 1))
    return params, X, forward(params, X).A2 + noise


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 8),
    batch=st.sampled_from([1, 7, M]),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradient_check_passes_on_random_networks(n_in, n_hidden, batch, seed):
    params, X, y = near_fit_problem(n_in, n_hidden, M, seed)
    Xb, yb = X[:batch], y[:batch]
    check = gradient_check(params, Xb, yb)
    assert check.passed
    assert all(e.h > 0 for e in check.entries)  # was check.h == 1e-5: the step is per entry now
    assert len(check.entries) == n_in * n_hidden + 2 * n_hidden + 1
    # Every entry either meets the relative threshold or both gradients sit under the
    # finite-difference resolution floor.
    for e in check.entries:
        assert e.passed
        assert e.rel_error < 1e-7 or abs(e.analytic - e.numeric) < 1e-10
    assert check.max_rel_error == max(e.rel_error for e in check.entries)
    # Entries that are not tiny must meet the threshold on relative error alone.
    big = [e for e in check.entries if abs(e.analytic) > 1e-2]
    assert all(e.rel_error < 1e-7 for e in big)


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 8),
    batch=st.sampled_from([1, 7, M]),
    seed=st.integers(0, 2**32 - 1),
)
def test_analytic_agrees_with_numeric_within_resolution(n_in, n_hidden, batch, seed):
    """Any loss size: the gap is within 1e-7 relative or the centred difference's own rounding
    noise, about eps·L/h (a generous factor 100 on top)."""
    params, X, y = random_problem(n_in, n_hidden, M, seed)
    Xb, yb = X[:batch], y[:batch]
    check = gradient_check(params, Xb, yb)
    loss = mse_loss(forward(params, Xb).A2, yb)
    for e in check.entries:  # each entry's own step e.h where there was one fixed h
        noise = 100 * np.finfo(float).eps * loss / e.h
        assert abs(e.analytic - e.numeric) <= max(1e-7 * abs(e.analytic), noise)


def test_gradient_check_passes_on_correct_gradients_with_large_loss():
    # A 3-8-1 network on 20 rows with loss 10.4. backward() is exact here: W1[0, 3] is
    # -9.612231528287699e-04 to all digits shown (checked in 40-digit arithmetic), but the
    # centred difference gives -9.612230122968e-04, 1.4e-10 away and 1.5e-7 relative.
    params, X, y = random_problem(3, 8, M, 3702519916)
    assert mse_loss(forward(params, X).A2, y) == pytest.approx(10.4389, rel=1e-4)
    check = gradient_check(params, X, y)
    entry = next(e for e in check.entries if e.name == "W1" and e.index == (0, 3))
    assert entry.analytic == pytest.approx(-9.612231528287699e-04, rel=1e-14)
    assert check.passed


def test_entries_cover_every_parameter_and_carry_backward_values():
    params, X, y = random_problem(3, 4, 7, seed=3)
    grads = backward(params, X, y, forward(params, X))
    check = gradient_check(params, X, y)
    expected_slots = [
        (name, idx) for name, arr in params._asdict().items() for idx in np.ndindex(arr.shape)
    ]
    assert [(e.name, e.index) for e in check.entries] == expected_slots
    analytic = {"W1": grads.dW1, "b1": grads.db1, "W2": grads.dW2, "b2": grads.db2}
    for e in check.entries:
        assert e.analytic == analytic[e.name][e.index]
        assert e.rel_error == relative_error(e.analytic, e.numeric)


@pytest.mark.parametrize(
    ("name", "index"), [("W1", (1, 2)), ("b1", (0, 0)), ("W2", (3, 0)), ("b2", (0, 0))]
)
def test_numeric_value_matches_own_extrapolated_difference(name, index):
    """Was: the numeric value is the centred difference at the given h = 1e-5. The step is now
    chosen per entry and three centred differences are extrapolated; recompute that from the
    loop-only loss at the entry's own step."""
    params, X, y = random_problem(2, 4, 7, seed=21)
    check = gradient_check(params, X, y)
    entry = next(e for e in check.entries if e.name == name and e.index == index)

    def D(h: float) -> float:
        up = loop_loss(nudged(params, name, index, h), X, y)
        down = loop_loss(nudged(params, name, index, -h), X, y)
        return (up - down) / (2 * h)

    h = entry.h
    own = (D(h) - 20 * D(h / 2) + 64 * D(h / 4)) / 45
    assert entry.numeric == pytest.approx(own, rel=1e-9, abs=1e-12)
    assert entry.analytic == pytest.approx(own, rel=1e-9, abs=1e-12)


def test_gradient_check_does_not_touch_params():
    params, X, y = random_problem(2, 3, 5, seed=1)
    before = [a.copy() for a in params]
    gradient_check(params, X, y)
    for a, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("field", ["dW1", "db1", "dW2", "db2"])
def test_gradient_check_fails_on_wrong_gradient(monkeypatch, field):
    real_backward = core.gradcheck.backward

    def broken(params, X, y, fwd):
        grads = real_backward(params, X, y, fwd)
        return grads._replace(**{field: getattr(grads, field) * 1.01})

    monkeypatch.setattr(core.gradcheck, "backward", broken)
    params, X, y = random_problem(2, 3, 7, seed=5)
    check = gradient_check(params, X, y)
    assert not check.passed
    assert check.max_rel_error > 1e-3
    failed = {e.name for e in check.entries if not e.passed}
    assert failed == {field[1:]}


def test_gradient_check_fails_without_sigmoid_derivative(monkeypatch):
    """A classic mistake: forgetting the σ' factor in δ1."""

    def no_sigmoid_derivative(params, X, y, fwd):
        m = X.shape[0]
        delta2 = (fwd.A2 - y) / m
        delta1 = delta2 @ params.W2.T
        return Backward(
            delta2=delta2,
            delta1=delta1,
            dW2=fwd.A1.T @ delta2,
            db2=delta2.sum(axis=0, keepdims=True),
            dW1=X.T @ delta1,
            db1=delta1.sum(axis=0, keepdims=True),
        )

    monkeypatch.setattr(core.gradcheck, "backward", no_sigmoid_derivative)
    params, X, y = random_problem(3, 2, 9, seed=6)
    check = gradient_check(params, X, y)
    assert not check.passed
    assert all(e.passed for e in check.entries if e.name in ("W2", "b2"))
    assert not any(e.passed for e in check.entries if e.name in ("W1", "b1"))


def test_relative_error():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(2.0, 1.0) == 0.5
    assert relative_error(-1.0, 1.0) == 2.0
    assert relative_error(0.0, 1e-20) == 1.0
    assert relative_error(3.0, 0.0) == 1.0


def check_is_consistent(check) -> None:
    """Every entry has one verdict, the counts add up and the summary fields follow the entries."""
    assert check.n_relative + check.n_rounding + check.n_failed == len(check.entries)
    assert check.n_relative == sum(e.verdict == RELATIVE for e in check.entries)
    assert check.n_rounding == sum(e.verdict == ROUNDING for e in check.entries)
    assert check.n_failed == sum(e.verdict == FAILED for e in check.entries)
    for e in check.entries:
        assert e.verdict in VERDICTS
        assert e.passed == (e.verdict != FAILED)
        assert isinstance(e.passed, bool)
        assert e.noise >= 0 and e.h > 0 and e.error_estimate >= 0
        by_relative = e.rel_error < PASS_THRESHOLD
        by_rounding = not by_relative and abs(e.analytic - e.numeric) <= e.noise
        expected = RELATIVE if by_relative else ROUNDING if by_rounding else FAILED
        assert e.verdict == expected
    judged = [e.rel_error for e in check.entries if e.verdict in (RELATIVE, FAILED)]
    assert check.max_judged_rel_error == max(judged, default=0.0)
    rounding = [e.noise for e in check.entries if e.verdict == ROUNDING]
    assert check.rounding_level == max(rounding, default=0.0)
    assert check.max_rel_error == max(e.rel_error for e in check.entries)
    assert check.passed == (check.n_failed == 0)
    # The headline cannot contradict itself: all judged entries are below the threshold exactly
    # when nothing failed.
    assert (check.max_judged_rel_error < PASS_THRESHOLD) == check.passed


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 8),
    batch=st.sampled_from([1, 7, M]),
    seed=st.integers(0, 2**32 - 1),
    bug=st.sampled_from([None, "dW1", "db1", "dW2", "db2"]),
    factor=st.sampled_from([1.001, 1.01, 0.5, -1.0]),
)
def test_verdicts_and_summary_are_consistent(n_in, n_hidden, batch, seed, bug, factor):
    params, X, y = random_problem(n_in, n_hidden, M, seed)
    real_backward = core.gradcheck.backward

    def maybe_broken(params, X, y, fwd):
        grads = real_backward(params, X, y, fwd)
        return grads if bug is None else grads._replace(**{bug: getattr(grads, bug) * factor})

    core.gradcheck.backward = maybe_broken
    try:
        check = gradient_check(params, X[:batch], y[:batch])
    finally:
        core.gradcheck.backward = real_backward
    check_is_consistent(check)
    if bug is None:
        assert check.passed


def saturated_problem():
    """Hidden unit 1 saturated (Z1 about 35, σ' about 6e-16): its W1 and b1 gradients are about
    1e-15, below what a difference of float64 losses can resolve."""
    params, X, y = random_problem(2, 3, M, seed=11)
    b1 = params.b1.copy()
    b1[0, 1] = 35.0
    return params._replace(b1=b1), X, y


def test_tiny_gradients_pass_by_rounding_not_by_relative_error():
    """Formerly the headline read "10 of 10 pass (relative error below 1e-07); the largest relative
    error is 9.22e-01". Entries under the rounding level are now counted apart."""
    params, X, y = saturated_problem()
    check = gradient_check(params, X, y)
    check_is_consistent(check)
    assert check.passed
    tiny = [e for e in check.entries if e.name in ("W1", "b1") and e.index[1] == 1]
    assert len(tiny) == 3
    for e in tiny:
        assert abs(e.analytic) < 1e-14
        assert e.rel_error > 0.1
        assert e.verdict == ROUNDING
        assert max(abs(e.analytic), abs(e.numeric)) <= e.noise  # both at rounding level
    assert check.n_rounding == 3
    assert check.n_relative == 10
    assert check.max_rel_error > 1e-3  # over all entries, as before
    assert check.max_judged_rel_error < PASS_THRESHOLD  # over the entries judged by it
    assert 0 < check.rounding_level < 1e-10


def test_failures_are_judged_by_relative_error(monkeypatch):
    real_backward = core.gradcheck.backward

    def broken(params, X, y, fwd):
        grads = real_backward(params, X, y, fwd)
        return grads._replace(dW2=grads.dW2 * 1.01)

    monkeypatch.setattr(core.gradcheck, "backward", broken)
    params, X, y = saturated_problem()
    check = gradient_check(params, X, y)
    check_is_consistent(check)
    assert check.n_failed == 3
    assert check.max_judged_rel_error == pytest.approx(0.01 / 1.01, rel=1e-6)


def test_judge():
    assert judge(1.0, 1.0 + 1e-8, noise=0.0) == RELATIVE
    assert judge(1.0, 1.0 + 1e-6, noise=1e-5) == ROUNDING
    assert judge(1.0, 1.0 + 1e-6, noise=1e-7) == FAILED
    assert judge(0.0, 0.0, noise=0.0) == RELATIVE
    assert judge(0.0, 1e-20, noise=1e-18) == ROUNDING


def test_rounding_level_formula():
    assert pytest.approx((1 + 20 * 2 + 64 * 4) / 45) == NOISE_WEIGHT
    S, h = 3.0, 1e-4
    assert rounding_level(S, h) == pytest.approx(2 * 6.6 * np.finfo(float).eps * S / h)


def test_numeric_derivative_of_known_functions():
    value, h, estimate = numeric_derivative(math.exp, 0.3, 0.1, 1.0)
    assert value == pytest.approx(math.exp(0.3), rel=1e-12)
    assert h <= 0.1 and estimate < 1e-8

    def steep(t: float) -> float:
        return math.exp(40 * t)  # too curved for h = 0.1: the step is quartered

    value, h, estimate = numeric_derivative(steep, 0.0, 0.1, 1.0)
    assert h < 0.1
    assert value == pytest.approx(40.0, rel=1e-9)
    assert abs(value - 40.0) <= max(estimate, 1e-12)


def test_first_steps_move_each_unit_input_by_step():
    params, X, y = random_problem(3, 4, M, seed=8)
    X = X * np.array([1.0, 1000.0, 0.001])  # inputs of very different sizes
    fwd = forward(params, X)
    steps = first_steps(params, X, fwd)
    np.testing.assert_allclose(steps["W1"] * np.abs(X).max(axis=0)[:, None], STEP)
    np.testing.assert_allclose(steps["b1"], STEP)
    np.testing.assert_allclose(steps["W2"] * fwd.A1.max(axis=0)[:, None], STEP)
    np.testing.assert_allclose(steps["b2"], STEP)
    check = gradient_check(params, X, y)
    check_is_consistent(check)
    assert check.passed
