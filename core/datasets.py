"""Datasets for the dashboard: synthetic generators, train/test split and scaling.

Everything here is pure numpy. A `Dataset` holds read-only float64 arrays
``X`` with shape (m, n) and ``y`` with shape (m, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

M_MIN = 10
M_MAX = 100_000
TEST_FRACTION_MAX = 0.9

Array = np.ndarray
TargetFunction = Callable[[Array], Array]


def _read_only(a: Array) -> Array:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Dataset:
    """A regression table: inputs ``X`` (m, n), target ``y`` (m, 1), both float64, read-only.

    The arrays are copied on construction, so freezing them never touches the caller's data.
    """

    X: Array
    y: Array
    feature_names: tuple[str, ...]
    target_name: str
    source: str

    def __post_init__(self) -> None:
        X = np.array(self.X, dtype=np.float64, copy=True)
        y = np.array(self.y, dtype=np.float64, copy=True)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}.")
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape != (X.shape[0], 1):
            raise ValueError(f"y must have shape ({X.shape[0]}, 1), got {y.shape}.")
        names = tuple(str(name) for name in self.feature_names)
        if len(names) != X.shape[1]:
            raise ValueError(f"Expected {X.shape[1]} feature names, got {len(names)}.")
        object.__setattr__(self, "X", _read_only(X))
        object.__setattr__(self, "y", _read_only(y))
        object.__setattr__(self, "feature_names", names)
        object.__setattr__(self, "target_name", str(self.target_name))
        object.__setattr__(self, "source", str(self.source))

    @property
    def m(self) -> int:
        """Number of rows (examples)."""
        return int(self.X.shape[0])

    @property
    def n_inputs(self) -> int:
        """Number of input columns."""
        return int(self.X.shape[1])


# --- target functions: each maps X (m, n) with n in {1, 2} to y (m,) -------------------------


def _plane(X: Array) -> Array:
    y = 0.8 * X[:, 0] + 0.2
    if X.shape[1] == 2:
        y = y - 0.5 * X[:, 1]
    return y


def _sine(X: Array) -> Array:
    y = np.sin(3.0 * X[:, 0])
    if X.shape[1] == 2:
        y = y * np.cos(3.0 * X[:, 1])
    return y


def _bowl(X: Array) -> Array:
    return np.sum(X**2, axis=1)


def _saddle(X: Array) -> Array:
    # With two inputs: the classic saddle x1 * x2. With one input there is no
    # second direction, so use x1 ** 3: flat at 0 but neither a minimum nor a
    # maximum, which is what a saddle point is in one dimension.
    if X.shape[1] == 2:
        return X[:, 0] * X[:, 1]
    return X[:, 0] ** 3


def _gaussian(X: Array) -> Array:
    return np.exp(-4.0 * np.sum(X**2, axis=1))


def _step(X: Array) -> Array:
    return (np.sum(X, axis=1) > 0.0).astype(np.float64)


@dataclass(frozen=True)
class GeneratorSpec:
    """A synthetic target function and how to show it."""

    name: str
    label: str
    formula: str
    formula_1d: str
    n_inputs: tuple[int, ...]
    function: TargetFunction

    def formula_for(self, n_inputs: int) -> str:
        """The display formula for this many inputs."""
        return self.formula_1d if n_inputs == 1 else self.formula


_SPECS = (
    # name, display label, formula with two inputs, formula with one input, function
    ("plane", "Plane (linear)", "y = 0.8 x1 - 0.5 x2 + 0.2", "y = 0.8 x1 + 0.2", _plane),
    ("sine", "Sine ripple", "y = sin(3 x1) * cos(3 x2)", "y = sin(3 x1)", _sine),
    ("bowl", "Bowl (quadratic)", "y = x1^2 + x2^2", "y = x1^2", _bowl),
    ("saddle", "Saddle", "y = x1 * x2", "y = x1^3", _saddle),
    ("gaussian", "Gaussian bump", "y = exp(-4 (x1^2 + x2^2))", "y = exp(-4 x1^2)", _gaussian),
    ("step", "Step (jump)", "y = 1 if x1 + x2 > 0 else 0", "y = 1 if x1 > 0 else 0", _step),
)

GENERATORS: dict[str, GeneratorSpec] = {
    name: GeneratorSpec(name, label, formula, formula_1d, (1, 2), function)
    for name, label, formula, formula_1d, function in _SPECS
}


def _check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    number = int(value)
    if number < low or (high is not None and number > high):
        upper = f" and {high:,}" if high is not None else ""
        text = f"between {low:,}{upper}" if upper else f"at least {low:,}"
        raise ValueError(f"{name} must be {text}, got {number:,}.")
    return number


def _check_real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return float(value)


def generate(name: str, m: int, noise: float, seed: int, n_inputs: int = 2) -> Dataset:
    """Draw ``m`` inputs uniformly on [-1, 1]^n_inputs and compute y = f(X) + noise.

    ``noise`` is the standard deviation of additive gaussian noise on y; 0 gives the
    exact function. The inputs depend only on ``seed`` and ``m`` (not on ``noise``).
    """
    spec = GENERATORS.get(name) if isinstance(name, str) else None
    if spec is None:
        known = ", ".join(GENERATORS)
        raise ValueError(f"Unknown generator {name!r}; choose one of: {known}.")
    m = _check_int(m, "m (number of examples)", M_MIN, M_MAX)
    noise = _check_real(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise must be 0 or more, got {noise}.")
    seed = _check_int(seed, "seed", 0)
    n_inputs = _check_int(n_inputs, "n_inputs", 1, 2)
    if n_inputs not in spec.n_inputs:
        raise ValueError(f"Generator {name!r} supports n_inputs in {spec.n_inputs}.")

    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(m, n_inputs))
    y = spec.function(X)
    if noise > 0:
        y = y + rng.normal(0.0, noise, size=m)
    formula = spec.formula_for(n_inputs)
    source = f"{spec.label}: {formula}, m={m}, noise={noise:g}, seed={seed}"
    names = tuple(f"x{i + 1}" for i in range(n_inputs))
    return Dataset(X=X, y=y.reshape(-1, 1), feature_names=names, target_name="y", source=source)


# --- train / test split -----------------------------------------------------------------------


class Split(NamedTuple):
    """Rows of X and y split into train and test parts; *_idx are the original row numbers."""

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    train_idx: Array
    test_idx: Array


def split_train_test(X: Array, y: Array, test_fraction: float, seed: int) -> Split:
    """Shuffle rows with ``seed`` and hold out round(test_fraction * m) of them for testing.

    ``test_fraction`` must be in [0, 0.9]; 0 gives an empty test set of shape (0, n).
    At least one row always stays in the training part. Rows appear in shuffled order, except
    when no row is held out: then they keep the order they came in.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
    fraction = _check_real(test_fraction, "test_fraction")
    if not 0.0 <= fraction <= TEST_FRACTION_MAX:
        raise ValueError(
            f"test_fraction must be between 0 and {TEST_FRACTION_MAX}, got {fraction}."
        )
    seed = _check_int(seed, "seed", 0)

    m = X.shape[0]
    n_test = min(round(fraction * m), m - 1)
    # Nothing held out: the rows keep their order, so a worked example's row 1 stays row 1.
    order = np.random.default_rng(seed).permutation(m) if n_test else np.arange(m)
    test_idx, train_idx = order[:n_test], order[n_test:]
    return Split(X[train_idx], y[train_idx], X[test_idx], y[test_idx], train_idx, test_idx)


# --- standardisation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scaling:
    """Affine rescaling: X_s = (X - x_mean) / x_scale and y_s = (y - y_mean) / y_scale."""

    x_mean: Array
    x_scale: Array
    y_mean: float = 0.0
    y_scale: float = 1.0

    def __post_init__(self) -> None:
        x_mean = np.array(self.x_mean, dtype=np.float64, copy=True).reshape(-1)
        x_scale = np.array(self.x_scale, dtype=np.float64, copy=True).reshape(-1)
        if x_mean.shape != x_scale.shape:
            raise ValueError("x_mean and x_scale must have the same length.")
        if not (np.all(np.isfinite(x_scale)) and np.all(x_scale > 0)):
            raise ValueError("x_scale must be finite and positive.")
        if not (np.isfinite(self.y_scale) and self.y_scale > 0):
            raise ValueError("y_scale must be finite and positive.")
        object.__setattr__(self, "x_mean", _read_only(x_mean))
        object.__setattr__(self, "x_scale", _read_only(x_scale))
        object.__setattr__(self, "y_mean", float(self.y_mean))
        object.__setattr__(self, "y_scale", float(self.y_scale))

    @classmethod
    def identity(cls, n_inputs: int) -> Scaling:
        """A scaling that changes nothing."""
        return cls(np.zeros(n_inputs), np.ones(n_inputs), 0.0, 1.0)

    def transform_X(self, X: Array) -> Array:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.x_mean.shape[0]:
            raise ValueError(f"X must have {self.x_mean.shape[0]} columns, got shape {X.shape}.")
        return (X - self.x_mean) / self.x_scale

    def inverse_X(self, X_scaled: Array) -> Array:
        return np.asarray(X_scaled, dtype=np.float64) * self.x_scale + self.x_mean

    def transform_y(self, y: Array) -> Array:
        return (np.asarray(y, dtype=np.float64) - self.y_mean) / self.y_scale

    def inverse_y(self, y_scaled: Array) -> Array:
        return np.asarray(y_scaled, dtype=np.float64) * self.y_scale + self.y_mean


def _safe_scale(std: Array, mean: Array) -> Array:
    """Standard deviations, with 1 wherever a column is (numerically) constant."""
    constant = ~np.isfinite(std) | (std <= 1e-10 * np.abs(mean))
    return np.where(constant, 1.0, std)


def fit_scaling(
    X_train: Array, y_train: Array, standardise_inputs: bool, standardise_target: bool
) -> Scaling:
    """Fit mean / standard deviation on the training rows only.

    A part that is not standardised gets the identity (mean 0, scale 1). A column with
    zero variance gets scale 1, so nothing is ever divided by zero.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    y_train = np.asarray(y_train, dtype=np.float64).reshape(-1)
    if X_train.ndim != 2 or X_train.shape[0] < 1:
        raise ValueError(f"X_train must be a non-empty 2-D array, got shape {X_train.shape}.")
    if y_train.shape[0] != X_train.shape[0]:
        raise ValueError(f"X_train has {X_train.shape[0]} rows but y_train has {y_train.size}.")
    n = X_train.shape[1]
    scaling = Scaling.identity(n)
    x_mean, x_scale = scaling.x_mean, scaling.x_scale
    y_mean, y_scale = 0.0, 1.0
    if standardise_inputs:
        x_mean = X_train.mean(axis=0)
        x_scale = _safe_scale(X_train.std(axis=0), x_mean)
    if standardise_target:
        y_mean = float(y_train.mean())
        y_scale = float(_safe_scale(np.array([y_train.std()]), np.array([y_mean]))[0])
    return Scaling(x_mean, x_scale, y_mean, y_scale)
