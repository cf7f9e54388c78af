"""Exercise mode: compute one hidden entry of the current step by hand, then see the solution.

An exercise hides one entry of Z1, A1, δ2, δ1 or a gradient of a step record, lists the numbers
its formula needs, and checks the student's typed answer within a tolerance. Indices are 0-based
in code and shown 1-based, as in the seed. Gradients are sums over the whole batch, so a random
pick (kind=None) skips them when the batch has more than MAX_SUM_ROWS rows; asking for one by
name still works. The worked solution is core.explain's explanation of the same entry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core.explain import Explanation, explain, matrix_of
from core.trainer import StepRecord

# Kind -> plain-text label, in the order the seed computes them.
EXERCISE_KINDS: dict[str, str] = {
    "Z1": "Z1 (hidden weighted input)",
    "A1": "A1 (hidden activation)",
    "delta2": "δ2 (output error)",
    "delta1": "δ1 (hidden error)",
    "dW2": "∇W2 (gradient of W2)",
    "db2": "∇b2 (gradient of b2)",
    "dW1": "∇W1 (gradient of W1)",
    "db1": "∇b1 (gradient of b1)",
}
BATCH_SUMS = ("dW2", "db2", "dW1", "db1")
# A random pick leaves out the sums over the batch (BATCH_SUMS) when the batch has more rows.
MAX_SUM_ROWS = 8
MAX_ANSWER_CHARS = 100
FORMAT_HELP = "Type a single number, for example 0.25, -1.5, 0,25 or 1.2e-3."


@dataclass(frozen=True)
class Exercise:
    """One hidden entry of a step record: where it is, what the student is told, the answer.

    `given` maps plain-text labels (1-based, e.g. "W1[2,3]") to the exact numbers of the record
    that the entry's formula needs, in the formula's order. `pitfalls` pairs the results of
    common mistakes with a hint about each mistake. Treat `given` as read-only.
    """

    kind: str
    row: int
    col: int
    symbol: str
    prompt: str
    given: dict[str, float]
    answer: float
    m: int
    pitfalls: tuple[tuple[float, str], ...] = ()

    def given_lines(self, digits: int = 6) -> list[str]:
        """The given numbers as "label = value" lines with `digits` significant digits."""
        return [f"{label} = {value:.{digits}g}" for label, value in self.given.items()]


class Check(NamedTuple):
    """The verdict on one typed answer; parsed is None when the text is not a number."""

    correct: bool
    parsed: float | None
    message: str


class _Parts(NamedTuple):
    symbol: str
    task: str  # what to compute and its formula, without the list of numbers
    needs: str  # which numbers it takes, in words
    given: dict[str, float]
    pitfalls: tuple[tuple[float, str], ...]


# ----------------------------------------------------------------------------- making exercises


def make_exercise(rec: StepRecord, kind: str | None = None, seed: int = 0) -> Exercise:
    """A random entry (seeded) of the named kind, or of a random kind when kind is None.

    With kind=None and more than MAX_SUM_ROWS rows in the batch, only Z1, A1, δ2 and δ1 are
    picked, whose formulas need one row of the batch rather than all of it.
    """
    if kind is not None and kind not in EXERCISE_KINDS:
        raise ValueError(f"Unknown exercise {kind!r}; choose one of {tuple(EXERCISE_KINDS)}.")
    rng = np.random.default_rng(seed)
    m = rec.X.shape[0]
    if kind is None:
        kinds = [k for k in EXERCISE_KINDS if m <= MAX_SUM_ROWS or k not in BATCH_SUMS]
        kind = kinds[int(rng.integers(len(kinds)))]
    rows, cols = matrix_of(rec, kind).shape
    row, col = int(rng.integers(rows)), int(rng.integers(cols))
    parts = _BUILDERS[kind](rec, row, col)
    answer = float(matrix_of(rec, kind)[row, col])
    generic = _generic_pitfalls(kind, answer, m)
    return Exercise(
        kind=kind,
        row=row,
        col=col,
        symbol=parts.symbol,
        prompt=f"{parts.task} You need {parts.needs}.",
        given=parts.given,
        answer=answer,
        m=m,
        pitfalls=parts.pitfalls + generic,
    )


def _and(items: Sequence[str]) -> str:
    """Items in words: a; a and b; a, b and c."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _column(prefix: str, col: str, m: int) -> str:
    """A batch column in words: "A1[1,2]" when m = 1, else "A1[1,2] to A1[4,2]"."""
    first = f"{prefix}[1{col}]"
    return first if m == 1 else f"{first} to {prefix}[{m}{col}]"


def _sizes(rec: StepRecord) -> tuple[int, int]:
    """(batch rows m, inputs n)."""
    return rec.X.shape


def _z1(rec: StepRecord, i: int, j: int) -> _Parts:
    _, n = _sizes(rec)
    W1, b1 = rec.params_before.W1, rec.params_before.b1
    given = {f"X[{i + 1},{k + 1}]": float(rec.X[i, k]) for k in range(n)}
    given |= {f"W1[{k + 1},{j + 1}]": float(W1[k, j]) for k in range(n)}
    given[f"b1[{j + 1}]"] = bias = float(b1[0, j])
    forgot_bias = float(rec.fwd.Z1[i, j]) - bias
    return _Parts(
        symbol=f"Z1[{i + 1},{j + 1}]",
        task=(
            f"Compute Z1[{i + 1},{j + 1}], the weighted input of hidden unit {j + 1} for batch "
            f"row {i + 1}: Z1[i,j] = X[i,1]·W1[1,j] + … + X[i,n]·W1[n,j] + b1[j]."
        ),
        needs=_and(list(given)),
        given=given,
        pitfalls=((forgot_bias, f"Did you forget to add the bias b1[{j + 1}]?"),),
    )


def _a1(rec: StepRecord, i: int, j: int) -> _Parts:
    z, a = float(rec.fwd.Z1[i, j]), float(rec.fwd.A1[i, j])
    label = f"Z1[{i + 1},{j + 1}]"
    return _Parts(
        symbol=f"A1[{i + 1},{j + 1}]",
        task=(
            f"Compute A1[{i + 1},{j + 1}], the output of hidden unit {j + 1} for batch row "
            f"{i + 1}: A1[i,j] = σ(Z1[i,j]) = 1 / (1 + e^(−Z1[i,j]))."
        ),
        needs=label,
        given={label: z},
        pitfalls=(
            (z, "That is Z1 itself: apply the sigmoid σ(z) = 1 / (1 + e^(−z)) to it."),
            (1.0 - a, "Check the sign in the exponent: σ(z) = 1 / (1 + e^(−z))."),
            (a * (1.0 - a), "That is the sigmoid's slope A1(1 − A1); A1 is σ(Z1) itself."),
        ),
    )


def _delta2(rec: StepRecord, i: int, _col: int) -> _Parts:
    m, _ = _sizes(rec)
    given = {f"A2[{i + 1}]": float(rec.fwd.A2[i, 0]), f"y[{i + 1}]": float(rec.y[i, 0])}
    given["m"] = float(m)
    return _Parts(
        symbol=f"δ2[{i + 1}]",
        task=(
            f"Compute δ2[{i + 1}], the output error for batch row {i + 1}: "
            "δ2[i] = (A2[i] − y[i]) / m."
        ),
        needs=_and(list(given)),
        given=given,
        pitfalls=(),
    )


def _delta1(rec: StepRecord, i: int, j: int) -> _Parts:
    d2, w2 = float(rec.grads.delta2[i, 0]), float(rec.params_before.W2[j, 0])
    a = float(rec.fwd.A1[i, j])
    given = {f"δ2[{i + 1}]": d2, f"W2[{j + 1}]": w2, f"A1[{i + 1},{j + 1}]": a}
    return _Parts(
        symbol=f"δ1[{i + 1},{j + 1}]",
        task=(
            f"Compute δ1[{i + 1},{j + 1}], the error of hidden unit {j + 1} for batch row "
            f"{i + 1}: δ1[i,j] = δ2[i] · W2[j] · A1[i,j] · (1 − A1[i,j])."
        ),
        needs=_and(list(given)),
        given=given,
        pitfalls=(
            (d2 * w2, "You left out the sigmoid's derivative A1(1 − A1)."),
            (d2 * w2 * a, "The sigmoid's derivative is A1(1 − A1), not A1 alone."),
            (d2 * w2 * (1.0 - a), "The sigmoid's derivative is A1(1 − A1), not (1 − A1) alone."),
        ),
    )


def _dw2(rec: StepRecord, j: int, _col: int) -> _Parts:
    m, _ = _sizes(rec)
    given = {f"A1[{i + 1},{j + 1}]": float(rec.fwd.A1[i, j]) for i in range(m)}
    given |= {f"δ2[{i + 1}]": float(rec.grads.delta2[i, 0]) for i in range(m)}
    return _Parts(
        symbol=f"∇W2[{j + 1}]",
        task=(
            f"Compute ∇W2[{j + 1}], the gradient of the weight from hidden unit {j + 1} to the "
            "output: ∇W2[j] = A1[1,j]·δ2[1] + … + A1[m,j]·δ2[m]."
        ),
        needs=f"{_column('A1', f',{j + 1}', m)} and {_column('δ2', '', m)}",
        given=given,
        pitfalls=(),
    )


def _db2(rec: StepRecord, _row: int, _col: int) -> _Parts:
    m, _ = _sizes(rec)
    given = {f"δ2[{i + 1}]": float(rec.grads.delta2[i, 0]) for i in range(m)}
    return _Parts(
        symbol="∇b2",
        task="Compute ∇b2, the gradient of the output bias: ∇b2 = δ2[1] + … + δ2[m].",
        needs=_column("δ2", "", m),
        given=given,
        pitfalls=(),
    )


def _dw1(rec: StepRecord, k: int, j: int) -> _Parts:
    m, _ = _sizes(rec)
    given = {f"X[{i + 1},{k + 1}]": float(rec.X[i, k]) for i in range(m)}
    given |= {f"δ1[{i + 1},{j + 1}]": float(rec.grads.delta1[i, j]) for i in range(m)}
    return _Parts(
        symbol=f"∇W1[{k + 1},{j + 1}]",
        task=(
            f"Compute ∇W1[{k + 1},{j + 1}], the gradient of the weight from input {k + 1} to "
            f"hidden unit {j + 1}: ∇W1[k,j] = X[1,k]·δ1[1,j] + … + X[m,k]·δ1[m,j]."
        ),
        needs=f"{_column('X', f',{k + 1}', m)} and {_column('δ1', f',{j + 1}', m)}",
        given=given,
        pitfalls=(),
    )


def _db1(rec: StepRecord, _row: int, j: int) -> _Parts:
    m, _ = _sizes(rec)
    given = {f"δ1[{i + 1},{j + 1}]": float(rec.grads.delta1[i, j]) for i in range(m)}
    return _Parts(
        symbol=f"∇b1[{j + 1}]",
        task=(
            f"Compute ∇b1[{j + 1}], the gradient of hidden unit {j + 1}'s bias: "
            "∇b1[j] = δ1[1,j] + … + δ1[m,j]."
        ),
        needs=_column("δ1", f",{j + 1}", m),
        given=given,
        pitfalls=(),
    )


_BUILDERS = {
    "Z1": _z1,
    "A1": _a1,
    "delta2": _delta2,
    "delta1": _delta1,
    "dW2": _dw2,
    "db2": _db2,
    "dW1": _dw1,
    "db1": _db1,
}


def _generic_pitfalls(kind: str, answer: float, m: int) -> tuple[tuple[float, str], ...]:
    """The sign flip for every kind; for the error terms and gradients, a factor of m."""
    if kind == "delta2":
        sign = "Check the sign: δ2 is the prediction minus the target, (A2 − y) / m."
    else:
        sign = "Check the sign: the size is right but the sign is flipped."
    pitfalls = [(-answer, sign)]
    if m > 1 and kind in ("delta2", "delta1", *BATCH_SUMS):
        if kind == "delta2":
            too_big = f"It is m = {m} times too large: did you forget to divide by m?"
        else:
            too_big = f"It is m = {m} times too large: the 1/m belongs in it once (inside δ2)."
        too_small = f"It is m = {m} times too small: δ2 already has the 1/m; don't divide again."
        pitfalls += [(answer * m, too_big), (answer / m, too_small)]
    return tuple(pitfalls)


# ----------------------------------------------------------------------------- checking answers

_MINUS = str.maketrans({"−": "-", "‒": "-", "–": "-", "—": "-", "﹣": "-", "－": "-", "＋": "+"})
_POWER_OF_TEN = re.compile(r"(?:[x×*·]|\\times|\\cdot)10\^\{?\(?([+-]?[0-9]+)\)?\}?$")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_answer(text: str) -> float | None:
    """The number in a student's text, or None.

    Accepts spaces anywhere, a leading + or −, a comma as the decimal separator ("0,25"), and
    scientific notation ("1.2e-3", "1.2 × 10^-3"). Text with both a comma and a point, several
    numbers, or infinities and NaN is not accepted.
    """
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        return None
    s = "".join(text.translate(_MINUS).split())
    s = _POWER_OF_TEN.sub(r"e\1", s)
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    if not _NUMBER.fullmatch(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def _close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def check_answer(
    exercise: Exercise, text: str, rel_tol: float = 1e-3, abs_tol: float = 1e-4
) -> Check:
    """Whether the typed answer matches the hidden entry within the tolerances, with feedback.

    The answer counts when it is within rel_tol of the entry's size or within abs_tol of it.
    abs_tol is there for entries near 0; δ1 and gradient entries can themselves be as small as
    1e-4, so a caller checking those strictly should pass a smaller abs_tol.
    """
    value = parse_answer(text)
    if value is None:
        return Check(False, None, f"That is not a number I can read. {FORMAT_HELP}")
    answer = exercise.answer
    if _close(value, answer, rel_tol, abs_tol):
        return Check(True, value, f"Correct: {exercise.symbol} = {answer:.6g}.")
    hint = _hint(exercise, value, rel_tol)
    return Check(False, value, f"Not quite: {_how_far(value, answer)}{hint}")


def _how_far(value: float, answer: float) -> str:
    direction = "high" if value > answer else "low"
    off = abs(value - answer)
    share = f" ({off / abs(answer):.0%} of the right value's size)" if answer != 0 else ""
    return f"your answer is too {direction} by {off:.3g}{share}."


def _hint(exercise: Exercise, value: float, rel_tol: float) -> str:
    """The hint of the first pitfall the answer matches, skipping pitfalls equal to the answer.

    Matching is relative only: the error terms and gradients are often as small as abs_tol.
    """
    for result, hint in exercise.pitfalls:
        if _close(value, result, rel_tol, 0.0) and not _close(
            result, exercise.answer, rel_tol, 0.0
        ):
            return f" {hint}"
    return ""


def solution(rec: StepRecord, exercise: Exercise) -> Explanation:
    """The worked solution: core.explain's explanation of the exercise's entry."""
    e = explain(rec, exercise.kind, exercise.row, exercise.col)
    if e.value != exercise.answer:
        raise ValueError("This exercise was made from a different step than the record given.")
    return e
