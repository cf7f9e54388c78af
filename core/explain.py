"""Explain one number: the formula behind any entry of a step's matrices, with its numbers.

Every explanation is KaTeX-compatible LaTeX in the seed's notation (Z1 = X W1 + b1, A1 = σ(Z1),
Z2 = A1 W2 + b2, A2 = Z2, δ2 = (A2 - y)/m, δ1 = (δ2 W2ᵀ) ⊙ A1(1 - A1), ∇W2 = A1ᵀδ2, ∇b2 =
rowsum(δ2), ∇W1 = Xᵀδ1, ∇b1 = rowsum(δ1), θ ← θ − η∇θ). Functions take 0-based indices and
display them 1-based: i is the row within the batch, j the hidden unit and k the input.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from core.trainer import StepRecord

SIGNIFICANT_DIGITS = 4
# Sums over the batch with more terms than this show the first few terms, \cdots and the last.
MAX_SHOWN_TERMS = 6
HEAD_TERMS = 3

# Matrix name -> display label, in the order the seed computes them.
EXPLAINABLE: dict[str, str] = {
    "Z1": "Z1 (hidden weighted inputs)",
    "A1": "A1 (hidden activations)",
    "Z2": "Z2 (output weighted input)",
    "A2": "A2 (predictions)",
    "delta2": "δ2 (output errors)",
    "delta1": "δ1 (hidden errors)",
    "dW2": "∇W2 (gradient of W2)",
    "db2": "∇b2 (gradient of b2)",
    "dW1": "∇W1 (gradient of W1)",
    "db1": "∇b1 (gradient of b1)",
}
UPDATABLE = ("W1", "b1", "W2", "b2")


class Explanation(NamedTuple):
    """One entry explained: LaTeX for st.latex plus a plain-text sentence for students."""

    symbol: str  # LaTeX of the entry, e.g. "Z_1[2,3]"
    formula: str  # the general formula in the seed's notation
    substituted: str  # the formula with this step's numbers and the result
    value: float  # the entry exactly as stored in the record
    terms_value: float  # what the full-precision terms add up to (equals value to ~1e-12)
    note: str  # what this number means, in simple words


# ----------------------------------------------------------------------------- number formatting


def fmt(x: float, paren: bool = False) -> str:
    """x as LaTeX with 4 significant digits, e.g. 0.5000, -12.35, 1.235\\times10^{4}.

    Values under 1e-4 or from 1e4 up in size use scientific notation; exactly 0 is "0"; NaN and
    infinities render as \\text{NaN} and \\infty. With paren=True a negative number is wrapped in
    parentheses, as needed after a + or − sign or when multiplied.
    """
    x = float(x)
    if math.isnan(x):
        return r"\text{NaN}"
    if math.isinf(x):
        text = r"\infty" if x > 0 else r"-\infty"
    elif x == 0.0:
        text = "0"
    else:
        text = format(x, f"#.{SIGNIFICANT_DIGITS}g")
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = rf"{mantissa.rstrip('.')}\times10^{{{int(exponent)}}}"
        else:
            text = text.rstrip(".")  # "#" keeps trailing zeros but leaves "1235." for 1234.5
    return f"({text})" if paren and text.startswith("-") else text


def _product(*factors: float) -> str:
    """Factors side by side, each in parentheses: (0.5120)(-0.2310)."""
    return "".join(f"({fmt(f)})" for f in factors)


def _join_sum(terms: Sequence[str]) -> str:
    return " + ".join(terms)


def _batch_sum(terms: Sequence[str]) -> str:
    """A sum over the m batch rows; long ones keep the first terms, \\cdots and the last."""
    m = len(terms)
    if m <= MAX_SHOWN_TERMS:
        return _join_sum(terms)
    body = _join_sum([*terms[:HEAD_TERMS], r"\cdots", terms[-1]])
    return rf"\underbrace{{{body}}}_{{m={m}\text{{ terms}}}}"


def _plain_terms(values: Sequence[float]) -> list[str]:
    """Numbers to be added: negatives after the first in parentheses."""
    return [fmt(v, paren=n > 0) for n, v in enumerate(values)]


# ----------------------------------------------------------------------------- helpers


def _index(value: int, size: int, what: str) -> int:
    """A 0-based index checked against its range (negative indices are not accepted)."""
    i = operator.index(value)
    if not 0 <= i < size:
        raise IndexError(f"{what} index {i} is out of range: it must be 0 to {size - 1}.")
    return i


def _sizes(rec: StepRecord) -> tuple[int, int, int]:
    """(m, n, h): batch rows, inputs, hidden units."""
    m, n = rec.X.shape
    return m, n, rec.params_before.W1.shape[1]


def _row_words(rec: StepRecord, i: int) -> str:
    return f"batch row {i + 1} (training sample {int(rec.indices[i]) + 1})"


def _v(a: np.ndarray, *index: int) -> float:
    return float(a[index])


def _fsum(values: Sequence[float]) -> float:
    return math.fsum(values)


# ----------------------------------------------------------------------------- forward pass


def explain_Z1(rec: StepRecord, i: int, j: int) -> Explanation:
    """Z1[i,j] = Σ_k X[i,k] W1[k,j] + b1[j]."""
    m, n, h = _sizes(rec)
    i, j = _index(i, m, "Batch row"), _index(j, h, "Hidden unit")
    W1, b1 = rec.params_before.W1, rec.params_before.b1
    xs = [_v(rec.X, i, k) for k in range(n)]
    ws = [_v(W1, k, j) for k in range(n)]
    b = _v(b1, 0, j)
    value = _v(rec.fwd.Z1, i, j)
    symbol = f"Z_1[{i + 1},{j + 1}]"
    terms = [_product(x, w) for x, w in zip(xs, ws, strict=True)] + [fmt(b, paren=True)]
    return Explanation(
        symbol=symbol,
        formula=r"Z_1[i,j] = \sum_{k=1}^{n} X[i,k]\,W_1[k,j] + b_1[j]",
        substituted=f"{symbol} = {_join_sum(terms)} = {fmt(value)}",
        value=value,
        terms_value=_fsum([x * w for x, w in zip(xs, ws, strict=True)] + [b]),
        note=(
            f"The weighted input of hidden unit {j + 1} for {_row_words(rec, i)}: each of the "
            f"{n} inputs times its weight into unit {j + 1}, added up, plus the unit's bias."
        ),
    )


def _sigmoid(z: float) -> float:
    """1 / (1 + e^-z) without overflow, as in the network."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def explain_A1(rec: StepRecord, i: int, j: int) -> Explanation:
    """A1[i,j] = σ(Z1[i,j]) = 1 / (1 + e^{-Z1[i,j]})."""
    m, _, h = _sizes(rec)
    i, j = _index(i, m, "Batch row"), _index(j, h, "Hidden unit")
    z = _v(rec.fwd.Z1, i, j)
    value = _v(rec.fwd.A1, i, j)
    symbol = f"A_1[{i + 1},{j + 1}]"
    return Explanation(
        symbol=symbol,
        formula=r"A_1[i,j] = \sigma(Z_1[i,j]) = \frac{1}{1 + e^{-Z_1[i,j]}}",
        substituted=(
            rf"{symbol} = \sigma({fmt(z)}) = \frac{{1}}{{1 + e^{{-{fmt(z, paren=True)}}}}}"
            f" = {fmt(value)}"
        ),
        value=value,
        terms_value=_sigmoid(z),
        note=(
            f"The output of hidden unit {j + 1} for {_row_words(rec, i)}: the sigmoid squashes "
            f"its weighted input Z1 = {z:.4g} into a number between 0 and 1."
        ),
    )


def explain_Z2(rec: StepRecord, i: int) -> Explanation:
    """Z2[i] = Σ_j A1[i,j] W2[j] + b2."""
    m, _, h = _sizes(rec)
    i = _index(i, m, "Batch row")
    a = [_v(rec.fwd.A1, i, j) for j in range(h)]
    w = [_v(rec.params_before.W2, j, 0) for j in range(h)]
    b = _v(rec.params_before.b2, 0, 0)
    value = _v(rec.fwd.Z2, i, 0)
    symbol = f"Z_2[{i + 1}]"
    terms = [_product(x, y) for x, y in zip(a, w, strict=True)] + [fmt(b, paren=True)]
    return Explanation(
        symbol=symbol,
        formula=r"Z_2[i] = \sum_{j=1}^{h} A_1[i,j]\,W_2[j] + b_2",
        substituted=f"{symbol} = {_join_sum(terms)} = {fmt(value)}",
        value=value,
        terms_value=_fsum([x * y for x, y in zip(a, w, strict=True)] + [b]),
        note=(
            f"The output unit's weighted input for {_row_words(rec, i)}: each of the {h} hidden "
            "units' outputs times its weight into the output unit, added up, plus the output bias."
        ),
    )


def explain_A2(rec: StepRecord, i: int) -> Explanation:
    """A2[i] = Z2[i]: the output unit is linear."""
    m, _, _ = _sizes(rec)
    i = _index(i, m, "Batch row")
    z = _v(rec.fwd.Z2, i, 0)
    value = _v(rec.fwd.A2, i, 0)
    symbol = f"A_2[{i + 1}]"
    return Explanation(
        symbol=symbol,
        formula=r"A_2[i] = Z_2[i] \quad \text{(linear output)}",
        substituted=f"{symbol} = Z_2[{i + 1}] = {fmt(z)}",
        value=value,
        terms_value=z,
        note=(
            f"The network's prediction for {_row_words(rec, i)}. The output unit has no squashing "
            f"function, so the prediction is Z2 itself; the target is y = {_v(rec.y, i, 0):.4g}."
        ),
    )


# ----------------------------------------------------------------------------- backward pass


def explain_delta2(rec: StepRecord, i: int) -> Explanation:
    """δ2[i] = (A2[i] - y[i]) / m."""
    m, _, _ = _sizes(rec)
    i = _index(i, m, "Batch row")
    a, t = _v(rec.fwd.A2, i, 0), _v(rec.y, i, 0)
    value = _v(rec.grads.delta2, i, 0)
    symbol = rf"\delta_2[{i + 1}]"
    direction = "too high" if a > t else "too low" if a < t else "exactly right"
    return Explanation(
        symbol=symbol,
        formula=r"\delta_2[i] = \frac{A_2[i] - y[i]}{m}",
        substituted=(rf"{symbol} = \frac{{{fmt(a)} - {fmt(t, paren=True)}}}{{{m}}} = {fmt(value)}"),
        value=value,
        terms_value=(a - t) / m,
        note=(
            f"The output error for {_row_words(rec, i)}: prediction minus target, divided by the "
            f"batch size m = {m}. It is how much the loss changes per unit change of this "
            f"prediction; here the prediction is {direction}."
        ),
    )


def explain_delta1(rec: StepRecord, i: int, j: int) -> Explanation:
    """δ1[i,j] = δ2[i] W2[j] A1[i,j] (1 - A1[i,j])."""
    m, _, h = _sizes(rec)
    i, j = _index(i, m, "Batch row"), _index(j, h, "Hidden unit")
    d2 = _v(rec.grads.delta2, i, 0)
    w2 = _v(rec.params_before.W2, j, 0)
    a = _v(rec.fwd.A1, i, j)
    value = _v(rec.grads.delta1, i, j)
    symbol = rf"\delta_1[{i + 1},{j + 1}]"
    return Explanation(
        symbol=symbol,
        formula=r"\delta_1[i,j] = \delta_2[i]\,W_2[j]\,A_1[i,j]\,(1 - A_1[i,j])",
        substituted=f"{symbol} = {_product(d2, w2, a)}(1 - {fmt(a, paren=True)}) = {fmt(value)}",
        value=value,
        terms_value=(d2 * w2) * (a * (1.0 - a)),  # the network's order of operations
        note=(
            f"The error of hidden unit {j + 1} for {_row_words(rec, i)}: the output error sent "
            f"back through the weight W2[{j + 1}], times the sigmoid's slope A1(1 − A1) "
            f"(at most 0.25). It is how much the loss changes per unit change of Z1[{i + 1},"
            f"{j + 1}]."
        ),
    )


def explain_dW2(rec: StepRecord, j: int) -> Explanation:
    """∇W2[j] = Σ_i A1[i,j] δ2[i]."""
    m, _, h = _sizes(rec)
    j = _index(j, h, "Hidden unit")
    a = [_v(rec.fwd.A1, i, j) for i in range(m)]
    d = [_v(rec.grads.delta2, i, 0) for i in range(m)]
    value = _v(rec.grads.dW2, j, 0)
    symbol = rf"\nabla W_2[{j + 1}]"
    terms = [_product(x, y) for x, y in zip(a, d, strict=True)]
    return Explanation(
        symbol=symbol,
        formula=r"\nabla W_2[j] = \sum_{i=1}^{m} A_1[i,j]\,\delta_2[i]",
        substituted=f"{symbol} = {_batch_sum(terms)} = {fmt(value)}",
        value=value,
        terms_value=_fsum([x * y for x, y in zip(a, d, strict=True)]),
        note=(
            f"How much the loss would change per unit change of W2[{j + 1}], averaged over this "
            f"batch of {m} rows (the 1/m is already inside δ2): for every row, hidden unit "
            f"{j + 1}'s output times that row's output error, added up."
        ),
    )


def explain_db2(rec: StepRecord) -> Explanation:
    """∇b2 = Σ_i δ2[i]."""
    m, _, _ = _sizes(rec)
    d = [_v(rec.grads.delta2, i, 0) for i in range(m)]
    value = _v(rec.grads.db2, 0, 0)
    symbol = r"\nabla b_2"
    return Explanation(
        symbol=symbol,
        formula=r"\nabla b_2 = \sum_{i=1}^{m} \delta_2[i]",
        substituted=f"{symbol} = {_batch_sum(_plain_terms(d))} = {fmt(value)}",
        value=value,
        terms_value=_fsum(d),
        note=(
            "How much the loss would change per unit change of the output bias b2, averaged "
            f"over this batch of {m} rows: the output errors δ2 of all rows, added up."
        ),
    )


def explain_dW1(rec: StepRecord, k: int, j: int) -> Explanation:
    """∇W1[k,j] = Σ_i X[i,k] δ1[i,j]."""
    m, n, h = _sizes(rec)
    k, j = _index(k, n, "Input"), _index(j, h, "Hidden unit")
    x = [_v(rec.X, i, k) for i in range(m)]
    d = [_v(rec.grads.delta1, i, j) for i in range(m)]
    value = _v(rec.grads.dW1, k, j)
    symbol = rf"\nabla W_1[{k + 1},{j + 1}]"
    terms = [_product(a, b) for a, b in zip(x, d, strict=True)]
    return Explanation(
        symbol=symbol,
        formula=r"\nabla W_1[k,j] = \sum_{i=1}^{m} X[i,k]\,\delta_1[i,j]",
        substituted=f"{symbol} = {_batch_sum(terms)} = {fmt(value)}",
        value=value,
        terms_value=_fsum([a * b for a, b in zip(x, d, strict=True)]),
        note=(
            f"How much the loss would change per unit change of W1[{k + 1},{j + 1}], averaged "
            f"over this batch of {m} rows: for every row, input {k + 1} times hidden unit "
            f"{j + 1}'s error δ1, added up."
        ),
    )


def explain_db1(rec: StepRecord, j: int) -> Explanation:
    """∇b1[j] = Σ_i δ1[i,j]."""
    m, _, h = _sizes(rec)
    j = _index(j, h, "Hidden unit")
    d = [_v(rec.grads.delta1, i, j) for i in range(m)]
    value = _v(rec.grads.db1, 0, j)
    symbol = rf"\nabla b_1[{j + 1}]"
    return Explanation(
        symbol=symbol,
        formula=r"\nabla b_1[j] = \sum_{i=1}^{m} \delta_1[i,j]",
        substituted=f"{symbol} = {_batch_sum(_plain_terms(d))} = {fmt(value)}",
        value=value,
        terms_value=_fsum(d),
        note=(
            f"How much the loss would change per unit change of the bias b1[{j + 1}] of hidden "
            f"unit {j + 1}, averaged over this batch of {m} rows: that unit's errors δ1 of all "
            "rows, added up."
        ),
    )


# ----------------------------------------------------------------------------- update


_LATEX_NAMES = {"W1": "W_1", "b1": "b_1", "W2": "W_2", "b2": "b_2"}


def _update_index(name: str, index: int | Sequence[int], shape: tuple[int, int]) -> tuple[int, int]:
    """A full 2-D index; vectors (b1, W2) also take one number and b2 also takes ()."""
    idx = (index,) if isinstance(index, int | np.integer) else tuple(index)
    if len(idx) == 2:
        pass
    elif len(idx) == 1 and name == "b1":
        idx = (0, idx[0])
    elif len(idx) == 1 and name == "W2":
        idx = (idx[0], 0)
    elif len(idx) == 0 and name == "b2":
        idx = (0, 0)
    else:
        raise IndexError(f"{name} has shape {shape}; index {index!r} does not fit it.")
    return (_index(idx[0], shape[0], f"{name} row"), _index(idx[1], shape[1], f"{name} column"))


def _param_label(name: str, r: int, c: int, latex: bool) -> str:
    """W1[k,j], b1[j], W2[j] or b2, 1-based; as LaTeX or plain text."""
    base = _LATEX_NAMES[name] if latex else name
    if name == "W1":
        return f"{base}[{r + 1},{c + 1}]"
    if name == "b1":
        return f"{base}[{c + 1}]"
    if name == "W2":
        return f"{base}[{r + 1}]"
    return base


def explain_update(rec: StepRecord, name: str, index: int | Sequence[int] = ()) -> Explanation:
    """θ_after = θ_before − η ∇θ for one entry of W1, b1, W2 or b2 (index 0-based)."""
    if name not in _LATEX_NAMES:
        raise ValueError(f"Unknown parameter {name!r}; choose one of {UPDATABLE}.")
    before = getattr(rec.params_before, name)
    after = getattr(rec.params_after, name)
    grad = getattr(rec.grads, "d" + name)
    r, c = _update_index(name, index, before.shape)
    old, g, new = _v(before, r, c), _v(grad, r, c), _v(after, r, c)
    lr = float(rec.lr)
    symbol = _param_label(name, r, c, latex=True)
    general = {"W1": "W_1[k,j]", "b1": "b_1[j]", "W2": "W_2[j]", "b2": "b_2"}[name]
    plain = _param_label(name, r, c, latex=False)
    if g > 0:
        move = f"the gradient is positive, so {plain} goes down by {abs(lr * g):.4g}"
    elif g < 0:
        move = f"the gradient is negative, so {plain} goes up by {abs(lr * g):.4g}"
    else:
        move = f"the gradient is zero, so {plain} stays where it is"
    return Explanation(
        symbol=symbol,
        formula=rf"{general} \leftarrow {general} - \eta\,\nabla {general}",
        substituted=rf"{symbol} \leftarrow {fmt(old)} - {_product(lr, g)} = {fmt(new)}",
        value=new,
        terms_value=old - lr * g,
        note=(
            f"Gradient descent moves {plain} a small step against its gradient, scaled by the "
            f"learning rate η = {lr:.4g}: {move}."
        ),
    )


# ----------------------------------------------------------------------------- dispatch


def matrix_of(rec: StepRecord, name: str) -> np.ndarray:
    """The array of the record that `name` (one of EXPLAINABLE) refers to."""
    if name not in EXPLAINABLE:
        raise ValueError(f"Unknown matrix {name!r}; choose one of {tuple(EXPLAINABLE)}.")
    source = rec.fwd if name in rec.fwd._fields else rec.grads
    return getattr(source, name)


def _only(value: int, what: str) -> None:
    """The coordinate a column or row vector does not have must be 0."""
    _index(value, 1, what)


def _row_only(fn: Callable[[StepRecord, int], Explanation]):
    def call(rec: StepRecord, row: int, col: int) -> Explanation:
        _only(col, "Column")
        return fn(rec, row)

    return call


def _col_only(fn: Callable[[StepRecord, int], Explanation]):
    def call(rec: StepRecord, row: int, col: int) -> Explanation:
        _only(row, "Row")
        return fn(rec, col)

    return call


def _scalar(rec: StepRecord, row: int, col: int) -> Explanation:
    _only(row, "Row")
    _only(col, "Column")
    return explain_db2(rec)


_DISPATCH: dict[str, Callable[[StepRecord, int, int], Explanation]] = {
    "Z1": explain_Z1,
    "A1": explain_A1,
    "Z2": _row_only(explain_Z2),
    "A2": _row_only(explain_A2),
    "delta2": _row_only(explain_delta2),
    "delta1": explain_delta1,
    "dW2": _row_only(explain_dW2),
    "db2": _scalar,
    "dW1": explain_dW1,
    "db1": _col_only(explain_db1),
}


def explain(rec: StepRecord, matrix: str, row: int, col: int) -> Explanation:
    """Explain entry (row, col), 0-based, of the named matrix as the record stores it.

    Column vectors (Z2, A2, delta2, dW2) need col = 0, the row vector db1 needs row = 0 and the
    1×1 db2 needs both 0.
    """
    if matrix not in _DISPATCH:
        raise ValueError(f"Unknown matrix {matrix!r}; choose one of {tuple(EXPLAINABLE)}.")
    return _DISPATCH[matrix](rec, row, col)
