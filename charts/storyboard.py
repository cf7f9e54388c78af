"""The whole step as one storyboard: every matrix once, forward above backward, the update below.

Pure: builds the JSON the storyboard component draws (views/storyboard.py). Each matrix is a
block with its name, shape and formula and a heatmap-table: its number in every cell on a
zero-centred diverging colour (blue above 0, orange below, white at 0; the ends are light enough
for near-black text to keep a contrast of at least 4.5:1). Between blocks sit the operators that
turn one into the next, so the page reads like the seed's formulas:

    forward   X --·W1 + b1--> Z1 --σ--> A1 --·W2 + b2--> A2, y --error--> δ2
    backward  δ2W2ᵀ  ⊙  A1(1 − A1)  =  δ1,  ∇W1 ∇b1 ∇W2 ∇b2
    update    W1 b1 W2 b2  +  −η∇  =  the new W1 b1 W2 b2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from core.export import input_labels
from core.trainer import StepRecord

ROWS_PRESENTING = 4  # batch rows a projector shows at 1280×720 with both bands on screen
ROWS_NORMAL = 6
MAX_ROWS = 64  # "show all rows" shows at most this many; the Forward pass view has the rest

WHITE = (255, 255, 255)
POSITIVE_END = (0x5B, 0x9B, 0xD5)  # blue; relative luminance 0.31
NEGATIVE_END = (0xE8, 0x95, 0x5A)  # orange; relative luminance 0.39
NOT_A_NUMBER = "#D9D9D9"
MINUS = "\u2212"

ALL = -1  # in a highlight, every row or every column


class Pick(NamedTuple):
    """A cell of the storyboard: the block's id and the 0-based row and column."""

    block: str
    row: int
    col: int


# ---------------------------------------------------------------------------------- one number


def cell_text(v: float) -> str:
    """v short enough for a narrow cell: 3 significant digits from 0.01 up (0.358, −12.4,
    0.0503), and below 0.01 two in scientific notation (5.0e−3, −4.2e−4), where a fixed
    notation would spend the cell on zeros. Clicking the cell gives the full value."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else f"{MINUS}∞"
    if v == 0:
        return "0"
    rounded = abs(float(f"{v:.2e}"))  # the size after rounding to 3 digits: 0.9996 -> 1.00
    if rounded >= 0.01 and abs(round(v)) < 1e4:  # 9999.4 shows as 9999, 9999.6 as 1.00e4
        text = f"{v:.{max(0, 2 - math.floor(math.log10(rounded)))}f}"
    elif rounded >= 0.01:
        text = f"{v:.2e}"
    else:
        text = f"{v:.1e}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def cell_colour(v: float, limit: float) -> str:
    """Background of a cell holding v in a matrix whose largest size is `limit`."""
    if not math.isfinite(v):
        return NOT_A_NUMBER
    if limit <= 0 or not math.isfinite(limit) or v == 0:
        return "#FFFFFF"
    t = min(abs(v) / limit, 1.0)
    end = POSITIVE_END if v > 0 else NEGATIVE_END
    r, g, b = (round(w + t * (e - w)) for w, e in zip(WHITE, end, strict=True))
    return f"#{r:02X}{g:02X}{b:02X}"


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #RRGGBB colour."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ------------------------------------------------------------------------------------- blocks


def block(
    block_id: str,
    name: str,
    formula: str,
    M: np.ndarray,
    cols: Sequence[str] | None,
    rows: Sequence[str] | None = None,
    shown: int | None = None,
    meaning: str = "",
) -> dict[str, Any]:
    """One matrix: its cells (text, colour, full value) for the first `shown` rows.

    The colour scale spans the whole matrix, not only the shown rows, so a row looks the same
    whether the others are shown or not. `rows` are row labels (only the first block of a band
    has them: the others line up with it); `cols` None leaves out the header row, for a single
    column the block's name already names."""
    M = np.asarray(M, dtype=float)
    total = M.shape[0]
    shown = total if shown is None else min(shown, total)
    finite = np.abs(M[np.isfinite(M)])
    limit = float(finite.max()) if finite.size else 0.0
    cells = [
        [[cell_text(v), cell_colour(v, limit), repr(v)] for v in map(float, M[i])]
        for i in range(shown)
    ]
    return {
        "kind": "block",
        "id": block_id,
        "name": name,
        "formula": formula,
        "meaning": meaning,
        "shape": f"{M.shape[0]}×{M.shape[1]}",
        "cols": None if cols is None else list(cols),
        "rows": None if rows is None else list(rows[:shown]),
        "cells": cells,
        "hidden_rows": total - shown,
    }


def op(symbol: str, label: str = "") -> dict[str, Any]:
    """An operator between blocks: an arrow or sign, with what it does written above it."""
    return {"kind": "op", "symbol": symbol, "label": label}


def group(*blocks: dict[str, Any]) -> dict[str, Any]:
    """Small blocks laid out two by two (W1 beside W2, b1 under W1, b2 under W2)."""
    return {"kind": "group", "blocks": list(blocks)}


def _hidden(rec: StepRecord) -> list[str]:
    return [f"h{j + 1}" for j in range(rec.fwd.Z1.shape[1])]


def _minus(M: np.ndarray) -> np.ndarray:
    return -np.asarray(M)


def storyboard(
    rec: StepRecord,
    feature_names: Sequence[str],
    expanded: bool = False,
    pick: Pick | None = None,
    presenting: bool = False,
) -> dict[str, Any]:
    """Everything the storyboard component draws for one step: the first rows of the batch
    (all of them, up to MAX_ROWS, when `expanded`), with `pick` and what it comes from marked."""
    m = len(rec.indices)
    k = min(shown_rows(presenting, expanded), m)
    rows = [f"#{int(i) + 1}" for i in rec.indices]
    hidden, inputs = _hidden(rec), input_labels(feature_names)
    g, f, p = rec.grads, rec.fwd, rec.params_before
    delta2_W2T = g.delta2 @ p.W2.T
    sigma_prime = f.A1 * (1 - f.A1)
    eta = rec.lr
    forward = [
        block("X", "X", "inputs", rec.X, inputs, rows, k),
        op("→", "·W1 + b1"),
        block("Z1", "Z1", "= X·W1 + b1", f.Z1, hidden, None, k),
        op("→", "σ"),
        block("A1", "A1", "= σ(Z1)", f.A1, hidden, None, k),
        op("→", "·W2 + b2"),
        block("A2", "A2 = Z2", "= A1·W2 + b2", f.A2, ["ŷ"], None, k),
        block("y", "y", "targets", rec.y, ["y"], None, k),
        op("→"),
        block("delta2", "δ2", "= (A2 − y)/m", g.delta2, ["δ2"], None, k),
    ]
    backward = [
        block("delta2W2T", "δ2W2ᵀ", "δ2 sent back", delta2_W2T, hidden, None, k),
        op("⊙"),
        block("sigma_prime", "A1(1 − A1)", "= σ′(Z1)", sigma_prime, hidden, None, k),
        op("="),
        block("delta1", "δ1", "= δ2W2ᵀ ⊙ A1(1 − A1)", g.delta1, hidden, None, k),
        group(
            block("dW1", "∇W1", "= Xᵀδ1", g.dW1, hidden, inputs),
            block("dW2", "∇W2", "= A1ᵀδ2", g.dW2, None, hidden),
            block("db1", "∇b1", "= rowsum(δ1)", g.db1, hidden),
            block("db2", "∇b2", "= rowsum(δ2)", g.db2, None),
        ),
    ]
    update = [
        group(*_params("", p, "", hidden, inputs)),
        op("+"),
        group(
            *_params(
                "change_",
                type(p)(*(_minus(eta * getattr(g, f"d{n}")) for n in ("W1", "b1", "W2", "b2"))),
                "−η∇",
                hidden,
                inputs,
            )
        ),
        op("="),
        group(*_params("after_", rec.params_after, "new ", hidden, inputs)),
    ]
    return {
        "presenting": presenting,
        "rows_shown": k,
        "batch_rows": m,
        "more_rows": m - k,
        "expanded": expanded,
        "eta": f"η = {eta:g}",
        "bands": [
            {"id": "forward", "title": "Forward pass", "items": forward},
            {"id": "backward", "title": "Backward pass", "items": backward},
            {"id": "update", "title": f"Update, with η = {eta:g}", "items": update},
        ],
        "pick": None if pick is None else list(pick),
        "highlight": highlight(pick) if pick else {},
    }


def shown_rows(presenting: bool, expanded: bool) -> int:
    """How many of the batch's rows the storyboard shows (at most)."""
    if expanded:
        return MAX_ROWS
    return ROWS_PRESENTING if presenting else ROWS_NORMAL


def _params(prefix: str, params, word: str, hidden: list[str], inputs: list[str]) -> list[dict]:
    """W1, W2, b1, b2 as blocks (in the order the two-by-two group lays them out)."""
    name = {"": "{}", "change_": "−η∇{}", "after_": "new {}"}[prefix]
    meaning = {"": "before the update", "change_": "the change", "after_": "after the update"}
    return [
        block(f"{prefix}W1", name.format("W1"), meaning[prefix], params.W1, hidden, inputs),
        block(f"{prefix}W2", name.format("W2"), meaning[prefix], params.W2, None, hidden),
        block(f"{prefix}b1", name.format("b1"), meaning[prefix], params.b1, hidden),
        block(f"{prefix}b2", name.format("b2"), meaning[prefix], params.b2, None),
    ]


# ------------------------------------------------------------------------------------- links


def highlight(pick: Pick) -> dict[str, list[list[int]]]:
    """The cells a picked number is computed from (or, for a weight, the cells of its update),
    block by block, as [row, col] pairs, ALL standing for a whole row or column."""
    b, i, j = pick
    sources: dict[str, list[list[int]]] = {
        "Z1": {"X": [[i, ALL]], "W1": [[ALL, j]], "b1": [[0, j]]},
        "A1": {"Z1": [[i, j]]},
        "A2": {"A1": [[i, ALL]], "W2": [[ALL, 0]], "b2": [[0, 0]]},
        "delta2": {"A2": [[i, 0]], "y": [[i, 0]]},
        "delta2W2T": {"delta2": [[i, 0]], "W2": [[j, 0]]},
        "sigma_prime": {"A1": [[i, j]]},
        "delta1": {"delta2W2T": [[i, j]], "sigma_prime": [[i, j]]},
        "dW1": {"X": [[ALL, i]], "delta1": [[ALL, j]]},
        "db1": {"delta1": [[ALL, j]]},
        "dW2": {"A1": [[ALL, i]], "delta2": [[ALL, 0]]},
        "db2": {"delta2": [[ALL, 0]]},
    }.get(b, {})
    for name in ("W1", "b1", "W2", "b2"):
        if b in (name, f"change_{name}", f"after_{name}"):
            sources = {
                name: [[i, j]],
                f"d{name}": [[i, j]],
                f"change_{name}": [[i, j]],
                f"after_{name}": [[i, j]],
            }
            sources.pop(b)
    return sources
