"""The gradient check on the shipped sample data: correct gradients pass, planted bugs fail.

The data are built as core.experiment.prepare does by default (20 % held out with seed 0, scaling
fitted on the training rows), the batches as the trainer draws them (BatchPlan, shuffled, seed 0).
"""

from __future__ import annotations

import time
from functools import cache
from itertools import product

import numpy as np
import pytest

import core.gradcheck
from core import (
    Backward,
    Params,
    backward,
    forward,
    gradient_check,
    init_params,
    mse_loss,
    sgd_update,
)
from core.batches import BatchPlan
from core.datasets import fit_scaling, split_train_test
from core.gradcheck import EPSILON, FAILED, NOISE_FACTOR, RELATIVE, ROUNDING, rounding_scale
from core.samples import SAMPLES, load_sample_dataset

SAMPLE_KEYS = tuple(SAMPLES)  # cars, diabetes, seattle
INITS = {
    "normal 0.01": ("normal", 0.01),
    "xavier": ("xavier", None),
    "he": ("he", None),
    "normal 1": ("normal", 1.0),
    "normal 10": ("normal", 10.0),
}
BATCHES = (1, 16, None)  # None: the full training set
STEPS_BEFORE = (0, 25)  # the check runs on the first step, or after 25 steps of training
N_HIDDEN = 3


@cache
def training_data(key: str, standardise_inputs: bool, standardise_target: bool):
    dataset = load_sample_dataset(key)
    split = split_train_test(dataset.X, dataset.y, 0.2, 0)
    scaling = fit_scaling(split.X_train, split.y_train, standardise_inputs, standardise_target)
    return scaling.transform_X(split.X_train), scaling.transform_y(split.y_train)


def situation(key, standardise_inputs, standardise_target, init, batch, steps_before):
    """(params, X, y) of the batch of step steps_before + 1, after plain SGD on the batches before.

    The learning rate is small enough for raw inputs and targets not to diverge.
    """
    X_train, y_train = training_data(key, standardise_inputs, standardise_target)
    m, n_in = X_train.shape
    scheme, scale = INITS[init]
    params = init_params(scheme, n_in, N_HIDDEN, 0, scale)
    plan = BatchPlan(m, m if batch is None else batch, shuffle=True, seed=0)
    lr = 0.5 / (1 + (X_train**2).sum(axis=1).mean()) / (1 + (y_train**2).mean())
    for step in range(1, steps_before + 2):
        idx = plan.indices(*plan.position(step))
        X, y = X_train[idx], y_train[idx]
        if step <= steps_before:
            params = sgd_update(params, backward(params, X, y, forward(params, X)), lr)
    assert np.isfinite(params.flat()).all()
    return params, X, y


def describe(check) -> str:
    bad = [e for e in check.entries if e.verdict == FAILED]
    return f"{check.n_failed} failed, e.g. {bad[:2]}"


def test_car_fuel_economy_raw_inputs_first_step():
    """The user report: raw inputs, Normal σ = 0.01, one Step (batch 16), W1[2,1] failed with
    numeric −0.6715661 against the (correct) analytic −0.6715824."""
    params, X, y = situation("cars", False, True, "normal 0.01", 16, 0)
    check = gradient_check(params, X, y)
    entry = next(e for e in check.entries if e.name == "W1" and e.index == (1, 0))
    assert entry.analytic == pytest.approx(-0.6715824379578467, rel=1e-12)
    assert entry.numeric == pytest.approx(-0.6715824379578467, rel=1e-9)
    assert entry.verdict == RELATIVE
    assert check.passed, describe(check)
    assert check.max_judged_rel_error < 1e-7


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("standardise_inputs", [False, True], ids=["raw", "standardised"])
@pytest.mark.parametrize("key", SAMPLE_KEYS)
def test_correct_gradients_pass_on_sample_data(key, standardise_inputs, init):
    """Every batch size, before and after training, with the target raw and standardised."""
    for standardise_target, batch, steps in product((True, False), BATCHES, STEPS_BEFORE):
        params, X, y = situation(key, standardise_inputs, standardise_target, init, batch, steps)
        check = gradient_check(params, X, y)
        where = f"target standardised={standardise_target}, batch={batch}, after {steps} steps"
        assert check.passed, f"{where}: {describe(check)}"
        assert check.max_judged_rel_error < 1e-7, where
        # The gradients of the linear output layer are never tiny here: they pass on their own.
        assert all(e.verdict == RELATIVE for e in check.entries if e.name == "b2"), where


def _no_sigmoid_derivative(params, X, y, fwd):
    """(a) δ1 without the A1(1 − A1) factor."""
    grads = backward(params, X, y, fwd)
    delta1 = grads.delta2 @ params.W2.T
    return grads._replace(delta1=delta1, dW1=X.T @ delta1, db1=delta1.sum(axis=0, keepdims=True))


def _no_one_over_m(params, X, y, fwd):
    """(b) δ2 without the 1/m (and everything computed from it)."""
    delta2 = fwd.A2 - y
    delta1 = (delta2 @ params.W2.T) * (fwd.A1 * (1 - fwd.A1))
    return Backward(
        delta2=delta2,
        delta1=delta1,
        dW2=fwd.A1.T @ delta2,
        db2=delta2.sum(axis=0, keepdims=True),
        dW1=X.T @ delta1,
        db1=delta1.sum(axis=0, keepdims=True),
    )


def _dW1_slightly_off(params, X, y, fwd):
    """(c) ∇W1 multiplied by 1.001."""
    grads = backward(params, X, y, fwd)
    return grads._replace(dW1=grads.dW1 * 1.001)


@pytest.mark.parametrize("standardise_inputs", [False, True], ids=["raw", "standardised"])
@pytest.mark.parametrize("key", SAMPLE_KEYS)
@pytest.mark.parametrize(
    "bug", [_no_sigmoid_derivative, _no_one_over_m], ids=["no-sigmoid-slope", "no-1/m"]
)
def test_planted_bugs_fail_on_sample_data(monkeypatch, bug, key, standardise_inputs):
    """Batches of 16 and the full set (with one row, 1/m = 1 and bug (b) is no bug)."""
    monkeypatch.setattr(core.gradcheck, "backward", bug)
    for init, batch, steps in product(INITS, (16, None), STEPS_BEFORE):
        params, X, y = situation(key, standardise_inputs, True, init, batch, steps)
        check = gradient_check(params, X, y)
        assert not check.passed, f"{init}, batch={batch}, after {steps} steps"
        assert check.n_failed > 0
        assert check.max_judged_rel_error > 1e-3


@pytest.mark.parametrize("standardise_inputs", [False, True], ids=["raw", "standardised"])
@pytest.mark.parametrize("key", SAMPLE_KEYS)
def test_dW1_off_by_a_thousandth_fails_where_float64_can_see_it(
    monkeypatch, key, standardise_inputs
):
    """Bug (c) moves each W1 entry by 1e-3·|∇W1|. It must fail wherever that is well above the
    rounding level ν of the numeric derivative. Where it is not (raw inputs with large weights
    saturate the sigmoid, so ∇W1 is about 1e-9 or less), W1 may only pass by rounding, never by
    relative error, unless the gradient is exactly 0."""
    for init, batch, steps in product(INITS, (1, 16, None), STEPS_BEFORE):
        params, X, y = situation(key, standardise_inputs, True, init, batch, steps)
        honest = gradient_check(params, X, y)
        visible = max(1e-3 * abs(e.analytic) / e.noise for e in honest.entries if e.name == "W1")
        monkeypatch.setattr(core.gradcheck, "backward", _dW1_slightly_off)
        check = gradient_check(params, X, y)
        monkeypatch.undo()
        where = f"{init}, batch={batch}, after {steps} steps"
        W1 = [e for e in check.entries if e.name == "W1"]
        assert not any(e.verdict == RELATIVE and e.analytic != 0 for e in W1), where
        assert all(e.passed for e in check.entries if e.name != "W1"), where
        if visible > 2:
            assert not check.passed, where
        elif visible < 0.5:
            assert check.passed, where
            assert all(e.verdict == ROUNDING or e.analytic == 0 for e in W1), where
        if standardise_inputs or init == "normal 0.01":
            assert not check.passed, where


def test_dW1_bug_fails_in_the_reported_case(monkeypatch):
    monkeypatch.setattr(core.gradcheck, "backward", _dW1_slightly_off)
    params, X, y = situation("cars", False, True, "normal 0.01", 16, 0)
    check = gradient_check(params, X, y)
    assert not check.passed
    failed = {(e.name, e.index) for e in check.entries if e.verdict == FAILED}
    assert ("W1", (1, 0)) in failed
    assert {name for name, _ in failed} == {"W1"}


def test_check_of_a_4_8_1_network_on_1000_rows_is_fast():
    rng = np.random.default_rng(0)
    params = init_params("xavier", 4, 8, 0)
    X = rng.normal(0.0, 1000.0, (1000, 4))  # raw-sized inputs, so some steps get refined
    y = rng.normal(0.0, 1.0, (1000, 1))
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        check = gradient_check(params, X, y)
        best = min(best, time.perf_counter() - start)
    assert check.passed
    assert len(check.entries) == 4 * 8 + 8 + 8 + 1
    assert best < 0.5  # measured about 0.015 s


def test_numeric_derivative_uses_forward_and_loss_only(monkeypatch):
    """With backward() replaced by zeros, the numeric column is unchanged: it never reads it."""
    params, X, y = situation("diabetes", True, True, "he", 16, 0)
    honest = gradient_check(params, X, y)

    def zeros(params: Params, X, y, fwd):
        grads = backward(params, X, y, fwd)
        return Backward(*(np.zeros_like(a) for a in grads))

    monkeypatch.setattr(core.gradcheck, "backward", zeros)
    check = gradient_check(params, X, y)
    assert [e.numeric for e in check.entries] == [e.numeric for e in honest.entries]
    assert [e.h for e in check.entries] == [e.h for e in honest.entries]


def wide_loss(params: Params, X, y) -> float:
    """The loss in numpy's long double (64-bit mantissa on x86), as a reference for rounding."""
    W1, b1, W2, b2 = (a.astype(np.longdouble) for a in params)
    X, y = X.astype(np.longdouble), y.astype(np.longdouble)
    with np.errstate(over="ignore"):
        A1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    A2 = A1 @ W2 + b2
    return ((A2 - y) ** 2).sum() / (2 * len(X))


@pytest.mark.skipif(
    np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps / 100,
    reason="no wider floating-point type to measure float64 rounding against",
)
@pytest.mark.parametrize("key", SAMPLE_KEYS)
def test_rounding_scale_bounds_the_loss_rounding_error(key):
    """One float64 evaluation of L is within κ·ε·S of the exact value: the base of ν."""
    for standardise_inputs, standardise_target, init, batch, steps in product(
        (False, True), (False, True), INITS, BATCHES, STEPS_BEFORE
    ):
        params, X, y = situation(key, standardise_inputs, standardise_target, init, batch, steps)
        fwd = forward(params, X)
        error = abs(mse_loss(fwd.A2, y) - float(wide_loss(params, X, y)))
        S = rounding_scale(params, X, y, fwd)
        assert error <= NOISE_FACTOR * EPSILON * S, (standardise_inputs, init, batch, steps)
