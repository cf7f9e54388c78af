"""A small example typed in by hand: its table and its initial weights, checked cell by cell.

Rows and weights come from the page's editors (or a link) as plain Python values; anything that
is not a finite number of moderate size is refused with a message naming the row and column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.loader import MAX_ABS_VALUE, DataError, Table, quoted
from core.network import MAX_HIDDEN, MAX_INPUTS, Params

MAX_TYPED_ROWS = 200
MAX_TYPED_COLUMNS = MAX_INPUTS + 1
MAX_HAND_WEIGHT = 100.0


def typed_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    """The typed rows as a Table: every cell a finite number, every column named once."""
    names = [str(c).strip() for c in columns]
    if not 2 <= len(names) <= MAX_TYPED_COLUMNS:
        raise DataError(
            f"Give 2 to {MAX_TYPED_COLUMNS} columns (inputs and a target), not {len(names)}."
        )
    for k, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"Column {k} has no name. Name every column, e.g. x1, x2, y.")
    if len(set(names)) != len(names):
        raise DataError("Two columns have the same name. Give every column its own name.")
    if not rows:
        raise DataError("The table has no rows. Add at least one row of numbers.")
    if len(rows) > MAX_TYPED_ROWS:
        raise DataError(
            f"The table has {len(rows):,} rows; type in at most {MAX_TYPED_ROWS} (upload a CSV "
            "for more)."
        )
    values = np.empty((len(rows), len(names)))
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise DataError(f"Row {i + 1} has {len(row)} cells for {len(names)} columns.")
        for k, cell in enumerate(row):
            values[i, k] = _number(cell, f"Row {i + 1}, column {quoted(names[k])}")
    return Table(
        frame=pd.DataFrame(values, columns=names),
        dropped_rows=0,
        non_numeric_columns=(),
        has_header=True,
        delimiter=",",
        encoding="typed",
    )


def _number(cell: object, where: str) -> float:
    cleared = isinstance(cell, float) and math.isnan(cell)  # an emptied cell of the editor
    if cell is None or cleared or (isinstance(cell, str) and not cell.strip()):
        raise DataError(f"{where} is empty. Type a number there, or delete the row.")
    try:
        value = float(str(cell).strip().replace(",", ".")) if isinstance(cell, str) else float(cell)
    except (TypeError, ValueError):
        raise DataError(f"{where} is not a number. Type a number such as 0.5 or -2.") from None
    if not math.isfinite(value):
        raise DataError(f"{where} is not a finite number. Type an ordinary number.")
    if abs(value) > MAX_ABS_VALUE:
        raise DataError(f"{where} is {value:.3g}, beyond ±{MAX_ABS_VALUE:g}. Use smaller numbers.")
    return value


def hand_params(flat: Sequence[object], n_in: int, n_hidden: int) -> Params:
    """Initial weights typed by hand, flat in the order W1 (row by row), b1, W2, b2."""
    if not (1 <= n_in <= MAX_INPUTS and 1 <= n_hidden <= MAX_HIDDEN):
        raise DataError(f"A network of {n_in} inputs and {n_hidden} hidden units is not offered.")
    expected = n_in * n_hidden + 2 * n_hidden + 1
    if len(flat) != expected:
        raise DataError(
            f"The weights by hand have {len(flat)} numbers; a {n_in}-{n_hidden}-1 network needs "
            f"{expected} (W1 {n_in}×{n_hidden}, b1 1×{n_hidden}, W2 {n_hidden}×1, b2 1×1)."
        )
    names = weight_names(n_in, n_hidden)
    values = [_weight(cell, name) for cell, name in zip(flat, names, strict=True)]
    return Params.from_flat(np.array(values), n_in, n_hidden)


def _weight(cell: object, name: str) -> float:
    try:
        value = float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{name} is not a number. Type a number such as 0.5 or -2.") from None
    if not math.isfinite(value) or abs(value) > MAX_HAND_WEIGHT:
        raise DataError(
            f"{name} must be a number between −{MAX_HAND_WEIGHT:g} and {MAX_HAND_WEIGHT:g}."
        )
    return value


def weight_names(n_in: int, n_hidden: int) -> list[str]:
    """W1[1,1] … b2[1,1], 1-based, in the flat order."""
    return (
        [f"W1[{k + 1},{j + 1}]" for k in range(n_in) for j in range(n_hidden)]
        + [f"b1[1,{j + 1}]" for j in range(n_hidden)]
        + [f"W2[{j + 1},1]" for j in range(n_hidden)]
        + ["b2[1,1]"]
    )
