"""Small text helpers: user text made inert for Markdown, and numbers for the page."""

from __future__ import annotations

import math
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:&])")
# GitHub-flavoured Markdown turns "www.", "scheme:" and "name@host" in plain text into links; a
# word joiner (invisible, zero width) inside each keeps them plain text.
_AUTOLINK_PARTS = re.compile(r"(?i)(www)(?=\\\.)|(?<=[a-z0-9])(?=\\:)|(?=@)")
WORD_JOINER = "\u2060"


def inert(text: object) -> str:
    """User text (file and column names, link values) for any Markdown element: shown exactly as
    typed, never as formatting, HTML, an image or a link."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    return _AUTOLINK_PARTS.sub(lambda m: (m.group(1) or "") + WORD_JOINER, escaped)


def num(x: float, digits: int = 4) -> str:
    """A number for the page: `digits` significant digits, or a dash for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}g}"
