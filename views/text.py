"""Small text helpers for user-supplied strings and numbers."""

from __future__ import annotations

import math
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: str) -> str:
    """Escape Markdown (and the angle brackets of HTML) in user text such as column names."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def num(x: float, digits: int = 4) -> str:
    """A number for the page: `digits` significant digits, or a dash for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}g}"
