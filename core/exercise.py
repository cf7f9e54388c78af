"""Exercise mode: compute one hidden entry of the current step by hand, then see the solution.

An exercise hides one entry of Z1, A1, δ2, δ1 or a gradient of a step record and lists the numbers
its formula needs, rounded to SHOWN_DIGITS significant digits. The check accepts every result the
formula can give for numbers that show those same digits (when two shown numbers nearly cancel,
that range is wide), widened by a relative tolerance for rounding along the way. Indices are 0-based
in code and shown 1-based, as in the seed. Gradients are sums over the whole batch, so a random
pick (kind=None) skips them when the batch has more than MAX_SUM_ROWS rows; asking for one by
name still works. The worked solution is core.explain's explanation of the same entry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, NamedTuple

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
# The given numbers are shown with this many significant digits, and the check accepts what can be
# worked out from numbers shown that way: one constant for both.
SHOWN_DIGITS = 6
FORMAT_HELP = "Type a single number, for example 0.25, -1.5, 0,25 or 1.2e-3."


@dataclass(frozen=True)
class Exercise:
    """One hidden entry of a step record: where it is, what the student is told, the answer.

    `given` maps plain-text labels (1-based, e.g. "W1[2,3]") to the exact numbers of the record
    that the entry's formula needs, in the formula's order. `pitfalls` pairs the results of
    common mistakes with a hint about each mistake. Treat `given` as read-only.

    `shown_range` is (low, high): the smallest and largest results of the formula over all
    numbers that show as the given ones do with SHOWN_DIGITS significant digits (m is exact); it
    contains `answer`. `pitfall_ranges` is the same for each pitfall, in the order of `pitfalls`.
    None and () mean the exact values only, as for an exercise built without them.
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
    shown_range: tuple[float, float] | None = None
    pitfall_ranges: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.pitfall_ranges and len(self.pitfall_ranges) != len(self.pitfalls):
            raise ValueError("pitfall_ranges needs one (low, high) for each pitfall.")

    def given_lines(self, digits: int = SHOWN_DIGITS) -> list[str]:
        """The given numbers as "label = value" lines with `digits` significant digits.

        The check assumes the student saw SHOWN_DIGITS digits, the default.
        """
        return [f"{label} = {value:.{digits}g}" for label, value in self.given.items()]


class Check(NamedTuple):
    """The verdict on one typed answer; parsed is None when the text is not a number."""

    correct: bool
    parsed: float | None
    message: str


# A formula takes the given numbers in their order, as floats or as _Spans.
_Formula = Callable[[Sequence[Any]], Any]


class _Parts(NamedTuple):
    symbol: str
    task: str  # what to compute and its formula, without the list of numbers
    needs: str  # which numbers it takes, in words
    given: dict[str, float]
    formula: _Formula  # the entry, from the given numbers
    pitfalls: tuple[tuple[_Formula, str], ...]  # common mistakes, from the given numbers, and hints


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
    values = list(parts.given.values())
    spans = [_shown_span(label, value) for label, value in parts.given.items()]
    shown = _hull(parts.formula(spans), answer)
    pitfalls = [(float(f(values)), hint, f(spans)) for f, hint in parts.pitfalls]
    pitfalls += _generic_pitfalls(kind, answer, shown, m)
    return Exercise(
        kind=kind,
        row=row,
        col=col,
        symbol=parts.symbol,
        prompt=f"{parts.task} You need {parts.needs}.",
        given=parts.given,
        answer=answer,
        m=m,
        pitfalls=tuple((value, hint) for value, hint, _ in pitfalls),
        shown_range=(shown.lo, shown.hi),
        pitfall_ranges=tuple(_hull(span, value).ends for value, _, span in pitfalls),
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


def _sum_of_products(v: Sequence[Any]) -> Any:
    """v[0]·v[k] + v[1]·v[k+1] + … for v = (first factors…, second factors…), k = len(v) / 2."""
    k = len(v) // 2
    return sum(v[i] * v[k + i] for i in range(k))


def _z1(rec: StepRecord, i: int, j: int) -> _Parts:
    _, n = _sizes(rec)
    W1, b1 = rec.params_before.W1, rec.params_before.b1
    given = {f"X[{i + 1},{k + 1}]": float(rec.X[i, k]) for k in range(n)}
    given |= {f"W1[{k + 1},{j + 1}]": float(W1[k, j]) for k in range(n)}
    given[f"b1[{j + 1}]"] = float(b1[0, j])
    return _Parts(
        symbol=f"Z1[{i + 1},{j + 1}]",
        task=(
            f"Compute Z1[{i + 1},{j + 1}], the weighted input of hidden unit {j + 1} for batch "
            f"row {i + 1}: Z1[i,j] = X[i,1]·W1[1,j] + … + X[i,n]·W1[n,j] + b1[j]."
        ),
        needs=_and(list(given)),
        given=given,
        formula=lambda v: _sum_of_products(v[:-1]) + v[-1],  # X[i,:]·W1[:,j] + b1[j]
        pitfalls=(
            (lambda v: _sum_of_products(v[:-1]), f"Did you forget to add the bias b1[{j + 1}]?"),
        ),
    )


def _a1(rec: StepRecord, i: int, j: int) -> _Parts:
    label = f"Z1[{i + 1},{j + 1}]"
    return _Parts(
        symbol=f"A1[{i + 1},{j + 1}]",
        task=(
            f"Compute A1[{i + 1},{j + 1}], the output of hidden unit {j + 1} for batch row "
            f"{i + 1}: A1[i,j] = σ(Z1[i,j]) = 1 / (1 + e^(−Z1[i,j]))."
        ),
        needs=label,
        given={label: float(rec.fwd.Z1[i, j])},
        formula=lambda v: _sigmoid(v[0]),
        pitfalls=(
            (lambda v: v[0], "That is Z1 itself: apply the sigmoid σ(z) = 1 / (1 + e^(−z)) to it."),
            (
                lambda v: 1.0 - _sigmoid(v[0]),
                "Check the sign in the exponent: σ(z) = 1 / (1 + e^(−z)).",
            ),
            (
                lambda v: _slope(_sigmoid(v[0])),
                "That is the sigmoid's slope A1(1 − A1); A1 is σ(Z1) itself.",
            ),
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
        formula=lambda v: (v[0] - v[1]) / v[2],  # (A2[i] − y[i]) / m
        pitfalls=(),
    )


def _delta1(rec: StepRecord, i: int, j: int) -> _Parts:
    given = {
        f"δ2[{i + 1}]": float(rec.grads.delta2[i, 0]),
        f"W2[{j + 1}]": float(rec.params_before.W2[j, 0]),
        f"A1[{i + 1},{j + 1}]": float(rec.fwd.A1[i, j]),
    }
    return _Parts(
        symbol=f"δ1[{i + 1},{j + 1}]",
        task=(
            f"Compute δ1[{i + 1},{j + 1}], the error of hidden unit {j + 1} for batch row "
            f"{i + 1}: δ1[i,j] = δ2[i] · W2[j] · A1[i,j] · (1 − A1[i,j])."
        ),
        needs=_and(list(given)),
        given=given,
        formula=lambda v: (v[0] * v[1]) * _slope(v[2]),  # δ2[i]·W2[j] · A1(1 − A1)
        pitfalls=(
            (lambda v: v[0] * v[1], "You left out the sigmoid's derivative A1(1 − A1)."),
            (
                lambda v: (v[0] * v[1]) * v[2],
                "The sigmoid's derivative is A1(1 − A1), not A1 alone.",
            ),
            (
                lambda v: (v[0] * v[1]) * (1.0 - v[2]),
                "The sigmoid's derivative is A1(1 − A1), not (1 − A1) alone.",
            ),
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
        formula=_sum_of_products,
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
        formula=sum,
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
        formula=_sum_of_products,
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
        formula=sum,
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


def _generic_pitfalls(
    kind: str, answer: float, shown: _Span, m: int
) -> list[tuple[float, str, _Span]]:
    """The sign flip for every kind; for the error terms and gradients, a factor of m.

    Each comes as (value, hint, its range over the shown numbers).
    """
    if kind == "delta2":
        sign = "Check the sign: δ2 is the prediction minus the target, (A2 − y) / m."
    else:
        sign = "Check the sign: the size is right but the sign is flipped."
    pitfalls = [(-answer, sign, -shown)]
    if m > 1 and kind in ("delta2", "delta1", *BATCH_SUMS):
        if kind == "delta2":
            too_big = f"It is m = {m} times too large: did you forget to divide by m?"
        else:
            too_big = f"It is m = {m} times too large: the 1/m belongs in it once (inside δ2)."
        too_small = f"It is m = {m} times too small: δ2 already has the 1/m; don't divide again."
        pitfalls += [(answer * m, too_big, shown * m), (answer / m, too_small, shown / m)]
    return pitfalls


# ----------------------------------------------------------------------------- shown precision

# Each shown number's half unit is widened by this fraction, which covers the rounding of the
# decimal-to-binary conversion and of the arithmetic on spans (and nothing a student could see).
_MARGIN = 1e-6


@dataclass(frozen=True)
class _Span:
    """The closed interval [lo, hi]; arithmetic on spans gives every result their members can.

    It is exact, not an overestimate, for formulas that use each number once: all the exercises'
    formulas do, with A1(1 − A1) taken as one function (_slope).
    """

    lo: float
    hi: float

    @property
    def ends(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def __add__(self, other: _Span | float) -> _Span:
        o = _span(other)
        return _Span(self.lo + o.lo, self.hi + o.hi)

    __radd__ = __add__

    def __neg__(self) -> _Span:
        return _Span(-self.hi, -self.lo)

    def __sub__(self, other: _Span | float) -> _Span:
        return self + -_span(other)

    def __rsub__(self, other: float) -> _Span:
        return _span(other) + -self

    def __mul__(self, other: _Span | float) -> _Span:
        o = _span(other)
        ends = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        return _Span(min(ends), max(ends))

    __rmul__ = __mul__

    def __truediv__(self, other: _Span | float) -> _Span:
        o = _span(other)
        if o.lo <= 0.0 <= o.hi:
            raise ZeroDivisionError("A span that holds 0 cannot divide.")
        ends = (self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi)
        return _Span(min(ends), max(ends))


def _span(x: _Span | float) -> _Span:
    return x if isinstance(x, _Span) else _Span(float(x), float(x))


def _hull(span: _Span, value: float) -> _Span:
    """The span grown to hold value (the record's own number, whatever its rounding)."""
    return _Span(min(span.lo, value), max(span.hi, value))


def _shown_span(label: str, value: float, digits: int = SHOWN_DIGITS) -> _Span:
    """Every number that shows as `value` does with `digits` significant digits.

    That is the shown number ± half a unit in its last digit. Zero and the count m are shown
    exactly; so is anything not finite.
    """
    text = f"{value:.{digits}g}"
    shown = float(text)
    if label == "m" or shown == 0.0 or not math.isfinite(shown):
        return _Span(value, value)
    half = 0.5 * 10.0 ** (Decimal(text).adjusted() - digits + 1) * (1.0 + _MARGIN)
    return _Span(shown - half, shown + half)


def _sigmoid(z: _Span | float) -> _Span | float:
    """σ(z) = 1 / (1 + e^−z) without overflow; of a span, the span of σ (σ is increasing)."""
    if isinstance(z, _Span):
        return _Span(_sigmoid(z.lo), _sigmoid(z.hi))
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _slope(a: _Span | float) -> _Span | float:
    """a(1 − a), the sigmoid's slope at output a; of a span, its exact range (at most 0.25)."""
    if not isinstance(a, _Span):
        return a * (1.0 - a)
    ends = (_slope(a.lo), _slope(a.hi))
    return _Span(min(ends), 0.25 if a.lo <= 0.5 <= a.hi else max(ends))


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


def _near(value: float, low: float, high: float, rel_tol: float, abs_tol: float) -> bool:
    """value is in [low, high] or close (math.isclose) to a number in it.

    Closeness to a number of [low, high] reaches furthest from its ends, so the ends suffice.
    """
    return (
        low <= value <= high
        or _close(value, low, rel_tol, abs_tol)
        or _close(value, high, rel_tol, abs_tol)
    )


def _shown_range(exercise: Exercise) -> tuple[float, float]:
    """The exercise's shown_range, holding its answer; the answer alone when it has none."""
    low, high = exercise.shown_range or (exercise.answer, exercise.answer)
    return min(low, exercise.answer), max(high, exercise.answer)


def _accepts(exercise: Exercise, value: float, rel_tol: float, abs_tol: float) -> bool:
    return _near(value, *_shown_range(exercise), rel_tol, abs_tol)


def check_answer(
    exercise: Exercise, text: str, rel_tol: float = 1e-3, abs_tol: float = 1e-4
) -> Check:
    """Whether the typed answer can be worked out from the numbers shown, with feedback.

    The answer counts when it is within rel_tol, relatively, or abs_tol of a number in the
    exercise's shown_range: what the formula gives for numbers that show as the given ones do
    (without a shown_range, the entry itself). abs_tol is there for entries near 0; δ1 and
    gradient entries can themselves be as small as 1e-4, so a caller checking those strictly
    should pass a smaller abs_tol. A wrong answer gets the hint of the mistake it matches.
    """
    value = parse_answer(text)
    if value is None:
        return Check(False, None, f"That is not a number I can read. {FORMAT_HELP}")
    answer = exercise.answer
    if _accepts(exercise, value, rel_tol, abs_tol):
        return Check(True, value, f"Correct: {exercise.symbol} = {answer:.6g}.")
    hint = _hint(exercise, value, rel_tol)
    return Check(False, value, f"Not quite: {_how_far(value, answer)}{hint}")


def _how_far(value: float, answer: float) -> str:
    direction = "high" if value > answer else "low"
    off = abs(value - answer)
    share = f" ({off / abs(answer):.0%} of the right value's size)" if answer != 0 else ""
    return f"your answer is too {direction} by {off:.3g}{share}."


def _hint(exercise: Exercise, value: float, rel_tol: float) -> str:
    """The hint of the first pitfall the answer matches, skipping pitfalls the check accepts.

    An answer matches a pitfall when it is within rel_tol of what the mistake gives for numbers
    that show as the given ones do. Matching is relative only: the error terms and gradients
    are often as small as abs_tol.
    """
    ranges = exercise.pitfall_ranges or tuple((p, p) for p, _ in exercise.pitfalls)
    for (result, hint), (low, high) in zip(exercise.pitfalls, ranges, strict=True):
        if _near(value, low, high, rel_tol, 0.0) and not _accepts(exercise, result, rel_tol, 0.0):
            return f" {hint}"
    return ""


def accepted_range(
    exercise: Exercise, rel_tol: float = 1e-3, abs_tol: float = 1e-4
) -> tuple[float, float]:
    """(a, b): check_answer with these tolerances accepts exactly the numbers from a to b.

    rel_tol must be below 1.
    """
    if not 0.0 <= rel_tol < 1.0 or abs_tol < 0.0:
        raise ValueError("accepted_range needs 0 <= rel_tol < 1 and abs_tol >= 0.")
    low, high = _shown_range(exercise)
    estimates = (-_reach_up(-low, rel_tol, abs_tol), _reach_up(high, rel_tol, abs_tol))
    ends = []
    for end, inward in zip(estimates, (math.inf, -math.inf), strict=True):
        # The estimate can be a few units in the last place off what math.isclose decides.
        for _ in range(8):
            if _accepts(exercise, end, rel_tol, abs_tol):
                break
            end = math.nextafter(end, inward)
        for _ in range(8):
            out = math.nextafter(end, -inward)
            if not _accepts(exercise, out, rel_tol, abs_tol):
                break
            end = out
        ends.append(end)
    return ends[0], ends[1]


def _reach_up(p: float, rel_tol: float, abs_tol: float) -> float:
    """The largest number that math.isclose counts as close to p (up to rounding)."""
    if p >= 0.0:
        return max(p + abs_tol, p / (1.0 - rel_tol))
    return max(p + abs_tol, p * (1.0 - rel_tol))


def accepted_note(exercise: Exercise, rel_tol: float = 1e-3, abs_tol: float = 1e-4) -> str:
    """A sentence for after a check: which answers check_answer accepts, and why so many.

    The two ends are rounded inwards, so that every number between them, ends included, is
    accepted.
    """
    low, high = accepted_range(exercise, rel_tol, abs_tol)
    for digits in range(3, 18):
        a = _round_to(low, digits, ROUND_CEILING)
        b = _round_to(high, digits, ROUND_FLOOR)
        ends_accepted = all(_accepts(exercise, float(t), rel_tol, abs_tol) for t in (a, b))
        if ends_accepted and float(a) < float(b):
            break
    else:  # a range too narrow for short numbers: its ends in full
        a, b = repr(low), repr(high)
    return (
        f"Any answer from {a} to {b} is accepted: the given numbers are rounded to "
        f"{SHOWN_DIGITS} significant digits, and you may round along the way too."
    )


def _round_to(x: float, digits: int, rounding: str) -> str:
    """x rounded to `digits` significant digits in the given direction, as text."""
    if x == 0.0 or not math.isfinite(x):
        return f"{x:g}"
    exact = Decimal(x)
    unit = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return f"{float(exact.quantize(unit, rounding=rounding)):.{digits}g}"


def solution(rec: StepRecord, exercise: Exercise) -> Explanation:
    """The worked solution: core.explain's explanation of the exercise's entry."""
    e = explain(rec, exercise.kind, exercise.row, exercise.col)
    if e.value != exercise.answer:
        raise ValueError("This exercise was made from a different step than the record given.")
    return e
