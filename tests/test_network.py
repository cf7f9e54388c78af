"""Unit tests of core.network (forward, loss, backward, update, initialisation) and core.metrics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from core_helpers import random_problem
from hypothesis import given, settings
from hypothesis import strategies as st

from core import (
    INIT_SCHEMES,
    Backward,
    Forward,
    Params,
    backward,
    forward,
    init_params,
    mse_loss,
    regression_metrics,
    sgd_update,
    sigmoid,
)

RANDOM_SCHEMES = ("uniform", "normal", "xavier", "he")


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ---------------------------------------------------------------------------------------------
# A reference written with Python scalars and loops only, straight from the seed's formulas.
# ---------------------------------------------------------------------------------------------


def reference_pass(W1, b1, W2, b2, X, y):
    """Forward and backward pass on nested lists; returns a dict of nested lists and floats."""
    m, n, h = len(X), len(W1), len(W1[0])
    Z1 = [
        [sum(X[i][k] * W1[k][j] for k in range(n)) + b1[0][j] for j in range(h)] for i in range(m)
    ]
    A1 = [[sig(z) for z in row] for row in Z1]
    Z2 = [[sum(A1[i][j] * W2[j][0] for j in range(h)) + b2[0][0]] for i in range(m)]
    A2 = [row[:] for row in Z2]
    loss = sum((A2[i][0] - y[i][0]) ** 2 for i in range(m)) / (2 * m)
    delta2 = [[(A2[i][0] - y[i][0]) / m] for i in range(m)]
    delta1 = [
        [delta2[i][0] * W2[j][0] * A1[i][j] * (1 - A1[i][j]) for j in range(h)] for i in range(m)
    ]
    dW2 = [[sum(A1[i][j] * delta2[i][0] for i in range(m))] for j in range(h)]
    db2 = [[sum(delta2[i][0] for i in range(m))]]
    dW1 = [[sum(X[i][k] * delta1[i][j] for i in range(m)) for j in range(h)] for k in range(n)]
    db1 = [[sum(delta1[i][j] for i in range(m)) for j in range(h)]]
    return {
        "Z1": Z1,
        "A1": A1,
        "Z2": Z2,
        "A2": A2,
        "loss": loss,
        "delta2": delta2,
        "delta1": delta1,
        "dW2": dW2,
        "db2": db2,
        "dW1": dW1,
        "db1": db1,
    }


# ---------------------------------------------------------------------------------------------
# A 2-3-1 network on two rows, worked out by hand.
# ---------------------------------------------------------------------------------------------

X_HAND = np.array([[1.0, 2.0], [-1.0, 0.5]])
Y_HAND = np.array([[1.0], [0.0]])
W1_HAND = np.array([[0.5, -1.0, 0.0], [0.25, 0.5, 1.0]])
B1_HAND = np.array([[0.0, 0.5, -1.0]])
W2_HAND = np.array([[1.0], [-2.0], [0.5]])
B2_HAND = np.array([[0.25]])
LR_HAND = 0.1


def hand_params() -> Params:
    return Params.of(W1_HAND, B1_HAND, W2_HAND, B2_HAND)


def test_hand_worked_example():
    params = hand_params()
    fwd = forward(params, X_HAND)
    grads = backward(params, X_HAND, Y_HAND, fwd)

    # Z1 = X W1 + b1, row by row (all exact in binary).
    # row 0: [1·0.5 + 2·0.25 + 0,  1·(-1) + 2·0.5 + 0.5,  1·0 + 2·1 - 1]
    # row 1: [-1·0.5 + 0.5·0.25 + 0,  -1·(-1) + 0.5·0.5 + 0.5,  -1·0 + 0.5·1 - 1]
    Z1 = [[1.0, 0.5, 1.0], [-0.375, 1.75, -0.5]]
    assert fwd.Z1.tolist() == Z1

    A1 = [[sig(z) for z in row] for row in Z1]
    assert A1[0][0] == pytest.approx(0.7310585786300049, rel=1e-15)  # σ(1)
    assert A1[0][1] == pytest.approx(0.6224593312018546, rel=1e-15)  # σ(0.5)
    np.testing.assert_allclose(fwd.A1, A1, rtol=1e-15, atol=0)

    # Z2 = A1 W2 + b2 with W2 = (1, -2, 0.5)ᵀ and b2 = 0.25.
    Z2 = [
        A1[0][0] * 1.0 + A1[0][1] * -2.0 + A1[0][2] * 0.5 + 0.25,
        A1[1][0] * 1.0 + A1[1][1] * -2.0 + A1[1][2] * 0.5 + 0.25,
    ]
    assert Z2[0] == pytest.approx(1.5 * 0.7310585786300049 - 2 * 0.6224593312018546 + 0.25)
    np.testing.assert_allclose(fwd.Z2, [[Z2[0]], [Z2[1]]], rtol=1e-14)
    np.testing.assert_allclose(fwd.A2, [[Z2[0]], [Z2[1]]], rtol=1e-14)  # linear output

    # L = (1/2m)·||A2 - y||² with m = 2 and y = (1, 0).
    loss = ((Z2[0] - 1.0) ** 2 + (Z2[1] - 0.0) ** 2) / 4
    assert mse_loss(fwd.A2, Y_HAND) == pytest.approx(loss, rel=1e-14)

    # δ2 = (A2 - y)/m
    d2 = [(Z2[0] - 1.0) / 2, (Z2[1] - 0.0) / 2]
    np.testing.assert_allclose(grads.delta2, [[d2[0]], [d2[1]]], rtol=1e-14)

    # δ1 = (δ2 W2ᵀ) ⊙ A1(1 - A1)
    w2 = [1.0, -2.0, 0.5]
    d1 = [[d2[i] * w2[j] * A1[i][j] * (1 - A1[i][j]) for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(grads.delta1, d1, rtol=1e-14)

    # ∇W2 = A1ᵀ δ2, ∇b2 = Σ δ2
    dW2 = [[A1[0][j] * d2[0] + A1[1][j] * d2[1]] for j in range(3)]
    db2 = d2[0] + d2[1]
    np.testing.assert_allclose(grads.dW2, dW2, rtol=1e-14)
    np.testing.assert_allclose(grads.db2, [[db2]], rtol=1e-14)

    # ∇W1 = Xᵀ δ1 with X = [[1, 2], [-1, 0.5]], ∇b1 = Σ_rows δ1
    dW1 = [
        [1.0 * d1[0][j] + -1.0 * d1[1][j] for j in range(3)],
        [2.0 * d1[0][j] + 0.5 * d1[1][j] for j in range(3)],
    ]
    db1 = [[d1[0][j] + d1[1][j] for j in range(3)]]
    np.testing.assert_allclose(grads.dW1, dW1, rtol=1e-13)
    np.testing.assert_allclose(grads.db1, db1, rtol=1e-13)

    # θ ← θ − η·∇θ with η = 0.1. W1[1,3] nearly cancels (0.0 − 0.1·0.0062...), so its check
    # allows the 1e-13 relative error of the gradient itself, scaled by η.
    new = sgd_update(params, grads, LR_HAND)
    np.testing.assert_allclose(
        new.W1,
        [[W1_HAND[k][j] - LR_HAND * dW1[k][j] for j in range(3)] for k in range(2)],
        rtol=1e-15,
        atol=1e-17,
    )
    np.testing.assert_allclose(
        new.b1, [[B1_HAND[0][j] - LR_HAND * db1[0][j] for j in range(3)]], rtol=1e-15
    )
    np.testing.assert_allclose(
        new.W2, [[w2[j] - LR_HAND * dW2[j][0]] for j in range(3)], rtol=1e-15
    )
    np.testing.assert_allclose(new.b2, [[0.25 - LR_HAND * db2]], rtol=1e-15)


def test_hand_example_update_lowers_the_loss():
    params = hand_params()
    before = mse_loss(forward(params, X_HAND).A2, Y_HAND)
    new = sgd_update(params, backward(params, X_HAND, Y_HAND, forward(params, X_HAND)), LR_HAND)
    assert mse_loss(forward(new, X_HAND).A2, Y_HAND) < before


# ---------------------------------------------------------------------------------------------
# Core against the loop reference on random shapes.
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 8),
    m=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_loop_reference(n_in, n_hidden, m, seed):
    params, X, y = random_problem(n_in, n_hidden, m, seed)
    fwd = forward(params, X)
    grads = backward(params, X, y, fwd)
    ref = reference_pass(*(a.tolist() for a in params), X.tolist(), y.tolist())
    for name in Forward._fields:
        np.testing.assert_allclose(getattr(fwd, name), ref[name], rtol=1e-12, atol=1e-13)
    for name in Backward._fields:
        np.testing.assert_allclose(getattr(grads, name), ref[name], rtol=1e-10, atol=1e-14)
    assert mse_loss(fwd.A2, y) == pytest.approx(ref["loss"], rel=1e-12, abs=1e-15)


def test_loss_uses_the_batch_rows_for_m():
    A2 = np.array([[1.0], [3.0], [0.0], [2.0]])
    y = np.zeros((4, 1))
    assert mse_loss(A2, y) == (1 + 9 + 0 + 4) / (2 * 4)


# ---------------------------------------------------------------------------------------------
# Shapes.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_in", [1, 2, 4])
@pytest.mark.parametrize("n_hidden", [1, 3, 8])
@pytest.mark.parametrize("m", [1, 2, 17])
def test_shapes(n_in, n_hidden, m):
    params, X, y = random_problem(n_in, n_hidden, m, seed=m * 100 + n_in * 10 + n_hidden)
    assert [a.shape for a in params] == [(n_in, n_hidden), (1, n_hidden), (n_hidden, 1), (1, 1)]
    assert params.shape == (n_in, n_hidden)
    assert params.flat().shape == (n_in * n_hidden + 2 * n_hidden + 1,)
    fwd = forward(params, X)
    assert [a.shape for a in fwd] == [(m, n_hidden), (m, n_hidden), (m, 1), (m, 1)]
    grads = backward(params, X, y, fwd)
    assert [a.shape for a in grads] == [
        (m, 1),
        (m, n_hidden),
        (n_hidden, 1),
        (1, 1),
        (n_in, n_hidden),
        (1, n_hidden),
    ]
    new = sgd_update(params, grads, 0.1)
    assert [a.shape for a in new] == [a.shape for a in params]
    for scheme in INIT_SCHEMES:
        init = init_params(scheme, n_in, n_hidden)
        assert [a.shape for a in init] == [a.shape for a in params]
        assert all(a.dtype == np.float64 for a in init)


def test_flat_round_trip():
    params, _, _ = random_problem(3, 5, 1, seed=4)
    flat = params.flat()
    # W1, b1, W2, b2, each row by row.
    expected = (
        params.W1.ravel().tolist()
        + params.b1.ravel().tolist()
        + params.W2.ravel().tolist()
        + params.b2.ravel().tolist()
    )
    assert flat.tolist() == expected
    back = Params.from_flat(flat, 3, 5)
    for a, b in zip(back, params, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# Sigmoid.
# ---------------------------------------------------------------------------------------------


# Underflow of e^-|z| to 0 is harmless (σ is then exactly 0 or 1); overflow, invalid operations
# and division by zero are not.
def test_sigmoid_extremes_no_overflow_no_nan():
    Z = np.concatenate([np.linspace(-1e4, 1e4, 4001), [-1e4, -800.0, -745.0, 0.0, 745.0, 1e4]])
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        A = sigmoid(Z)
    assert not np.isnan(A).any()
    assert ((A >= 0) & (A <= 1)).all()
    assert sigmoid(np.array([1e4]))[0] == 1.0
    assert sigmoid(np.array([-1e4]))[0] == 0.0
    assert sigmoid(np.array([0.0]))[0] == 0.5


def test_sigmoid_matrix_input_keeps_shape():
    Z = np.array([[-1e4, 0.0, 1e4], [2.0, -2.0, 30.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        A = sigmoid(Z)
    assert A.shape == Z.shape
    assert A[1, 0] + A[1, 1] == pytest.approx(1.0, rel=1e-15)


def test_sigmoid_matches_textbook_formula():
    z = np.linspace(-30, 30, 20001)
    ref = np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    np.testing.assert_allclose(sigmoid(z), ref, rtol=1e-15, atol=0)


def test_sigmoid_is_monotone():
    z = np.linspace(-40, 40, 10001)
    assert (np.diff(sigmoid(z)) >= 0).all()


# ---------------------------------------------------------------------------------------------
# Initialisation.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_init_deterministic_biases_zero_read_only(scheme):
    a = init_params(scheme, 3, 5, seed=11)
    b = init_params(scheme, 3, 5, seed=11)
    for x, z in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, z)
    assert (a.b1 == 0).all()
    assert (a.b2 == 0).all()
    for arr in a:
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0, 0] = 1.0


@pytest.mark.parametrize("scheme", RANDOM_SCHEMES)
def test_random_schemes_depend_on_seed(scheme):
    a = init_params(scheme, 2, 3, seed=0)
    b = init_params(scheme, 2, 3, seed=1)
    assert not np.array_equal(a.W1, b.W1)
    assert not np.array_equal(a.W2, b.W2)
    # And within one draw the weights are not all the same value.
    assert np.unique(a.W1).size == a.W1.size


def test_zeros_and_constant():
    z = init_params("zeros", 4, 8)
    assert all((arr == 0).all() for arr in z)
    c = init_params("constant", 2, 3)
    assert (c.W1 == 0.5).all() and (c.W2 == 0.5).all()  # default constant
    c = init_params("constant", 2, 3, scale=-0.25)
    assert (c.W1 == -0.25).all() and (c.W2 == -0.25).all()
    assert np.array_equal(
        init_params("constant", 2, 3, seed=0).W1, init_params("constant", 2, 3, seed=9).W1
    )


def pooled(scheme: str, n_in: int, n_hidden: int, scale=None, seeds: int = 1500):
    draws = [init_params(scheme, n_in, n_hidden, seed=s, scale=scale) for s in range(seeds)]
    return np.concatenate([d.W1.ravel() for d in draws]), np.concatenate(
        [d.W2.ravel() for d in draws]
    )


@pytest.mark.parametrize("scale", [None, 0.3, 2.0])
def test_uniform_half_width(scale):
    half = 1.0 if scale is None else scale
    W1, W2 = pooled("uniform", 2, 3, scale)
    for w in (W1, W2):
        assert np.abs(w).max() <= half
        assert np.abs(w).max() > 0.98 * half  # the bound is actually reached, not a narrower one
        assert abs(w.mean()) < 0.05 * half
        assert w.std() == pytest.approx(half / math.sqrt(3), rel=0.05)


@pytest.mark.parametrize("scale", [None, 0.5, 3.0])
def test_normal_standard_deviation(scale):
    std = 0.1 if scale is None else scale
    W1, W2 = pooled("normal", 2, 3, scale)
    for w in (W1, W2):
        assert abs(w.mean()) < 0.05 * std
        assert w.std() == pytest.approx(std, rel=0.05)


@pytest.mark.parametrize(("n_in", "n_hidden"), [(1, 1), (2, 3), (4, 8)])
def test_xavier_bounds_and_spread(n_in, n_hidden):
    W1, W2 = pooled("xavier", n_in, n_hidden)
    for w, fan_in, fan_out in ((W1, n_in, n_hidden), (W2, n_hidden, 1)):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.98 * limit
        assert w.std() == pytest.approx(math.sqrt(2.0 / (fan_in + fan_out)), rel=0.06)


@pytest.mark.parametrize(("n_in", "n_hidden"), [(1, 1), (2, 3), (4, 8)])
def test_he_spread(n_in, n_hidden):
    W1, W2 = pooled("he", n_in, n_hidden)
    for w, fan_in in ((W1, n_in), (W2, n_hidden)):
        assert abs(w.mean()) < 0.06 * math.sqrt(2.0 / fan_in)
        assert w.std() == pytest.approx(math.sqrt(2.0 / fan_in), rel=0.06)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scheme": "glorot"},
        {"scheme": ""},
        {"scheme": "normal", "n_in": 0},
        {"scheme": "normal", "n_in": 5},
        {"scheme": "normal", "n_hidden": 0},
        {"scheme": "normal", "n_hidden": 9},
        {"scheme": "zeros", "n_in": -1},
    ],
)
def test_init_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        init_params(**kwargs)


@pytest.mark.parametrize(("n_in", "n_hidden"), [(1, 1), (4, 8)])
def test_init_accepts_the_limits(n_in, n_hidden):
    assert init_params("he", n_in, n_hidden).shape == (n_in, n_hidden)


# ---------------------------------------------------------------------------------------------
# Update and record immutability.
# ---------------------------------------------------------------------------------------------


def test_sgd_update_returns_new_record_and_leaves_inputs_alone():
    params, X, y = random_problem(3, 4, 6, seed=2)
    grads = backward(params, X, y, forward(params, X))
    params_copy = [a.copy() for a in params]
    grads_copy = [a.copy() for a in grads]
    new = sgd_update(params, grads, 0.3)
    assert new is not params
    for a, b in zip(params, params_copy, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(grads, grads_copy, strict=True):
        np.testing.assert_array_equal(a, b)
    for a_new, a_old in zip(new, params, strict=True):
        assert not np.shares_memory(a_new, a_old)
        assert not a_new.flags.writeable
    np.testing.assert_array_equal(new.W1, params.W1 - 0.3 * grads.dW1)
    np.testing.assert_array_equal(new.b2, params.b2 - 0.3 * grads.db2)
    # lr = 0 keeps the values but still gives a separate record.
    same = sgd_update(params, grads, 0.0)
    for a, b in zip(same, params, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, b)


def test_params_of_copies_and_freezes():
    W1 = np.ones((2, 3))
    p = Params.of(W1, np.zeros((1, 3)), np.ones((3, 1)), np.zeros((1, 1)))
    W1[0, 0] = 7.0
    assert p.W1[0, 0] == 1.0
    for arr in p:
        assert not arr.flags.writeable
    with pytest.raises(ValueError):
        p.W2[0, 0] = 3.0
    back = Params.from_flat(p.flat(), 2, 3)
    assert all(not arr.flags.writeable for arr in back)


# ---------------------------------------------------------------------------------------------
# Symmetry: identical hidden units stay identical under zero initialisation.
# ---------------------------------------------------------------------------------------------


def train_full_batch(params: Params, X, y, steps: int, lr: float) -> Params:
    for _ in range(steps):
        params = sgd_update(params, backward(params, X, y, forward(params, X)), lr)
    return params


@pytest.mark.parametrize(("n_in", "n_hidden"), [(2, 3), (3, 5), (4, 8)])
def test_zero_init_keeps_hidden_units_identical(n_in, n_hidden):
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (30, n_in))
    y = (X.sum(axis=1) + np.sin(3 * X[:, 0]))[:, None]
    p = train_full_batch(init_params("zeros", n_in, n_hidden), X, y, 200, 0.5)
    # The weights did move (so the equality below is not just "everything is still 0") ...
    assert np.abs(p.W1).max() > 0.01 and np.abs(p.W2).max() > 0.01
    # ... yet all hidden units are the same unit. (Different matmul kernels may round the
    # columns differently in the last bit, hence a tolerance far below any real difference.)
    tol = 1e-10
    assert np.ptp(p.W1, axis=1).max() < tol
    assert np.ptp(p.b1) < tol
    assert np.ptp(p.W2) < tol
    # Random initialisation breaks the symmetry.
    q = train_full_batch(init_params("normal", n_in, n_hidden, seed=1, scale=0.5), X, y, 200, 0.5)
    if n_hidden > 1:
        assert np.ptp(q.W2) > 1e-3
        assert np.ptp(q.W1, axis=1).max() > 1e-3


# ---------------------------------------------------------------------------------------------
# Metrics.
# ---------------------------------------------------------------------------------------------


def test_metrics_rmse_and_loss():
    params, X, y = random_problem(2, 3, 25, seed=8)
    met = regression_metrics(params, X, y)
    A2 = forward(params, X).A2
    mse = float(np.mean((A2 - y) ** 2))
    assert met.loss == pytest.approx(mse / 2, rel=1e-14)
    assert met.rmse == pytest.approx(math.sqrt(mse), rel=1e-14)
    assert met.rmse == pytest.approx(math.sqrt(2 * met.loss), rel=1e-15)
    ss_res = float(np.sum((A2 - y) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    assert met.r2 == pytest.approx(1 - ss_res / ss_tot, rel=1e-12)


def test_metrics_perfect_fit_r2_is_one():
    # Targets that this network reproduces exactly (one hidden unit: y = 4·σ(x) - 1).
    X = np.array([[-3.0], [-1.0], [0.0], [1.0], [2.0]])
    params = Params.of([[1.0]], [[0.0]], [[4.0]], [[-1.0]])
    y = forward(params, X).A2.copy()
    np.testing.assert_allclose(y, 4.0 / (1.0 + np.exp(-X)) - 1.0, rtol=1e-14)
    assert np.ptp(y) > 1
    met = regression_metrics(params, X, y)
    assert met.loss == 0.0
    assert met.rmse == 0.0
    assert met.r2 == 1.0
    # Hidden weights 0 and b2 = mean(y): the best constant, R² exactly 0.
    mean_only = Params.of([[0.0]], [[0.0]], [[0.0]], [[float(y.mean())]])
    assert regression_metrics(mean_only, X, y).r2 == pytest.approx(0.0, abs=1e-15)


def test_metrics_constant_target_r2_nan():
    X = np.array([[0.0, 1.0], [1.0, 2.0], [3.0, -1.0]])
    y = np.full((3, 1), 2.5)
    exact = Params.of(np.zeros((2, 3)), np.zeros((1, 3)), np.zeros((3, 1)), [[2.5]])
    met = regression_metrics(exact, X, y)
    assert met.loss == 0.0 and met.rmse == 0.0
    assert math.isnan(met.r2)
    off = regression_metrics(init_params("zeros", 2, 3), X, y)
    assert off.loss == pytest.approx(2.5**2 / 2)
    assert math.isnan(off.r2)


def test_metrics_empty_set_is_nan():
    met = regression_metrics(init_params("he", 2, 3), np.empty((0, 2)), np.empty((0, 1)))
    assert all(math.isnan(v) for v in met)
