"""Compact per-step history: enough to rebuild any past step bit for bit.

Per step it keeps the parameters after the step (float64, so a replay is exact), the learning rate
used, the batch loss before the update, and the train/test loss where they were evaluated (NaN
elsewhere). Batch indices are not stored: the batch plan recomputes them from (epoch, batch).
A default 2-3-1 network costs 13 + 6 floats, 152 bytes, per step.
"""

from __future__ import annotations

import numpy as np

from core.network import Params

FIELDS = ("lr", "batch_loss", "train_loss", "test_loss", "grad_norm_1", "grad_norm_2")


class History:
    """Growable arrays, one row per step; row i holds step i + 1."""

    def __init__(self, initial: Params, capacity: int = 1024) -> None:
        self.initial = initial
        self.n_in, self.n_hidden = initial.shape
        self._params = np.empty((capacity, initial.flat().size))
        self._scalars = np.empty((capacity, len(FIELDS)))
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def append(self, params: Params, **scalars: float) -> None:
        if self.length == self._params.shape[0]:
            self._params = np.concatenate([self._params, np.empty_like(self._params)])
            self._scalars = np.concatenate([self._scalars, np.empty_like(self._scalars)])
        row = self.length
        np.concatenate([a.ravel() for a in params], out=self._params[row])
        self._scalars[row] = [scalars.get(name, np.nan) for name in FIELDS]
        self.length += 1

    def set_eval(self, step: int, train_loss: float, test_loss: float) -> None:
        """Record train and test loss after `step` (1-based)."""
        self._scalars[step - 1, 2:4] = train_loss, test_loss

    def params_after(self, step: int) -> Params:
        """Parameters after `step`; step 0 means the initial ones."""
        if step == 0:
            return self.initial
        return Params.from_flat(self._params[step - 1], self.n_in, self.n_hidden)

    def column(self, name: str) -> np.ndarray:
        """One scalar field for steps 1..len, read-only."""
        out = self._scalars[: self.length, FIELDS.index(name)]
        out = out.view()
        out.setflags(write=False)
        return out

    def param_matrix(self) -> np.ndarray:
        """All parameters after each step, one row per step, read-only."""
        out = self._params[: self.length].view()
        out.setflags(write=False)
        return out

    @property
    def nbytes(self) -> int:
        return self._params.nbytes + self._scalars.nbytes
