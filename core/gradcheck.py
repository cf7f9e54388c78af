"""Centred finite-difference check of the analytic gradients (as in cs231n, h = 1e-5)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.network import Params, backward, forward, mse_loss

PASS_THRESHOLD = 1e-7
# A centred difference carries rounding noise of about eps·loss/h, so tiny gradients cannot meet a
# relative test; an entry also passes when the two values agree to within that noise.
ABSOLUTE_FLOOR = 1e-10
NOISE_FACTOR = 8 * np.finfo(np.float64).eps


class GradEntry(NamedTuple):
    """One parameter entry: where it is, both gradients and their relative error."""

    name: str
    index: tuple[int, int]
    analytic: float
    numeric: float
    rel_error: float
    passed: bool


class GradCheck(NamedTuple):
    entries: tuple[GradEntry, ...]
    max_rel_error: float
    passed: bool
    h: float


def relative_error(analytic: float, numeric: float) -> float:
    """|a - n| / max(|a|, |n|), and 0 when both are exactly 0."""
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0.0 else abs(analytic - numeric) / scale


def gradient_check(params: Params, X: np.ndarray, y: np.ndarray, h: float = 1e-5) -> GradCheck:
    """Compare backward() with (L(θ + h) − L(θ − h)) / 2h for every entry of W1, b1, W2, b2."""
    grads = backward(params, X, y, forward(params, X))
    analytic = {"W1": grads.dW1, "b1": grads.db1, "W2": grads.dW2, "b2": grads.db2}
    floor = max(ABSOLUTE_FLOOR, NOISE_FACTOR * mse_loss(forward(params, X).A2, y) / h)
    entries = []
    for name, value in params._asdict().items():
        for index in np.ndindex(value.shape):
            numeric = _centred_difference(params, name, index, X, y, h)
            a = float(analytic[name][index])
            err = relative_error(a, numeric)
            ok = err < PASS_THRESHOLD or abs(a - numeric) < floor
            entries.append(GradEntry(name, tuple(int(i) for i in index), a, numeric, err, ok))
    max_err = max(e.rel_error for e in entries)
    return GradCheck(tuple(entries), max_err, all(e.passed for e in entries), h)


def _centred_difference(
    params: Params, name: str, index: tuple[int, ...], X: np.ndarray, y: np.ndarray, h: float
) -> float:
    def loss_with(shift: float) -> float:
        arrays = params._asdict()
        nudged = arrays[name].copy()
        nudged[index] += shift
        arrays[name] = nudged
        return mse_loss(forward(Params(**arrays), X).A2, y)

    return (loss_with(h) - loss_with(-h)) / (2 * h)
