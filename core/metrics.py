"""Regression metrics of the current network on a whole data set."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.network import Params, forward, mse_loss


class Metrics(NamedTuple):
    """The seed's loss (1/2m)·||ŷ − y||², the root mean squared error and R²."""

    loss: float
    rmse: float
    r2: float


EMPTY = Metrics(float("nan"), float("nan"), float("nan"))


def regression_metrics(params: Params, X: np.ndarray, y: np.ndarray) -> Metrics:
    """Metrics on (X, y); NaN for an empty set, R² NaN when y is constant."""
    if X.shape[0] == 0:
        return EMPTY
    A2 = forward(params, X).A2
    loss = mse_loss(A2, y)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((A2 - y) ** 2)) / total if total > 0 else float("nan")
    return Metrics(loss=loss, rmse=float(np.sqrt(2 * loss)), r2=r2)
