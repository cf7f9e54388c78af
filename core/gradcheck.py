"""Gradient check: backprop's gradients against numeric derivatives of the loss.

The numeric derivative of L in one parameter θ uses forward() and mse_loss() only. Centred
differences D(h) = (L(θ + h) − L(θ − h)) / 2h at the steps h, h/2 and h/4 are combined by Richardson
extrapolation into (D(h) − 20·D(h/2) + 64·D(h/4)) / 45, whose truncation error shrinks like h⁶
instead of h². The first step moves the unit input that θ feeds (Z1 for W1 and b1, Z2 for W2 and b2)
by at most STEP on any row, so inputs in the thousands get steps a thousand times smaller. While the
extrapolation's own error estimate is too large, h is quartered (at most MAX_REFINEMENTS times).

Every entry gets one verdict:
- RELATIVE: relative error below PASS_THRESHOLD;
- ROUNDING: the relative test is missed but |analytic − numeric| ≤ ν, the rounding level of the
  numeric derivative, so float64 cannot resolve this gradient to PASS_THRESHOLD;
- FAILED: neither.

The rounding level is ν = κ·w·ε·S / h: κ = NOISE_FACTOR (2), w = NOISE_WEIGHT (6.6, the
extrapolation's weights times their 1/step), ε = 2.2e-16 and ε·S the rounding error of one loss
evaluation (see `rounding_scale`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from core.network import Forward, Params, backward, forward, mse_loss

PASS_THRESHOLD = 1e-7
STEP = 0.1  # the first step moves Z1 or Z2 by at most this on any row
MAX_REFINEMENTS = 3  # h is quartered at most this many times
ESTIMATE_TARGET = PASS_THRESHOLD / 10  # relative error estimate the extrapolation aims for
WEIGHTS = np.array([1.0, -20.0, 64.0]) / 45  # Richardson weights of D(h), D(h/2), D(h/4)
EPSILON = float(np.finfo(np.float64).eps)  # 2.22e-16
NOISE_FACTOR = 2.0  # κ, a safety factor on the rounding error ε·S of one loss evaluation
NOISE_WEIGHT = float(np.abs(WEIGHTS) @ [1, 2, 4])  # w = 6.6: Σ |weight| · h / step
MIN_SIZE = 1e-300  # an input of size 0 (all-zero column, dead unit) is taken as this size
MIN_RELATIVE_STEP = 2.0**-26  # h ≥ 1.5e-8·|θ|, so that θ ± h stay apart in float64

RELATIVE, ROUNDING, FAILED = "relative", "rounding", "failed"
VERDICTS = (RELATIVE, ROUNDING, FAILED)


class GradEntry(NamedTuple):
    """One parameter entry: where it is, both gradients, their relative error and the verdict.

    h is the largest step of the extrapolation (the others are h/2 and h/4), noise the rounding
    level ν of `numeric` at that step and error_estimate the extrapolation's estimate of its error.
    """

    name: str
    index: tuple[int, int]
    analytic: float
    numeric: float
    rel_error: float
    passed: bool
    verdict: str
    h: float
    noise: float
    error_estimate: float


class GradCheck(NamedTuple):
    """All entries and a summary that keeps the three verdicts apart.

    max_rel_error: the largest relative error over all entries.
    passed: no entry failed.
    n_relative, n_rounding, n_failed: the entries of each verdict; they add up to all entries.
    max_judged_rel_error: the largest relative error among the entries judged by relative error,
        the RELATIVE and the FAILED ones (0.0 when there are none); below PASS_THRESHOLD exactly
        when nothing failed.
    rounding_level: the largest ν among the ROUNDING entries (0.0 when there are none).
    """

    entries: tuple[GradEntry, ...]
    max_rel_error: float
    passed: bool
    n_relative: int
    n_rounding: int
    n_failed: int
    max_judged_rel_error: float
    rounding_level: float


def relative_error(analytic: float, numeric: float) -> float:
    """|a - n| / max(|a|, |n|), and 0 when both are exactly 0."""
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0.0 else abs(analytic - numeric) / scale


def judge(analytic: float, numeric: float, noise: float) -> str:
    """RELATIVE below PASS_THRESHOLD, else ROUNDING when the gap is within ν, else FAILED."""
    if relative_error(analytic, numeric) < PASS_THRESHOLD:
        return RELATIVE
    within_noise = math.isfinite(noise) and abs(analytic - numeric) <= noise
    return ROUNDING if within_noise else FAILED


def gradient_check(params: Params, X: np.ndarray, y: np.ndarray) -> GradCheck:
    """Compare backward() with the numeric derivative for every entry of W1, b1, W2, b2."""
    fwd = forward(params, X)
    grads = backward(params, X, y, fwd)
    analytic = {"W1": grads.dW1, "b1": grads.db1, "W2": grads.dW2, "b2": grads.db2}
    steps = first_steps(params, X, fwd)
    S = rounding_scale(params, X, y, fwd)
    entries = []
    for name, value in params._asdict().items():
        for index in np.ndindex(value.shape):
            loss = _loss_along(params, name, index, X, y)
            theta, h0 = float(value[index]), float(steps[name][index])
            numeric, h, estimate = numeric_derivative(loss, theta, h0, S)
            noise = rounding_level(S, h)
            a = float(analytic[name][index])
            verdict = judge(a, numeric, noise)
            entry = GradEntry(
                name=name,
                index=(int(index[0]), int(index[1])),
                analytic=a,
                numeric=numeric,
                rel_error=relative_error(a, numeric),
                passed=verdict != FAILED,
                verdict=verdict,
                h=h,
                noise=noise,
                error_estimate=estimate,
            )
            entries.append(entry)
    judged = [e.rel_error for e in entries if e.verdict != ROUNDING]
    return GradCheck(
        entries=tuple(entries),
        max_rel_error=max(e.rel_error for e in entries),
        passed=all(e.passed for e in entries),
        n_relative=sum(e.verdict == RELATIVE for e in entries),
        n_rounding=sum(e.verdict == ROUNDING for e in entries),
        n_failed=sum(e.verdict == FAILED for e in entries),
        max_judged_rel_error=max(judged, default=0.0),
        rounding_level=max((e.noise for e in entries if e.verdict == ROUNDING), default=0.0),
    )


def first_steps(params: Params, X: np.ndarray, fwd: Forward) -> dict[str, np.ndarray]:
    """Per entry, the step that moves the unit input it feeds by at most STEP on any row.

    W1[k, j] multiplies X[:, k], W2[j] multiplies A1[:, j], b1 and b2 multiply 1. No step is below
    MIN_RELATIVE_STEP·|θ|.
    """
    W1, b1, W2, b2 = params
    X_size = np.abs(X).max(axis=0, initial=0.0)[:, None]  # (n, 1), largest |x| per input
    A1_size = fwd.A1.max(axis=0, initial=0.0)[:, None]  # (h, 1), largest A1 per hidden unit
    sizes = {
        "W1": X_size * np.ones_like(W1),  # (n, 1) -> (n, h)
        "b1": np.ones_like(b1),  # (1, h)
        "W2": A1_size * np.ones_like(W2),  # (h, 1)
        "b2": np.ones_like(b2),  # (1, 1)
    }
    return {
        name: np.maximum(STEP / np.maximum(sizes[name], MIN_SIZE), MIN_RELATIVE_STEP * np.abs(a))
        for name, a in params._asdict().items()
    }


def rounding_scale(params: Params, X: np.ndarray, y: np.ndarray, fwd: Forward) -> float:
    """S, so that one float64 evaluation of L is off by about ε·S (first-order rounding analysis).

    S = L + (1/m)·Σ_i |A2_i − y_i|·M_i, where M_i adds up the sizes of the numbers rounded on the
    way to A2_i − y_i: |y_i|, |b2| and, per hidden unit j, |W2_j|·(A1_ij + σ'_ij·Z1size_ij) with
    Z1size = |X|·|W1| + |b1| (Z1's rounding passed on through the sigmoid's slope σ' = A1(1 − A1)).
    """
    W1, b1, W2, b2 = params
    m = X.shape[0]
    A1, A2 = fwd.A1, fwd.A2
    Z1_size = np.abs(X) @ np.abs(W1) + np.abs(b1)  # (m, n)(n, h) -> (m, h)
    A1_size = A1 + A1 * (1 - A1) * Z1_size  # (m, h)
    M = np.abs(y) + np.abs(b2) + A1_size @ np.abs(W2)  # (m, h)(h, 1) -> (m, 1)
    return mse_loss(A2, y) + float((np.abs(A2 - y) * M).sum() / m)


def rounding_level(S: float, h: float) -> float:
    """ν = κ·w·ε·S / h: how far rounding alone can move the extrapolated derivative at step h."""
    return float(NOISE_FACTOR * NOISE_WEIGHT * EPSILON * S / h)


def numeric_derivative(
    loss: Callable[[float], float], theta: float, h: float, S: float
) -> tuple[float, float, float]:
    """(dL/dθ, h, error estimate) by extrapolated centred differences; h is quartered while the
    estimate is above both ESTIMATE_TARGET relative to the value and the rounding level ν."""
    for _ in range(MAX_REFINEMENTS + 1):
        D = [_centred_difference(loss, theta, h / 2**k) for k in range(3)]
        D4 = (4 * D[1] - D[0]) / 3  # error O(h⁴), from h and h/2
        D4_fine = (4 * D[2] - D[1]) / 3  # error O(h⁴), from h/2 and h/4
        D6 = (16 * D4_fine - D4) / 15  # error O(h⁶): WEIGHTS @ D
        estimate = abs(D6 - D4_fine)  # about D4_fine's error, an upper bound of D6's
        if estimate <= max(ESTIMATE_TARGET * abs(D6), rounding_level(S, h)):
            break
        h /= 4
    return float(D6), float(h), float(estimate)


def _centred_difference(loss: Callable[[float], float], theta: float, h: float) -> float:
    """(L(θ + h) − L(θ − h)) / (θ₊ − θ₋), dividing by the step as float64 actually took it."""
    up, down = theta + h, theta - h
    return (loss(up) - loss(down)) / (up - down)


def _loss_along(
    params: Params, name: str, index: tuple[int, ...], X: np.ndarray, y: np.ndarray
) -> Callable[[float], float]:
    """θ ↦ L with one entry of one parameter set to θ and everything else as in `params`."""
    arrays = params._asdict()

    def loss(theta: float) -> float:
        nudged = arrays[name].copy()
        nudged[index] = theta
        return mse_loss(forward(Params(**{**arrays, name: nudged}), X).A2, y)

    return loss
