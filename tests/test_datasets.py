"""Synthetic generators, the train/test split and standardisation."""

import numpy as np
import pytest

from core.datasets import (
    GENERATORS,
    M_MAX,
    M_MIN,
    Dataset,
    Scaling,
    fit_scaling,
    generate,
    split_train_test,
)

# Each target written out again, independently of core.datasets, for n_inputs 1 and 2.
EXPECTED = {
    ("plane", 1): lambda x1: 0.8 * x1 + 0.2,
    ("plane", 2): lambda x1, x2: 0.8 * x1 - 0.5 * x2 + 0.2,
    ("sine", 1): lambda x1: np.sin(3 * x1),
    ("sine", 2): lambda x1, x2: np.sin(3 * x1) * np.cos(3 * x2),
    ("bowl", 1): lambda x1: x1 * x1,
    ("bowl", 2): lambda x1, x2: x1 * x1 + x2 * x2,
    ("saddle", 1): lambda x1: x1 * x1 * x1,
    ("saddle", 2): lambda x1, x2: x1 * x2,
    ("gaussian", 1): lambda x1: np.exp(-4 * x1 * x1),
    ("gaussian", 2): lambda x1, x2: np.exp(-4 * (x1 * x1 + x2 * x2)),
    ("step", 1): lambda x1: np.where(x1 > 0, 1.0, 0.0),
    ("step", 2): lambda x1, x2: np.where(x1 + x2 > 0, 1.0, 0.0),
}
CASES = sorted(EXPECTED)


def test_registry_lists_the_six_generators_with_display_text():
    assert set(GENERATORS) == {"plane", "sine", "bowl", "saddle", "gaussian", "step"}
    for name, spec in GENERATORS.items():
        assert spec.name == name
        assert spec.label and spec.formula.startswith("y = ") and "x2" in spec.formula
        assert spec.formula_for(1) == spec.formula_1d and "x2" not in spec.formula_1d
        assert spec.n_inputs == (1, 2)


@pytest.mark.parametrize(("name", "n"), CASES)
def test_shape_dtype_and_names(name, n):
    data = generate(name, m=57, noise=0.1, seed=3, n_inputs=n)
    assert isinstance(data, Dataset)
    assert data.X.shape == (57, n) and data.y.shape == (57, 1)
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.feature_names == tuple(f"x{i + 1}" for i in range(n))
    assert data.target_name == "y"
    assert GENERATORS[name].label in data.source
    assert np.all(np.abs(data.X) <= 1.0)


@pytest.mark.parametrize(("name", "n"), CASES)
def test_noise_zero_gives_the_exact_function(name, n):
    data = generate(name, m=500, noise=0.0, seed=11, n_inputs=n)
    columns = [data.X[:, j] for j in range(n)]
    np.testing.assert_allclose(data.y[:, 0], EXPECTED[(name, n)](*columns), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "n"), CASES)
def test_same_seed_same_data_and_other_seed_other_data(name, n):
    a = generate(name, m=200, noise=0.05, seed=1, n_inputs=n)
    b = generate(name, m=200, noise=0.05, seed=1, n_inputs=n)
    c = generate(name, m=200, noise=0.05, seed=2, n_inputs=n)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.y, c.y)


def test_noise_is_additive_gaussian_with_the_given_std():
    clean = generate("sine", m=100_000, noise=0.0, seed=5)
    noisy = generate("sine", m=100_000, noise=0.3, seed=5)
    np.testing.assert_array_equal(clean.X, noisy.X)  # the inputs do not depend on the noise
    residual = noisy.y - clean.y
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(0.3, rel=0.02)


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("m", [M_MIN, M_MAX])
def test_m_bounds_are_accepted(name, m):
    assert generate(name, m=m, noise=0.0, seed=0).m == m


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("m", [M_MIN - 1, M_MAX + 1, 0, -5, 10.5, "50", True])
def test_m_out_of_bounds_raises(name, m):
    with pytest.raises(ValueError, match="number of examples"):
        generate(name, m=m, noise=0.0, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"noise": float("inf")}, "noise"),
        ({"n_inputs": 3}, "n_inputs"),
        ({"n_inputs": 0}, "n_inputs"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments_raise(kwargs, word):
    args = {"name": "plane", "m": 20, "noise": 0.0, "seed": 0, "n_inputs": 2, **kwargs}
    with pytest.raises(ValueError, match=word):
        generate(**args)


def test_unknown_generator_lists_the_known_ones():
    with pytest.raises(ValueError, match="plane"):
        generate("spiral", m=20, noise=0.0, seed=0)


def test_dataset_arrays_are_read_only_copies():
    X = np.arange(6.0).reshape(3, 2)
    y = np.array([1.0, 2.0, 3.0])
    data = Dataset(X=X, y=y, feature_names=("a", "b"), target_name="t", source="test")
    assert data.y.shape == (3, 1)
    with pytest.raises(ValueError):
        data.X[0, 0] = 99.0
    with pytest.raises(ValueError):
        data.y[0, 0] = 99.0
    X[0, 0] = 42.0  # the caller's array stays writable and is not shared
    assert data.X[0, 0] == 0.0


def test_generated_arrays_are_read_only():
    data = generate("bowl", m=20, noise=0.0, seed=0)
    assert not data.X.flags.writeable and not data.y.flags.writeable


@pytest.mark.parametrize(
    ("X", "y", "names"),
    [
        (np.zeros((3, 2)), np.zeros(4), ("a", "b")),
        (np.zeros((3, 2)), np.zeros(3), ("a",)),
        (np.zeros(3), np.zeros(3), ("a",)),
        (np.zeros((0, 2)), np.zeros(0), ("a", "b")),
    ],
)
def test_dataset_rejects_inconsistent_shapes(X, y, names):
    with pytest.raises(ValueError):
        Dataset(X=X, y=y, feature_names=names, target_name="t", source="test")


# --- split ------------------------------------------------------------------------------------


def _xy(m, n=2):
    X = np.arange(m * n, dtype=float).reshape(m, n)
    return X, X[:, :1] * 10.0


@pytest.mark.parametrize(
    ("m", "fraction", "n_test"), [(100, 0.2, 20), (10, 0.25, 2), (7, 0.5, 4), (50, 0.9, 45)]
)
def test_split_sizes(m, fraction, n_test):
    X, y = _xy(m)
    split = split_train_test(X, y, fraction, seed=0)
    assert split.X_test.shape == (n_test, 2) and split.y_test.shape == (n_test, 1)
    assert split.X_train.shape == (m - n_test, 2) and split.y_train.shape == (m - n_test, 1)
    assert len(split.test_idx) == n_test and len(split.train_idx) == m - n_test


def test_split_is_disjoint_covers_all_rows_and_keeps_original_indices():
    X, y = _xy(200)
    split = split_train_test(X, y, 0.3, seed=4)
    assert set(split.train_idx).isdisjoint(split.test_idx)
    assert sorted([*split.train_idx, *split.test_idx]) == list(range(200))
    np.testing.assert_array_equal(split.X_train, X[split.train_idx])
    np.testing.assert_array_equal(split.y_test, y[split.test_idx])


def test_split_is_deterministic_and_depends_on_seed():
    X, y = _xy(100)
    a = split_train_test(X, y, 0.2, seed=9)
    b = split_train_test(X, y, 0.2, seed=9)
    c = split_train_test(X, y, 0.2, seed=10)
    np.testing.assert_array_equal(a.test_idx, b.test_idx)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert set(a.test_idx) != set(c.test_idx)


def test_split_zero_fraction_gives_an_empty_test_set():
    X, y = _xy(30, n=3)
    split = split_train_test(X, y, 0.0, seed=0)
    assert split.X_test.shape == (0, 3) and split.y_test.shape == (0, 1)
    assert split.X_train.shape == (30, 3) and len(split.test_idx) == 0


def test_split_always_keeps_a_training_row():
    X, y = _xy(1)
    split = split_train_test(X, y, 0.9, seed=0)
    assert split.X_train.shape == (1, 2) and split.X_test.shape == (0, 2)
    X, y = _xy(2)
    assert len(split_train_test(X, y, 0.9, seed=0).train_idx) == 1


@pytest.mark.parametrize("fraction", [-0.1, 0.95, 1.0, float("nan")])
def test_split_rejects_bad_fractions(fraction):
    X, y = _xy(10)
    with pytest.raises(ValueError, match="test_fraction"):
        split_train_test(X, y, fraction, seed=0)


def test_split_rejects_mismatched_rows():
    X, _ = _xy(10)
    with pytest.raises(ValueError):
        split_train_test(X, np.zeros((9, 1)), 0.2, seed=0)


# --- scaling ----------------------------------------------------------------------------------


def test_scaling_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 2.0, size=(100, 2))
    y = rng.normal(-3.0, 4.0, size=(100, 1))
    X[80:] += 1000.0  # a wildly different test part must not leak into the fit
    y[80:] -= 1000.0
    split = split_train_test(X, y, 0.2, seed=1)
    scaling = fit_scaling(split.X_train, split.y_train, True, True)
    np.testing.assert_allclose(scaling.x_mean, split.X_train.mean(axis=0))
    np.testing.assert_allclose(scaling.x_scale, split.X_train.std(axis=0))
    assert scaling.y_mean == pytest.approx(split.y_train.mean())
    assert scaling.y_scale == pytest.approx(split.y_train.std())
    Xs = scaling.transform_X(split.X_train)
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0)
    ys = scaling.transform_y(split.y_train)
    assert ys.mean() == pytest.approx(0.0, abs=1e-12) and ys.std() == pytest.approx(1.0)


def test_scaling_switches_give_the_identity_for_the_part_switched_off():
    X = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    y = np.array([[2.0], [4.0], [9.0]])
    only_x = fit_scaling(X, y, standardise_inputs=True, standardise_target=False)
    assert (only_x.y_mean, only_x.y_scale) == (0.0, 1.0)
    np.testing.assert_allclose(only_x.x_mean, [3.0, 30.0])
    only_y = fit_scaling(X, y, standardise_inputs=False, standardise_target=True)
    np.testing.assert_array_equal(only_y.transform_X(X), X)
    assert only_y.y_mean == pytest.approx(5.0)
    neither = fit_scaling(X, y, False, False)
    np.testing.assert_array_equal(neither.transform_X(X), X)
    np.testing.assert_array_equal(neither.transform_y(y), y)


def test_zero_variance_column_and_target_get_scale_one():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    y = np.full((3, 1), 0.1)  # constant, with a mean that is not exact in binary
    scaling = fit_scaling(X, y, True, True)
    assert scaling.x_scale[1] == 1.0 and scaling.y_scale == 1.0
    Xs = scaling.transform_X(X)
    assert np.all(np.isfinite(Xs))
    np.testing.assert_allclose(Xs[:, 1], 0.0)
    assert np.all(np.isfinite(scaling.transform_y(y)))


def test_inverse_y_round_trips():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    y = rng.normal(100.0, 25.0, size=(50, 1))
    scaling = fit_scaling(X, y, True, True)
    np.testing.assert_allclose(scaling.inverse_y(scaling.transform_y(y)), y)
    np.testing.assert_allclose(scaling.inverse_X(scaling.transform_X(X)), X)


def test_identity_scaling_changes_nothing():
    identity = Scaling.identity(3)
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(identity.transform_X(X), X)
    np.testing.assert_array_equal(identity.inverse_y(X[:, :1]), X[:, :1])


def test_scaling_rejects_wrong_width_and_bad_scales():
    scaling = Scaling.identity(2)
    with pytest.raises(ValueError):
        scaling.transform_X(np.zeros((4, 3)))
    with pytest.raises(ValueError):
        Scaling(np.zeros(2), np.array([1.0, 0.0]))
    with pytest.raises(ValueError):
        fit_scaling(np.zeros((0, 2)), np.zeros((0, 1)), True, True)
