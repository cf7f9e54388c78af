"""The split of the training set into mini-batches, epoch after epoch."""

from __future__ import annotations

import math

import numpy as np


class BatchPlan:
    """Batches of `batch_size` rows out of `m`; the last, shorter batch is kept.

    With shuffling, epoch e uses its own permutation drawn from (seed, e), so any epoch's order
    can be recomputed without storing it; without shuffling every epoch runs 0..m-1 in order.
    Epochs and batches count from 1.
    """

    def __init__(self, m: int, batch_size: int, shuffle: bool = True, seed: int = 0) -> None:
        if m < 1:
            raise ValueError("There are no training rows to make batches from.")
        if not 1 <= batch_size <= m:
            raise ValueError(f"Batch size must be between 1 and {m} (the training rows).")
        self.m, self.batch_size, self.shuffle, self.seed = m, batch_size, shuffle, seed
        self.n_batches = math.ceil(m / batch_size)
        self._cached_epoch = 0
        self._cached_order = np.arange(m)

    def order(self, epoch: int) -> np.ndarray:
        """The row order of one epoch."""
        if not self.shuffle:
            return self._cached_order
        if epoch != self._cached_epoch:
            self._cached_order = np.random.default_rng([self.seed, epoch]).permutation(self.m)
            self._cached_epoch = epoch
        return self._cached_order

    def indices(self, epoch: int, batch: int) -> np.ndarray:
        """Training-row indices of batch `batch` (1..K) in epoch `epoch` (1, 2, ...)."""
        start = (batch - 1) * self.batch_size
        return self.order(epoch)[start : start + self.batch_size]

    def position(self, step: int) -> tuple[int, int]:
        """(epoch, batch) of step `step` (1-based)."""
        epoch, batch = divmod(step - 1, self.n_batches)
        return epoch + 1, batch + 1
