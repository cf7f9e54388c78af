"""Compact per-step history: enough to rebuild any past step bit for bit.

Per step it keeps the parameters after the step (float64, so a replay is exact), the learning rate
used, the batch loss before the update, and the train/test loss where they were evaluated (NaN
elsewhere). Batch indices are not stored: the batch plan recomputes them from (epoch, batch), and
gradient norms follow from the parameters: ∇θ = (θ_before − θ_after) / η. A default 2-3-1 network
costs 13 + 4 floats, 136 bytes, per step. Storage grows in chunks: the first holds FIRST_ROWS rows
and each next one twice as many, up to `chunk_rows`, so a short history stays small (10 steps of
the default network take 9 kB, not a whole chunk's 557 kB) and at most one chunk is ever unused.

Readers never copy the whole table unless they ask for all of it: one value is read in place,
a column copies only that column, and `blocks()` walks the storage chunk by chunk.
"""

from __future__ import annotations

import bisect
import math
import mmap
from collections.abc import Iterator

import numpy as np

from core.network import Params

FIELDS = ("lr", "batch_loss", "train_loss", "test_loss")
CHUNK_ROWS = 4096
FIRST_ROWS = 64
MAPPED_BYTES = 256 * 1024  # chunks at least this large are memory-mapped


class History:
    """One row per step, stored in chunks of up to `chunk_rows` rows; row i holds step i + 1."""

    def __init__(self, initial: Params, chunk_rows: int = CHUNK_ROWS) -> None:
        self.initial = initial
        self.chunk_rows = chunk_rows
        self.n_in, self.n_hidden = initial.shape
        self.n_params = initial.flat().size
        self._width = self.n_params + len(FIELDS)
        self._chunks: list[np.ndarray] = []
        self._starts: list[int] = []  # the row each chunk starts at
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def _row(self, step: int) -> np.ndarray:
        if not 1 <= step <= self.length:
            raise IndexError(f"Step {step} is not in the history (1 to {self.length}).")
        chunk = bisect.bisect_right(self._starts, step - 1) - 1
        return self._chunks[chunk][step - 1 - self._starts[chunk]]

    def _grow(self) -> None:
        """Add a chunk twice the size of the last one (at most chunk_rows), NaN-filled: NaN marks
        train/test losses not evaluated."""
        rows = min(self.chunk_rows, 2 * len(self._chunks[-1]) if self._chunks else FIRST_ROWS)
        self._starts.append(self.length)
        self._chunks.append(_nan_block(rows, self._width))

    def append(self, params: Params, lr: float = np.nan, batch_loss: float = np.nan) -> bool:
        """Add a step; returns False (and adds nothing) if any parameter is not finite."""
        if not self._chunks or self.length - self._starts[-1] == len(self._chunks[-1]):
            self._grow()
        line = self._chunks[-1][self.length - self._starts[-1]]
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

    def value(self, step: int, name: str) -> float:
        """One scalar field of step `step` (1-based), read in place."""
        return float(self._row(step)[self.n_params + FIELDS.index(name)])

    def blocks(self, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(first step, rows) over steps 1 to `stop` (by default all those stored when called),
        one read-only view per chunk; each row is the parameters after the step (flat, as
        `Params.flat`), then FIELDS. Steps added meanwhile are left out."""
        stop = self.length if stop is None else min(stop, self.length)
        for start, chunk in zip(list(self._starts), list(self._chunks), strict=True):
            rows = chunk[: max(0, min(len(chunk), stop - start))]
            if not len(rows):
                return
            rows = rows.view()
            rows.setflags(write=False)
            yield start + 1, rows

    def _fields(self, first: int, count: int) -> np.ndarray:
        """Fields FIELDS[first : first + count] of every step, one row per field (a copy)."""
        offset = self.n_params + first
        out = np.empty((count, self.length))
        for step, rows in self.blocks(out.shape[1]):
            out[:, step - 1 : step - 1 + len(rows)] = rows[:, offset : offset + count].T
        out.setflags(write=False)
        return out

    def column(self, name: str) -> np.ndarray:
        """One scalar field for steps 1..len, read-only (only that column is copied)."""
        return self._fields(FIELDS.index(name), 1)[0]

    def columns(self) -> dict[str, np.ndarray]:
        """Every scalar field for steps 1..len, from one pass over the storage."""
        fields = self._fields(0, len(FIELDS))
        return dict(zip(FIELDS, fields, strict=True))

    def param_matrix(self) -> np.ndarray:
        """All parameters after each step, one row per step, read-only."""
        return self.param_path(self.length)[1:]

    def param_path(self, step: int) -> np.ndarray:
        """The parameters after steps 0 (the initial ones) to `step`, one row each, read-only:
        only the parameter columns of those steps are copied."""
        if not 0 <= step <= self.length:
            raise IndexError(f"Step {step} is not in the history (0 to {self.length}).")
        path = np.empty((step + 1, self.n_params))
        path[0] = self.initial.flat()
        for first, rows in self.blocks(step):
            path[first : first + len(rows)] = rows[:, : self.n_params]
        path.setflags(write=False)
        return path

    def block_grad_norms(self, step: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The gradient norms of the steps in `rows` (from `blocks()`, starting at `step`):
        ‖(∇W1, ∇b1)‖ and ‖(∇W2, ∇b2)‖ of each, from the parameter changes."""
        n = self.n_params
        before = self.params_after(step - 1).flat()
        params = np.vstack([before, rows[:, :n]])
        grads = -np.diff(params, axis=0) / rows[:, [n]]
        split = self.n_in * self.n_hidden + self.n_hidden
        layer1 = np.sqrt((grads[:, :split] ** 2).sum(axis=1))
        layer2 = np.sqrt((grads[:, split:] ** 2).sum(axis=1))
        return layer1, layer2

    def grad_norms(self) -> tuple[np.ndarray, np.ndarray]:
        """‖(∇W1, ∇b1)‖ and ‖(∇W2, ∇b2)‖ of every step, from the parameter changes."""
        layer1, layer2 = np.empty(self.length), np.empty(self.length)
        for step, rows in self.blocks(len(layer1)):
            part = slice(step - 1, step - 1 + len(rows))
            layer1[part], layer2[part] = self.block_grad_norms(step, rows)
        return layer1, layer2

    @property
    def nbytes(self) -> int:
        return sum(chunk.nbytes for chunk in self._chunks)


def _nan_block(rows: int, cols: int) -> np.ndarray:
    """A (rows, cols) float64 array of NaN. A large one gets pages of its own from the operating
    system (an anonymous memory map), which go back to it as soon as the array is freed: a long
    history then neither stays behind in the allocator's free lists when its session ends nor
    leaves holes between the short-lived arrays of page reruns."""
    size = rows * cols * 8
    if size < MAPPED_BYTES:
        return np.full((rows, cols), np.nan)
    block = np.frombuffer(mmap.mmap(-1, size), dtype=np.float64).reshape(rows, cols)
    block.fill(np.nan)
    return block
