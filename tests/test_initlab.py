"""The initialisation lab: identical batches per scheme, symmetry, saturation and the curves."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import core.initlab as initlab
from core import init_params, regression_metrics
from core.initlab import (
    LAB_SCHEMES,
    Diagnostics,
    LabRun,
    Saturation,
    compare_inits,
    identical_units,
    saturation,
    symmetry,
)
from core.network import Params, backward, forward

ALL_FOUR = ("zeros", "xavier", "he", "large normal")


def standardised(m: int = 80, n_in: int = 2, seed: int = 7):
    """A bumpy surface on standardised inputs and target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    y = np.sin(1.5 * X[:, :1]) + 0.5 * X[:, -1:] ** 2
    return (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()


def lab(choices=ALL_FOUR, steps=300, n_hidden=8, lr=0.5, batch_size=8, m=80, **kw):
    X, y = standardised(m)
    split = m * 4 // 5
    settings = dict(init_seed=0, batch_size=batch_size, lr=lr, shuffle=True, shuffle_seed=3)
    settings |= kw
    return compare_inits(
        X[:split], y[:split], X[split:], y[split:], list(choices), n_hidden, steps=steps, **settings
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, LabRun]:
    return {run.name: run for run in lab()}


def brute_symmetry(params: Params) -> float:
    """The definition, pair by pair."""
    h = params.W1.shape[1]
    worst = 0.0
    for a, b in itertools.combinations(range(h), 2):
        worst = max(
            worst,
            float(np.max(np.abs(params.W1[:, a] - params.W1[:, b]))),
            abs(float(params.b1[0, a] - params.b1[0, b])),
            abs(float(params.W2[a, 0] - params.W2[b, 0])),
        )
    return worst


# ---------------------------------------------------------------------------------------------
# The catalogue and the runs.
# ---------------------------------------------------------------------------------------------


def test_lab_schemes_in_display_order():
    assert list(LAB_SCHEMES) == ["zeros", "small normal", "xavier", "he", "large normal"]
    assert LAB_SCHEMES["zeros"] == ("zeros", None)
    assert LAB_SCHEMES["small normal"] == ("normal", 0.01)
    assert LAB_SCHEMES["large normal"] == ("normal", 5.0)
    assert LAB_SCHEMES["xavier"] == ("xavier", None) and LAB_SCHEMES["he"] == ("he", None)


def test_runs_come_back_in_the_chosen_order(runs):
    assert list(runs) == list(ALL_FOUR)
    for name, run in runs.items():
        assert (run.scheme, run.scale) == LAB_SCHEMES[name]
        assert isinstance(run.start, Diagnostics) and isinstance(run.end, Diagnostics)
        expected = init_params(run.scheme, 2, 8, 0, run.scale)
        assert all(
            np.array_equal(a, b) for a, b in zip(run.trainer.history.initial, expected, strict=True)
        )


def test_every_scheme_sees_the_same_batches(runs):
    trainers = [run.trainer for run in runs.values()]
    for step in (1, 2, 8, 9, 300):  # across the first epoch boundary (8 batches per epoch)
        records = [t.record(step) for t in trainers]
        for rec in records[1:]:
            assert np.array_equal(rec.indices, records[0].indices)
            assert np.array_equal(rec.X, records[0].X) and np.array_equal(rec.y, records[0].y)
            assert rec.lr == records[0].lr == 0.5
    assert all(t.plan.n_batches == 8 for t in trainers)


def test_runs_are_deterministic(runs):
    again = {run.name: run for run in lab()}
    for name, run in runs.items():
        other = again[name]
        assert np.array_equal(run.batch_loss, other.batch_loss)
        assert np.array_equal(run.train_loss, other.train_loss)
        assert run.start == other.start and run.end == other.end
        assert run.final_train_loss == other.final_train_loss
        assert run.final_test_loss == other.final_test_loss


# ---------------------------------------------------------------------------------------------
# Symmetry.
# ---------------------------------------------------------------------------------------------


def test_zero_init_stays_symmetric_after_training(runs):
    run = runs["zeros"]
    assert run.divergence is None and run.steps.size == 300
    assert run.start.symmetry == 0.0 and run.start.identical_units
    assert run.end.symmetry < 1e-12 and run.end.identical_units
    W1, b1, W2, _ = run.trainer.params
    assert np.abs(W2).max() > 0.1 and np.abs(W1).max() > 1e-3  # it did learn, all units alike
    assert np.allclose(W1, W1[:, :1], rtol=0, atol=1e-12)
    assert np.allclose(b1, b1[0, 0], rtol=0, atol=1e-12)
    assert np.allclose(W2, W2[0, 0], rtol=0, atol=1e-12)
    assert run.final_train_loss > 2 * runs["xavier"].final_train_loss  # one unit's worth


@pytest.mark.parametrize("name", ["xavier", "he", "large normal"])
def test_random_schemes_break_symmetry(runs, name):
    run = runs[name]
    assert run.start.symmetry > 0.5 and not run.start.identical_units
    assert run.end.symmetry > 0.5 and not run.end.identical_units


def test_small_normal_starts_nearly_but_not_exactly_symmetric():
    (run,) = lab(["small normal"], steps=50)
    assert 0 < run.start.symmetry < 0.1
    assert not run.start.identical_units
    assert identical_units(run.trainer.history.initial, tol=0.1)


def test_symmetry_matches_the_pairwise_definition():
    rng = np.random.default_rng(0)
    for n_in, h in itertools.product((1, 2, 4), (1, 2, 3, 8)):
        params = Params.of(
            rng.normal(size=(n_in, h)),
            rng.normal(size=(1, h)),
            rng.normal(size=(h, 1)),
            rng.normal(size=(1, 1)),
        )
        assert symmetry(params) == pytest.approx(brute_symmetry(params), abs=1e-15)


def test_symmetry_of_hand_made_parameters():
    W1 = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    same = Params.of(W1, np.full((1, 3), 0.5), np.full((3, 1), -1.0), np.array([[9.0]]))
    assert symmetry(same) == 0.0 and identical_units(same)
    assert symmetry(same._replace(b1=np.array([[0.5, 0.5, 0.75]]))) == 0.25
    assert symmetry(same._replace(W2=np.array([[-1.0], [-3.0], [-1.0]]))) == 2.0
    assert symmetry(same._replace(W1=np.array([[1.0, 1.5, 1.0], [2.0, 2.0, 2.0]]))) == 0.5
    assert identical_units(same._replace(b1=np.array([[0.5, 0.5, 0.5 + 1e-13]])))
    assert not identical_units(same._replace(b1=np.array([[0.5, 0.5, 0.5 + 1e-9]])))
    assert identical_units(same._replace(b1=np.array([[0.5, 0.5, 0.5 + 1e-9]])), tol=1e-8)
    # The output bias belongs to no hidden unit; one hidden unit is trivially symmetric.
    assert symmetry(same._replace(b2=np.array([[-4.0]]))) == 0.0
    assert symmetry(init_params("xavier", 2, 1, seed=3)) == 0.0


# ---------------------------------------------------------------------------------------------
# Saturation.
# ---------------------------------------------------------------------------------------------


def test_large_weights_saturate_the_sigmoids(runs):
    big, xavier = runs["large normal"].start.saturation, runs["xavier"].start.saturation
    assert big.share_near_0_or_1 > 0.4
    assert xavier.share_near_0_or_1 < 0.1
    assert big.mean_slope < 0.5 * xavier.mean_slope  # the sigmoid passes on much less
    # Zero weights sit at the sigmoid's steepest point.
    zeros = runs["zeros"].start.saturation
    assert zeros.share_near_0_or_1 == 0.0 and zeros.mean_slope == 0.25


def test_saturation_numbers_follow_their_definitions(runs):
    X, y = runs["he"].trainer.X, runs["he"].trainer.y
    for run in runs.values():
        for params, diag in (
            (run.trainer.history.initial, run.start),
            (run.trainer.params, run.end),
        ):
            fwd = forward(params, X)
            grads = backward(params, X, y, fwd)
            s = diag.saturation
            assert s == saturation(params, X, y)
            near = np.mean([a < 0.05 or a > 0.95 for a in fwd.A1.ravel()])
            assert s.share_near_0_or_1 == pytest.approx(near)
            assert s.mean_slope == pytest.approx(np.mean(fwd.A1 * (1 - fwd.A1)))
            assert s.mean_abs_delta1 == pytest.approx(np.mean(np.abs(grads.delta1)))
            assert s.mean_abs_delta2 == pytest.approx(np.mean(np.abs(grads.delta2)))
            assert s.ratio == pytest.approx(s.mean_abs_delta1 / s.mean_abs_delta2)
            assert diag.symmetry == symmetry(params)


def test_saturation_extremes():
    X, y = standardised(40)
    huge = Params.of(np.full((2, 3), 1e3), np.zeros((1, 3)), np.ones((3, 1)), np.zeros((1, 1)))
    s = saturation(huge, X, y)
    assert s.share_near_0_or_1 == 1.0 and s.mean_slope < 1e-6 and s.ratio < 1e-6
    zeros = init_params("zeros", 2, 3)
    s = saturation(zeros, X, y)
    assert s._replace(mean_abs_delta2=0.0) == Saturation(0.0, 0.25, 0.0, 0.0, 0.0)
    assert s.mean_abs_delta2 == pytest.approx(np.mean(np.abs(y)) / 40)  # A2 = 0, δ2 = -y/m
    # A perfect fit has no error to pass back: the ratio is undefined.
    perfect = saturation(zeros, X, np.zeros((40, 1)))
    assert perfect.mean_abs_delta2 == 0.0 and math.isnan(perfect.ratio)
    assert saturation(zeros, X, y, threshold=0.4).share_near_0_or_1 == 0.0
    for bad in (0.0, 0.5, -0.1, 1.0):
        with pytest.raises(ValueError, match="threshold"):
            saturation(zeros, X, y, threshold=bad)


# ---------------------------------------------------------------------------------------------
# Curves and results.
# ---------------------------------------------------------------------------------------------


def test_curves_have_one_point_per_step(runs):
    for run in runs.values():
        assert np.array_equal(run.steps, np.arange(1, 301))
        assert run.batch_loss.shape == (300,)
        assert np.array_equal(run.eval_steps, np.arange(301))
        assert run.train_loss.shape == (301,)
        assert np.array_equal(run.batch_loss, run.trainer.history.column("batch_loss"))
        assert run.train_loss[0] == run.trainer.initial_metrics.train.loss
        assert run.train_loss[-1] == run.final_train_loss
        assert run.final_train_loss == run.trainer.metrics().train.loss
        assert math.isfinite(run.final_test_loss)
        for array in (run.steps, run.batch_loss, run.eval_steps, run.train_loss):
            assert not array.flags.writeable


def test_train_loss_is_filled_in_where_the_trainer_skipped_it():
    # 600 rows: the trainer's fast path evaluates only at epoch ends; the lab fills the rest.
    (run,) = lab(["he"], steps=40, m=750, batch_size=50, lr=0.3)
    trainer = run.trainer
    assert np.isnan(trainer.history.column("train_loss")).any()
    assert np.array_equal(run.eval_steps, np.arange(41))
    for step in range(41):
        expected = regression_metrics(trainer.history.params_after(step), trainer.X, trainer.y)
        assert run.train_loss[step] == pytest.approx(expected.loss, rel=1e-12)


def test_large_runs_evaluate_evenly_spaced_steps(monkeypatch):
    monkeypatch.setattr(initlab, "LAB_EVAL_ROWS", 10_000)
    (run,) = lab(["xavier"], steps=1000, m=750, batch_size=50, lr=0.3)
    assert run.steps.size == run.batch_loss.size == 1000
    assert run.eval_steps.size == initlab.LAB_EVAL_POINTS + 1
    assert run.eval_steps[0] == 0 and run.eval_steps[-1] == 1000
    assert np.all(np.diff(run.eval_steps) == 20)
    assert run.train_loss.size == run.eval_steps.size
    trainer = run.trainer
    for step, loss in zip(run.eval_steps, run.train_loss, strict=True):
        expected = regression_metrics(trainer.history.params_after(int(step)), trainer.X, trainer.y)
        assert loss == pytest.approx(expected.loss, rel=1e-12)


def test_divergence_is_reported_and_curves_stop_there():
    for run in lab(["xavier", "large normal"], steps=200, lr=5.0):
        taken = run.trainer.step_count
        assert run.divergence is not None and "Training stopped at step" in run.divergence
        assert run.divergence == run.trainer.divergence.message
        assert 0 < taken < 200
        assert run.steps.size == run.batch_loss.size == taken
        assert run.eval_steps[-1] == taken and run.train_loss.size == taken + 1
        assert math.isfinite(run.final_train_loss)


def test_without_a_test_set_the_test_loss_is_nan():
    X, y = standardised(40)
    (run,) = compare_inits(X, y, None, None, ["he"], 3, 0, 10, 0.1, False, 0, 5)
    assert math.isnan(run.final_test_loss) and math.isfinite(run.final_train_loss)
    assert np.array_equal(run.trainer.record(1).indices, np.arange(10))  # no shuffling


# ---------------------------------------------------------------------------------------------
# Validation.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "steps", "message"),
    [
        ([], 10, "Choose 1 to 4"),
        (["zeros", "xavier", "he", "large normal", "small normal"], 10, "Choose 1 to 4"),
        (["xavier", "glorot"], 10, "Unknown initialisation 'glorot'"),
        (["he", "he"], 10, "only once"),
        ("xavier", 10, "list of names"),
        (["xavier"], 0, "1 to 100,000 steps"),
        (["xavier"], 100_001, "1 to 100,000 steps"),
        (["xavier"], 2.5, "whole number"),
        (["xavier"], True, "whole number"),
    ],
)
def test_bad_requests_are_rejected(choices, steps, message):
    X, y = standardised(20)
    with pytest.raises(ValueError, match=message):
        compare_inits(X, y, None, None, choices, 3, 0, 5, 0.1, True, 0, steps)
