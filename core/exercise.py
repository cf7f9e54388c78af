"""Exercise mode: compute one hidden entry of the current step by hand, then see the solution.

An exercise hides one entry of Z1, A1, δ2, δ1 or a gradient of a step record, lists the numbers
its formula needs, and checks the student's typed answer within a tolerance. Indices are 0-based
in code and shown 1-based, as in the seed. Gradients are sums over the whole batch, so a random
pick skips them when the batch has more than MAX_SUM_ROWS rows (asking for one explicitly still
works); the worked solution is core.explain's explanation of the same entry.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

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
# A random pick avoids the sums over the batch (BATCH_SUMS) above this many rows.
MAX_SUM_ROWS = 8
MAX_ANSWER_CHARS = 100
FORMAT_HELP = "Type one number, e.g. 0.25, -1.5, 0,25 or 1.2e-3."


@dataclass(frozen=True)
class Exercise:
    """One hidden entry: where it is, what the student is told and the true value.

    `given` maps plain-text labels (1-based, e.g. "W1[2,3]") to the exact numbers of the record
    that the entry's formula needs. `pitfalls` pairs the values that common mistakes produce with
    a hint about that mistake.
    """

    kind: str
    row: int
    col: int
    symbol: str
    prompt: str
    given: dict[str, float]
    answer: float
    m: int
    pitfalls: tuple[tuple[float, str], ...] = field(default=(), repr=False)

    def given_lines(self, digits: int = 6) -> list[str]:
        """The given numbers as "label = value" lines with `digits` significant digits."""
        return [f"{label} = {value:.{digits}g}" for label, value in self.given.items()]


class Check(NamedTuple := None) if False else object:  # pragma: no cover - replaced below
    pass
