"""Compact per-step history: enough to rebuild any past step bit for bit.

Per step it keeps the parameters after the step (float64, so a replay is exact), the learning rate
used, the batch loss before the update, the train/test loss where they were evaluated (NaN
elsewhere) and the gradient norm of each layer. Batch indices are not stored: the batch plan
recomputes them from (epoch, batch). A default 2-3-1 network costs 13 + 6 floats, 152 bytes, per
step; storage grows in fixed chunks so that at most one chunk is ever unused.
"""

from __future__ import annotations

import numpy as np

from core.network import Params

FIELDS = ("lr", "batch_loss", "train_loss", "test_loss", "grad_norm_1", "grad_norm_2")
CHUNK_ROWS = 4096


class History:
    """One row per step, stored in chunks of CHUNK_ROWS rows; row i holds step i + 1."""

    def __init__(self, initial: Params, chunk_rows: int = CHUNK_ROWS) -> None:
        self.initial = initial
        self.chunk_rows = chunk_rows
        self.n_in, self.n_hidden = initial.shape
        self._width = initial.flat().size + len(FIELDS)
        self._chunks: list[np.ndarray] = []
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def _row(self, step: int) -> np.ndarray:
        if not 1 <= step <= self.length:
            raise IndexError(f"Step {step} is not in the history (1 to {self.length}).")
        chunk, row = divmod(step - 1, self.chunk_rows)
        return self._chunks[chunk][row]

    def append(self, params: Params, **scalars: float) -> None:
        chunk, row = divmod(self.length, self.chunk_rows)
        if chunk == len(self._chunks):
            self._chunks.append(np.empty((self.chunk_rows, self._width)))
        line = self._chunks[chunk][row]
        n = self._width - len(FIELDS)
        np.concatenate([a.ravel() for a in params], out=line[:n])
        line[n:] = [scalars.get(name, np.nan) for name in FIELDS]
        self.length += 1

    def set_eval(self, step: int, train_loss: float, test_loss: float) -> None:
        """Record train and test loss after `step` (1-based)."""
        line = self._row(step)
        n = self._width - len(FIELDS)
        line[n + 2 : n + 4] = train_loss, test_loss

    def params_after(self, step: int) -> Params:
        """Parameters after `step`; step 0 means the initial ones."""
        if step == 0:
            return self.initial
        line = self._row(step)
        return Params.from_flat(line[: self._width - len(FIELDS)], self.n_in, self.n_hidden)

    def _table(self) -> np.ndarray:
        """All rows so far as one read-only array (a copy, so later steps never change it)."""
        table = (
            np.concatenate(self._chunks)[: self.length]
            if self._chunks
            else np.empty((0, self._width))
        )
        table.setflags(write=False)
        return table

    def column(self, name: str) -> np.ndarray:
        """One scalar field for steps 1..len, read-only."""
        n = self._width - len(FIELDS)
        return self._table()[:, n + FIELDS.index(name)]

    def columns(self) -> dict[str, np.ndarray]:
        """Every scalar field for steps 1..len, from one pass over the storage."""
        table, n = self._table(), self._width - len(FIELDS)
        return {name: table[:, n + i] for i, name in enumerate(FIELDS)}

    def param_matrix(self) -> np.ndarray:
        """All parameters after each step, one row per step, read-only."""
        return self._table()[:, : self._width - len(FIELDS)]

    @property
    def nbytes(self) -> int:
        return sum(chunk.nbytes for chunk in self._chunks)
