"""Compact per-step history: enough to rebuild any past step bit for bit.

Per step it keeps the parameters after the step (float64, so a replay is exact), the learning rate
used, the batch loss before the update, and the train/test loss where they were evaluated (NaN
elsewhere). Batch indices are not stored: the batch plan recomputes them from (epoch, batch), and
gradient norms follow from the parameters: ∇θ = (θ_before − θ_after) / η. A default 2-3-1 network
costs 13 + 4 floats, 136 bytes, per step; storage grows in fixed chunks so that at most one chunk
is ever unused.
"""

from __future__ import annotations

import math

import numpy as np

from core.network import Params

FIELDS = ("lr", "batch_loss", "train_loss", "test_loss")
CHUNK_ROWS = 4096


class History:
    """One row per step, stored in chunks of `chunk_rows` rows; row i holds step i + 1."""

    def __init__(self, initial: Params, chunk_rows: int = CHUNK_ROWS) -> None:
        self.initial = initial
        self.chunk_rows = chunk_rows
        self.n_in, self.n_hidden = initial.shape
        self.n_params = initial.flat().size
        self._width = self.n_params + len(FIELDS)
        self._chunks: list[np.ndarray] = []
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def _row(self, step: int) -> np.ndarray:
        if not 1 <= step <= self.length:
            raise IndexError(f"Step {step} is not in the history (1 to {self.length}).")
        chunk, row = divmod(step - 1, self.chunk_rows)
        return self._chunks[chunk][row]

    def append(self, params: Params, lr: float = np.nan, batch_loss: float = np.nan) -> bool:
        """Add a step; returns False (and adds nothing) if any parameter is not finite."""
        chunk, row = divmod(self.length, self.chunk_rows)
        if chunk == len(self._chunks):  # NaN marks train/test losses not evaluated
            self._chunks.append(np.full((self.chunk_rows, self._width), np.nan))
        line = self._chunks[chunk][row]
        n = self.n_params
        np.concatenate(
            [params.W1.ravel(), params.b1.ravel(), params.W2.ravel(), params.b2.ravel()],
            out=line[:n],
        )
        if not math.isfinite(line[:n].sum()):
            line[:n] = np.nan
            return False
        line[n] = lr
        line[n + 1] = batch_loss
        self.length += 1
        return True

    def set_eval(self, step: int, train_loss: float, test_loss: float) -> None:
        """Record train and test loss after `step` (1-based)."""
        line = self._row(step)
        line[self.n_params + 2 : self.n_params + 4] = train_loss, test_loss

    def params_after(self, step: int) -> Params:
        """Parameters after `step`; step 0 means the initial ones."""
        if step == 0:
            return self.initial
        line = self._row(step)
        return Params.from_flat(line[: self.n_params], self.n_in, self.n_hidden)

    def _table(self) -> np.ndarray:
        """All rows so far as one read-only array (a copy, so later steps never change it)."""
        if self._chunks:
            table = np.concatenate(self._chunks)[: self.length]
        else:
            table = np.empty((0, self._width))
        table.setflags(write=False)
        return table

    def column(self, name: str) -> np.ndarray:
        """One scalar field for steps 1..len, read-only."""
        return self._table()[:, self.n_params + FIELDS.index(name)]

    def columns(self) -> dict[str, np.ndarray]:
        """Every scalar field for steps 1..len, from one pass over the storage."""
        table = self._table()
        return {name: table[:, self.n_params + i] for i, name in enumerate(FIELDS)}

    def param_matrix(self) -> np.ndarray:
        """All parameters after each step, one row per step, read-only."""
        return self._table()[:, : self.n_params]

    def grad_norms(self) -> tuple[np.ndarray, np.ndarray]:
        """‖(∇W1, ∇b1)‖ and ‖(∇W2, ∇b2)‖ of every step, from the parameter changes."""
        table = self._table()
        params = np.vstack([self.initial.flat(), table[:, : self.n_params]])
        grads = -np.diff(params, axis=0) / table[:, [self.n_params]]
        split = self.n_in * self.n_hidden + self.n_hidden
        layer1 = np.sqrt((grads[:, :split] ** 2).sum(axis=1))
        layer2 = np.sqrt((grads[:, split:] ** 2).sum(axis=1))
        return layer1, layer2

    @property
    def nbytes(self) -> int:
        return sum(chunk.nbytes for chunk in self._chunks)
