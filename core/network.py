"""The seed's two-layer network: forward pass, loss, backward pass and update.

Shapes follow the seed document, with m the rows of the batch, n the inputs and h the hidden units:
X (m, n), W1 (n, h), b1 (1, h), W2 (h, 1), b2 (1, 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

INIT_SCHEMES = ("zeros", "constant", "uniform", "normal", "xavier", "he")
DEFAULT_SCALE = {"constant": 0.5, "uniform": 1.0, "normal": 0.1}
MAX_INPUTS = 4
MAX_HIDDEN = 8


def _frozen(array: np.ndarray, copy: bool = True) -> np.ndarray:
    out = np.array(array, dtype=np.float64, copy=copy)
    out.setflags(write=False)
    return out


class Params(NamedTuple):
    """Weights and biases: W1 (n, h), b1 (1, h), W2 (h, 1), b2 (1, 1)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    @classmethod
    def of(cls, W1, b1, W2, b2, copy: bool = True) -> Params:
        """A record of read-only float64 arrays (copies unless the caller hands over fresh ones)."""
        return cls(*(_frozen(a, copy) for a in (W1, b1, W2, b2)))

    @property
    def shape(self) -> tuple[int, int]:
        """(inputs, hidden units)."""
        return self.W1.shape

    def flat(self) -> np.ndarray:
        """All parameters in one vector: W1, b1, W2, b2, each row by row."""
        return np.concatenate([a.ravel() for a in self])

    @classmethod
    def from_flat(cls, flat: np.ndarray, n_in: int, n_hidden: int) -> Params:
        """The inverse of `flat` for a network of the given size."""
        sizes = np.cumsum([n_in * n_hidden, n_hidden, n_hidden])
        W1, b1, W2, b2 = np.split(np.asarray(flat, dtype=np.float64), sizes)
        return cls.of(
            W1.reshape(n_in, n_hidden),
            b1.reshape(1, n_hidden),
            W2.reshape(n_hidden, 1),
            b2.reshape(1, 1),
        )


class Forward(NamedTuple):
    """Z1 (m, h), A1 (m, h), Z2 (m, 1), A2 (m, 1)."""

    Z1: np.ndarray
    A1: np.ndarray
    Z2: np.ndarray
    A2: np.ndarray


class Backward(NamedTuple):
    """delta2 (m, 1), delta1 (m, h), dW2 (h, 1), db2 (1, 1), dW1 (n, h), db1 (1, h)."""

    delta2: np.ndarray
    delta1: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) element-wise, A in [0, 1] for any finite z.

    Below z ≈ -709, e^-z overflows to inf and 1 / (1 + inf) = 0 is the right limit, so the
    overflow warning is silenced then; the check keeps the common case free of that cost.
    """
    if Z.size == 0 or Z.min() >= -700.0:
        return 1.0 / (1.0 + np.exp(-Z))
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-Z))


def init_params(
    scheme: str,
    n_in: int = 2,
    n_hidden: int = 3,
    seed: int = 0,
    scale: float | None = None,
) -> Params:
    """Initial weights for a scheme; the same seed gives the same weights; biases start at 0.

    `scale` is the constant for "constant", the half-width for "uniform" and the standard
    deviation for "normal"; "xavier" and "he" derive theirs from the layer sizes.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"Unknown initialisation {scheme!r}; choose one of {INIT_SCHEMES}.")
    if not 1 <= n_in <= MAX_INPUTS:
        raise ValueError(f"The network takes 1 to {MAX_INPUTS} inputs, not {n_in}.")
    if not 1 <= n_hidden <= MAX_HIDDEN:
        raise ValueError(f"The hidden layer has 1 to {MAX_HIDDEN} units, not {n_hidden}.")
    rng = np.random.default_rng(seed)
    s = DEFAULT_SCALE.get(scheme, 0.0) if scale is None else float(scale)
    shapes = ((n_in, n_hidden), (n_hidden, 1))
    if scheme == "zeros":
        W1, W2 = (np.zeros(shape) for shape in shapes)
    elif scheme == "constant":
        W1, W2 = (np.full(shape, s) for shape in shapes)
    elif scheme == "uniform":
        W1, W2 = (rng.uniform(-s, s, size=shape) for shape in shapes)
    elif scheme == "normal":
        W1, W2 = (rng.normal(0.0, s, size=shape) for shape in shapes)
    elif scheme == "xavier":  # Glorot uniform: limit sqrt(6 / (fan_in + fan_out))
        W1, W2 = (rng.uniform(-1, 1, size=(a, b)) * np.sqrt(6.0 / (a + b)) for a, b in shapes)
    else:  # he normal: standard deviation sqrt(2 / fan_in)
        W1, W2 = (rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b)) for a, b in shapes)
    return Params.of(W1, np.zeros((1, n_hidden)), W2, np.zeros((1, 1)))


def forward(params: Params, X: np.ndarray) -> Forward:
    """Forward pass of the batch X (m, n)."""
    W1, b1, W2, b2 = params
    Z1 = X @ W1 + b1  # (m, n)(n, h) -> (m, h)
    A1 = sigmoid(Z1)  # (m, h)
    Z2 = A1 @ W2 + b2  # (m, h)(h, 1) -> (m, 1)
    A2 = Z2  # (m, 1), linear output
    return Forward(Z1=Z1, A1=A1, Z2=Z2, A2=A2)


def mse_loss(A2: np.ndarray, y: np.ndarray) -> float:
    """The seed's loss (1/2m)·||A2 - y||², with m the rows of this batch."""
    m = A2.shape[0]
    return float(((A2 - y) ** 2).sum() / (2 * m))


def backward(params: Params, X: np.ndarray, y: np.ndarray, fwd: Forward) -> Backward:
    """Backward pass: the seed's errors and gradients for the batch (X, y)."""
    m = X.shape[0]
    W2 = params.W2
    A1, A2 = fwd.A1, fwd.A2
    delta2 = (A2 - y) / m  # (m, 1)
    dW2 = A1.T @ delta2  # (h, m)(m, 1) -> (h, 1)
    db2 = delta2.sum(axis=0, keepdims=True)  # (1, 1), the seed's rowsum over the batch
    delta1 = (delta2 @ W2.T) * (A1 * (1 - A1))  # (m, 1)(1, h) ⊙ (m, h) -> (m, h)
    dW1 = X.T @ delta1  # (n, m)(m, h) -> (n, h)
    db1 = delta1.sum(axis=0, keepdims=True)  # (1, h)
    return Backward(delta2=delta2, delta1=delta1, dW2=dW2, db2=db2, dW1=dW1, db1=db1)


def sgd_update(params: Params, grads: Backward, lr: float) -> Params:
    """One gradient-descent step, θ ← θ − η·∇θ, as a new record."""
    W1 = params.W1 - lr * grads.dW1
    b1 = params.b1 - lr * grads.db1
    W2 = params.W2 - lr * grads.dW2
    b2 = params.b2 - lr * grads.db2
    for fresh in (W1, b1, W2, b2):  # new arrays nobody else holds: freeze them without a copy
        fresh.setflags(write=False)
    return Params(W1, b1, W2, b2)
