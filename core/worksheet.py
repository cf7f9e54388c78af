"""A printable worksheet of one training step: every formula of the seed with this step's numbers.

The worksheet walks through the step in the seed's order: the batch, Z1 = X W1 + b1, A1 = σ(Z1),
Z2 = A1 W2 + b2 = A2, the loss, δ2, δ1 (with δ2 W2ᵀ and A1(1 − A1)), ∇W2, ∇b2, ∇W1, ∇b1 and the
update θ ← θ − η∇θ. Each section gives the general formula, then one line per entry with the
step's numbers (4 significant digits, as `core.explain` shows them on the page), then the result
matrix to 6 significant digits.

One description of the content (`_write`) feeds two writers: Markdown with LaTeX in $$ blocks
(KaTeX, as on the page and on GitHub) and a standalone HTML page whose formulas are plain
HTML/Unicode (no script, no network: it works offline and prints cleanly). User text (feature
names, the title) never enters a formula; it is escaped for Markdown or HTML wherever it appears.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import numpy as np

from core.explain import (
    Explanation,
    _batch_sum,
    explain_A1,
    explain_db1,
    explain_db2,
    explain_delta2,
    explain_dW1,
    explain_dW2,
    explain_update,
    explain_Z1,
    explain_Z2,
    fmt,
)
from core.trainer import StepRecord

DEFAULT_TITLE = "Backpropagation worksheet"
ENTRY_ROWS = 4  # batch rows whose entries are written out one line each
MATRIX_ROWS = 20  # batch rows shown in a result matrix and in the batch table
RESULT_DIGITS = 6

Line = tuple[str, str]  # (left-hand side, "= ..." or "\leftarrow ..."), both LaTeX

# ----------------------------------------------------------------------------- text and numbers


class User(str):
    """Text typed by a user (title, feature names): each writer escapes it."""


# The same rule as views.text.inert (core does not import views): every Markdown special is
# backslash-escaped and a word joiner breaks GitHub's autolinks ("www.", "scheme:", "@").
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:&])")
_AUTOLINK_PARTS = re.compile(r"(?i)(www)(?=\\\.)|(?<=[a-z0-9])(?=\\:)|(?=@)")
_WORD_JOINER = "\u2060"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def md_inert(text: str) -> str:
    """User text for Markdown: on one line, shown exactly as typed, never as formatting."""
    escaped = _MD_SPECIAL.sub(r"\\\1", _one_line(text))
    return _AUTOLINK_PARTS.sub(lambda m: (m.group(1) or "") + _WORD_JOINER, escaped)


def fmt_result(x: float) -> str:
    """x as LaTeX with 6 significant digits, in the same style as core.explain.fmt."""
    x = float(x)
    if math.isnan(x):
        return r"\text{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0.0:
        return "0"
    text = format(x, f"#.{RESULT_DIGITS}g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa.rstrip('.')}\times10^{{{int(exponent)}}}"
    return text.rstrip(".")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _prose_number(x: float) -> str:
    """x for a sentence: up to 6 significant digits, no trailing zeros, 1×10⁻⁵ not 1e-05."""
    text = format(float(x), ".6g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return text


def _plain_result(x: float) -> str:
    """fmt_result as plain text for a Markdown table: 1.23457×10⁴, NaN, ∞."""
    text = fmt_result(x).replace(r"\text{NaN}", "NaN").replace(r"\infty", "∞")
    return re.sub(r"\\times10\^\{(-?\d+)\}", lambda m: "×10" + m[1].translate(_SUPERSCRIPT), text)


# ----------------------------------------------------------------------------- LaTeX -> HTML

# Only the LaTeX this module and core.explain write; anything else is an error, not a guess.
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}_^]|[^\\{}_^]")
_SYMBOLS = {
    r"\sigma": "σ",
    r"\delta": "δ",
    r"\eta": "η",
    r"\theta": "θ",
    r"\nabla": "∇",
    r"\sum": "Σ",
    r"\top": "T",
    r"\infty": "∞",
    r"\cdots": " ⋯ ",
    r"\vdots": "⋮",
    r"\times": "×",
    r"\cdot": " · ",
    r"\odot": " ⊙ ",
    r"\leftarrow": " ← ",
    r"\to": " → ",
    r"\lVert": "‖",
    r"\rVert": "‖",
    r"\quad": " \u2003 ",
    r"\qquad": " \u2003\u2003 ",
    r"\,": "\u2009",
    r"\;": " ",
    r"\ ": " ",
}
_SIZES = {r"\big", r"\Big", r"\left", r"\right"}  # delimiter sizes: the delimiter alone is kept
_TEXT = {r"\text", r"\mathrm"}
_SCRIPT_LETTERS = {"L": "ℒ"}


class _LatexToHtml:
    """A recursive reader of one line of restricted LaTeX, giving HTML with <sub>/<sup>."""

    def __init__(self, latex: str) -> None:
        self.tokens = _TOKEN.findall(latex)
        self.pos = 0

    def run(self) -> str:
        out = self._until(closing=False)
        return re.sub(r" {2,}", " ", out).strip()

    def _next(self) -> str:
        if self.pos >= len(self.tokens):
            raise ValueError("LaTeX ended early.")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def _until(self, closing: bool, text: bool = False) -> str:
        out: list[str] = []
        while self.pos < len(self.tokens):
            tok = self._next()
            if tok == "}":
                if closing:
                    return "".join(out)
                raise ValueError("Unbalanced '}' in LaTeX.")
            out.append(self._atom(tok, text))
        if closing:
            raise ValueError("Unbalanced '{' in LaTeX.")
        return "".join(out)

    def _arg(self, text: bool = False) -> tuple[str, str]:
        """The next group or single token: (HTML, the same without tags)."""
        tok = self._next()
        while tok == " ":
            tok = self._next()
        out = self._until(closing=True, text=text) if tok == "{" else self._atom(tok, text)
        return out, re.sub(r"<[^>]*>", "", out).strip()

    def _atom(self, tok: str, text: bool = False) -> str:
        if tok == "{":
            return self._until(closing=True, text=text)
        if tok in ("_", "^"):
            tag = "sub" if tok == "_" else "sup"
            return f"<{tag}>{self._arg()[0]}</{tag}>"
        if tok.startswith("\\") and len(tok) > 1 and tok[1].isalpha():
            if self.pos < len(self.tokens) and self.tokens[self.pos] == " ":
                self.pos += 1  # a space after a command word is not printed
            return self._command(tok)
        if tok in _SYMBOLS:
            return _SYMBOLS[tok]
        if tok.startswith("\\"):
            raise ValueError(f"Unsupported LaTeX {tok!r}.")
        if tok == "-" and not text:
            return "−"
        return html.escape(tok)

    def _command(self, tok: str) -> str:
        if tok in _SYMBOLS:
            return _SYMBOLS[tok]
        if tok in _SIZES:
            return self._atom(self._next())
        if tok in _TEXT:
            return self._arg(text=True)[0]
        if tok == r"\mathcal":
            out, plain = self._arg()
            return _SCRIPT_LETTERS.get(plain, f"<i>{out}</i>")
        if tok == r"\frac":
            fraction = f"{self._fraction_part()}/{self._fraction_part()}"
            # A factor right after it, as in 1/m (A2 - y), would read as part of the denominator.
            follows = self.tokens[self.pos] if self.pos < len(self.tokens) else " "
            return fraction if follows in (" ", "}") else f"({fraction})"
        if tok == r"\underbrace":
            body = self._arg()[0]
            if self._next() != "_":
                raise ValueError(r"\underbrace needs a label.")
            return f'{body} <span class="brace">({self._arg()[0].strip()})</span>'
        raise ValueError(f"Unsupported LaTeX {tok!r}.")

    def _fraction_part(self) -> str:
        out, plain = self._arg()
        simple = re.fullmatch(r"−?[\d.]+|\w", plain)
        return out if simple else f"({out})"


def latex_to_html(latex: str) -> str:
    """One line of the worksheet's LaTeX as HTML: Z<sub>1</sub>[1,2] = (1.000)(0.5000) + …"""
    return _LatexToHtml(latex).run()


# ----------------------------------------------------------------------------- writers


class _Markdown:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def _inline(self, parts: Sequence[str]) -> str:
        return "".join(md_inert(p) if isinstance(p, User) else p for p in parts)

    def heading(self, level: int, *parts: str) -> None:
        self.parts.append(f"{'#' * level} {self._inline(parts)}")

    def para(self, *parts: str, lead: str = "") -> None:
        text = self._inline(parts)
        self.parts.append(f"**{lead}** {text}".strip() if lead else text)

    def math(self, lines: Sequence[Line]) -> None:
        body = " \\\\\n".join(f"{lhs} &{rest}" for lhs, rest in lines)
        self.parts.append(f"$$\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n$$")

    def matrices(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        blocks = []
        for symbol, a in items:
            rows = [" & ".join(fmt_result(x) for x in row) for row in a[:MATRIX_ROWS]]
            if len(a) > MATRIX_ROWS:
                rows.append(" & ".join([r"\vdots"] * a.shape[1]))
            body = " \\\\\n".join(rows)
            blocks.append(f"{symbol} = \\begin{{bmatrix}}\n{body}\n\\end{{bmatrix}}")
        self.parts.append("$$\n" + " \\qquad\n".join(blocks) + "\n$$")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str | float]]) -> None:
        body = [[c if isinstance(c, str) else _plain_result(c) for c in row] for row in rows]
        cells = [[self._inline([c]) for c in header], *body]
        lines = ["| " + " | ".join(row) + " |" for row in cells]
        lines.insert(1, "|" + "---:|" * len(header))
        self.parts.append("\n".join(lines))

    def text(self, title: str) -> str:
        return "\n\n".join(self.parts) + "\n"


_CSS = """
body { font-family: Georgia, "Times New Roman", serif; max-width: 60rem; margin: 2rem auto;
  padding: 0 1rem; line-height: 1.45; color: #111; background: #fff; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
  border-bottom: 1px solid #bbb; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; }
table.lines { margin: 0.5rem 0 0.5rem 1rem; }
table.lines td { padding: 0.1rem 0.3rem; vertical-align: top; }
table.lines td.lhs { text-align: right; white-space: nowrap; }
.matrices { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: center; margin: 0.5rem 1rem; }
.matrix-item { display: inline-flex; align-items: center; gap: 0.4rem; }
.bracket { position: relative; display: inline-block; padding: 0 0.3rem; }
.bracket::before, .bracket::after { content: ""; position: absolute; top: 0; bottom: 0;
  width: 0.3rem; border: 1.5px solid #111; }
.bracket::before { left: 0; border-right: none; } .bracket::after { right: 0; border-left: none; }
table.matrix td { padding: 0.1rem 0.5rem; text-align: right; font-variant-numeric: tabular-nums; }
table.data th, table.data td { border: 1px solid #999; padding: 0.15rem 0.5rem; text-align: right; }
table.data th { background: #eee; }
.brace { font-size: 0.85em; color: #444; }
sub, sup { font-size: 0.75em; }
@page { margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } table, .matrices { break-inside: avoid; }
  table.data th { background: none; }
}
"""


class _Html:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def _inline(self, parts: Sequence[str]) -> str:
        return "".join(html.escape(_one_line(p) if isinstance(p, User) else p) for p in parts)

    def heading(self, level: int, *parts: str) -> None:
        self.parts.append(f"<h{level}>{self._inline(parts)}</h{level}>")

    def para(self, *parts: str, lead: str = "") -> None:
        text = self._inline(parts)
        strong = f"<strong>{html.escape(lead)}</strong>" if lead else ""
        self.parts.append(f"<p>{strong}{' ' if lead and text else ''}{text}</p>")

    def math(self, lines: Sequence[Line]) -> None:
        rows = "\n".join(
            f'<tr><td class="lhs">{latex_to_html(lhs)}</td><td>{latex_to_html(rest)}</td></tr>'
            for lhs, rest in lines
        )
        self.parts.append(f'<table class="lines">\n{rows}\n</table>')

    def matrices(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        blocks = []
        for symbol, a in items:
            rows = [
                "<tr>" + "".join(f"<td>{latex_to_html(fmt_result(x))}</td>" for x in row) + "</tr>"
                for row in a[:MATRIX_ROWS]
            ]
            if len(a) > MATRIX_ROWS:
                rows.append("<tr>" + "<td>⋮</td>" * a.shape[1] + "</tr>")
            blocks.append(
                f'<span class="matrix-item"><span>{latex_to_html(symbol)} =</span>'
                f'<span class="bracket"><table class="matrix">{"".join(rows)}</table></span></span>'
            )
        self.parts.append(f'<div class="matrices">{"".join(blocks)}</div>')

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str | float]]) -> None:
        head = "".join(f"<th>{self._inline([c])}</th>" for c in header)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(c) if isinstance(c, str) else latex_to_html(fmt_result(c))}</td>"
                for c in row
            )
            + "</tr>"
            for row in rows
        )
        self.parts.append(f'<table class="data"><tr>{head}</tr>{body}</table>')

    def text(self, title: str) -> str:
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            # No script may run and nothing is fetched: the page is complete as it is.
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(_one_line(title))}</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(self.parts)
            + "\n</main>\n</body>\n</html>\n"
        )


# ----------------------------------------------------------------------------- content

_Writer = _Markdown | _Html


def _split(latex: str) -> Line:
    """'Z_1[1,2] = ...' -> ('Z_1[1,2]', '= ...'), at the first = or \\leftarrow."""
    match = re.search(r" (=|\\leftarrow) ", latex)
    if match is None:
        raise ValueError(f"No = or \\leftarrow in {latex!r}.")
    return latex[: match.start()], latex[match.start() + 1 :]


def _entry(e: Explanation, middle: str) -> Line:
    """An explanation's line with the symbolic formula put between the symbol and the numbers:
    Z_1[1,2] = X[1,1]\\,W_1[1,2] + ... = (1.000)(0.5000) + ... = 0.4000."""
    lhs, rest = _split(e.substituted)
    op, numbers = rest.split(" ", 1)
    return lhs, f"{op} {middle} = {numbers}"


def _more_rows_text(shown: int, m: int) -> str:
    """'… and 6 more rows (rows 5 to 10)' after the first `shown` of m rows."""
    if m == shown + 1:
        return f"… and 1 more row (row {m})"
    return f"… and {m - shown} more rows (rows {shown + 1} to {m})"


def _more_rows(w: _Writer, m: int) -> None:
    if m > ENTRY_ROWS:
        w.para(f"{_more_rows_text(ENTRY_ROWS, m)}, worked out the same way.")


def _result(w: _Writer, items: Sequence[tuple[str, np.ndarray]], m: int | None = None) -> None:
    shapes = ", ".join(f"{a.shape[0]} × {a.shape[1]}" for _, a in items)
    cut = m is not None and m > MATRIX_ROWS
    more = f"; the first {MATRIX_ROWS} of the {m} rows are shown" if cut else ""
    w.para(f"{shapes}, to {RESULT_DIGITS} significant digits{more}.", lead="Result.")
    w.matrices(items)


def _section(w: _Writer, number: int, title: str, general: Sequence[Line]) -> None:
    w.heading(2, f"{number}. {title}")
    w.para("", lead="Formula.")
    w.math(general)


def _numbers(w: _Writer, lines: Sequence[Line]) -> None:
    w.para("", lead="With this step's numbers.")
    w.math(lines)


def _write(w: _Writer, rec: StepRecord, names: Sequence[str], title: str) -> None:
    """The whole worksheet, section by section in the seed's order."""
    _intro(w, rec, title)
    _batch(w, rec, names)
    _forward(w, rec)
    _loss(w, rec)
    _errors(w, rec)
    _gradients(w, rec)
    _update(w, rec)


def _intro(w: _Writer, rec: StepRecord, title: str) -> None:
    (m, n), h = rec.X.shape, rec.fwd.Z1.shape[1]
    w.heading(1, User(title))
    w.para(
        f"Step {rec.step} (epoch {rec.epoch}, batch {rec.batch} of {rec.n_batches}): a network "
        f"with n = {n} inputs, h = {h} sigmoid hidden units and one linear output, trained on a "
        f"batch of m = {m} rows with learning rate η = {_prose_number(rec.lr)}."
    )
    w.para(
        "Each section gives the general formula, then the same formula with this step's numbers "
        "(rounded to 4 significant digits, as on the page), then the result to "
        f"{RESULT_DIGITS} significant digits. Entries count from 1: i is the row of the batch, "
        "j the hidden unit, k the input."
    )


def _batch(w: _Writer, rec: StepRecord, names: Sequence[str]) -> None:
    """1. The batch as a table, and the parameters it meets."""
    m, P = rec.X.shape[0], rec.params_before
    w.heading(2, "1. The batch and the parameters")
    inputs: list[str] = []
    for k, name in enumerate(names):
        inputs += [", " if k else "", f"x{k + 1} = ", User(name)]
    w.para("Inputs: ", *inputs, "; target: y.")
    header = ["i", "training row"]
    header += [
        f"x{k + 1}" if name == f"x{k + 1}" else User(f"x{k + 1} {name}")
        for k, name in enumerate(names)
    ]
    table = [
        [str(i + 1), str(int(rec.indices[i]) + 1)]
        + [float(x) for x in rec.X[i]]
        + [float(rec.y[i, 0])]
        for i in range(min(m, MATRIX_ROWS))
    ]
    w.table([*header, "y"], table)
    if m > MATRIX_ROWS:
        w.para(f"{_more_rows_text(MATRIX_ROWS, m)}.")
    w.para("before this step's update.", lead="Parameters")
    w.matrices([("W_1", P.W1), ("b_1", P.b1), ("W_2", P.W2), ("b_2", P.b2)])


def _forward(w: _Writer, rec: StepRecord) -> None:
    """2-4. The forward pass: Z1 = X W1 + b1, A1 = σ(Z1), Z2 = A1 W2 + b2 = A2."""
    (m, n), h = rec.X.shape, rec.fwd.Z1.shape[1]
    f, rows = rec.fwd, range(min(m, ENTRY_ROWS))
    _section(
        w,
        2,
        "Hidden weighted inputs: Z₁ = XW₁ + b₁",
        [
            ("Z_1", r"= XW_1 + b_1 \qquad (m,n)(n,h) + (1,h) \to (m,h)"),
            _split(r"Z_1[i,j] = \sum_{k=1}^{n} X[i,k]\,W_1[k,j] + b_1[j]"),
        ],
    )
    lines = []
    for i in rows:
        for j in range(h):
            xw = " + ".join(rf"X[{i + 1},{k + 1}]\,W_1[{k + 1},{j + 1}]" for k in range(n))
            lines.append(_entry(explain_Z1(rec, i, j), f"{xw} + b_1[{j + 1}]"))
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [("Z_1", f.Z1)], m)

    # 3. A1 = σ(Z1)
    _section(
        w,
        3,
        "Hidden activations: A₁ = σ(Z₁)",
        [
            ("A_1", r"= \sigma(Z_1) \qquad (m,h)"),
            _split(r"A_1[i,j] = \sigma(Z_1[i,j]) = \frac{1}{1 + e^{-Z_1[i,j]}}"),
        ],
    )
    lines = [
        _entry(explain_A1(rec, i, j), rf"\sigma(Z_1[{i + 1},{j + 1}])")
        for i in rows
        for j in range(h)
    ]
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [("A_1", f.A1)], m)

    # 4. Z2 = A1 W2 + b2 = A2
    _section(
        w,
        4,
        "Output: Z₂ = A₁W₂ + b₂ = A₂",
        [
            ("A_2 = Z_2", r"= A_1W_2 + b_2 \qquad (m,h)(h,1) + (1,1) \to (m,1)"),
            _split(r"Z_2[i] = \sum_{j=1}^{h} A_1[i,j]\,W_2[j] + b_2"),
        ],
    )
    lines = []
    for i in rows:
        aw = " + ".join(rf"A_1[{i + 1},{j + 1}]\,W_2[{j + 1}]" for j in range(h))
        lines.append(_entry(explain_Z2(rec, i), f"{aw} + b_2"))
    _numbers(w, lines)
    _more_rows(w, m)
    w.para("The output unit is linear, so the prediction A₂ is Z₂ itself.")
    _result(w, [("A_2 = Z_2", f.A2)], m)


def _loss(w: _Writer, rec: StepRecord) -> None:
    """5. The loss (1/2m)||A2 - y||², every row's squared error in the sum."""
    m, f = rec.X.shape[0], rec.fwd
    _section(
        w,
        5,
        "Loss: L = (1/2m)‖A₂ − y‖²",
        [
            _split(
                r"\mathcal{L} = \frac{1}{2m}\,\lVert A_2 - y\rVert^2 "
                r"= \frac{1}{2m}\sum_{i=1}^{m} (A_2[i] - y[i])^2"
            )
        ],
    )
    symbolic = _batch_sum([f"(A_2[{i + 1}] - y[{i + 1}])^2" for i in range(m)])
    numeric = _batch_sum(
        [f"({fmt(f.A2[i, 0])} - {fmt(rec.y[i, 0], paren=True)})^2" for i in range(m)]
    )
    _numbers(
        w,
        [
            (
                r"\mathcal{L}",
                rf"= \frac{{1}}{{2\cdot {m}}}\Big[{symbolic}\Big] "
                rf"= \frac{{1}}{{{2 * m}}}\Big[{numeric}\Big] = {fmt(rec.loss_before)}",
            )
        ],
    )
    w.para(f"to {RESULT_DIGITS} significant digits.", lead="Result,")
    w.math([(r"\mathcal{L}", f"= {fmt_result(rec.loss_before)}")])


def _errors(w: _Writer, rec: StepRecord) -> None:
    """6-7. The errors δ2 and δ1, with δ1's two factors worked out first."""
    m, h = rec.X.shape[0], rec.fwd.Z1.shape[1]
    P, f, g = rec.params_before, rec.fwd, rec.grads
    rows = range(min(m, ENTRY_ROWS))

    # 6. δ2 = (A2 - y) / m
    _section(
        w,
        6,
        "Output error: δ₂ = (A₂ − y)/m",
        [
            (r"\delta_2", r"= \frac{1}{m}(A_2 - y) \qquad (m,1)"),
            _split(r"\delta_2[i] = \frac{A_2[i] - y[i]}{m}"),
        ],
    )
    lines = [
        _entry(explain_delta2(rec, i), rf"\frac{{A_2[{i + 1}] - y[{i + 1}]}}{{m}}") for i in rows
    ]
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [(r"\delta_2", g.delta2)], m)

    # 7. δ1 = (δ2 W2ᵀ) ⊙ A1(1 - A1), with both factors first
    back = g.delta2 @ P.W2.T  # (m, 1)(1, h) -> (m, h), as in the network
    slope = f.A1 * (1 - f.A1)  # (m, h)
    _section(
        w,
        7,
        "Hidden error: δ₁ = (δ₂W₂ᵀ) ⊙ A₁(1 − A₁)",
        [
            (r"\delta_1", r"= (\delta_2 W_2^\top) \odot \big(A_1(1 - A_1)\big) \qquad (m,h)"),
            _split(r"\delta_1[i,j] = \delta_2[i]\,W_2[j] \cdot A_1[i,j]\,(1 - A_1[i,j])"),
        ],
    )
    w.heading(3, "7a. The output error sent back: δ₂W₂ᵀ")
    lines = [
        (
            rf"(\delta_2 W_2^\top)[{i + 1},{j + 1}]",
            rf"= \delta_2[{i + 1}]\,W_2[{j + 1}] = ({fmt(g.delta2[i, 0])})({fmt(P.W2[j, 0])})"
            f" = {fmt(back[i, j])}",
        )
        for i in rows
        for j in range(h)
    ]
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [(r"\delta_2 W_2^\top", back)], m)
    w.heading(3, "7b. The sigmoid's slope: A₁(1 − A₁)")
    lines = [
        (
            rf"\big(A_1(1 - A_1)\big)[{i + 1},{j + 1}]",
            rf"= A_1[{i + 1},{j + 1}]\,(1 - A_1[{i + 1},{j + 1}]) "
            rf"= ({fmt(f.A1[i, j])})(1 - {fmt(f.A1[i, j], paren=True)}) = {fmt(slope[i, j])}",
        )
        for i in rows
        for j in range(h)
    ]
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [(r"A_1(1 - A_1)", slope)], m)
    w.heading(3, "7c. Element by element: δ₁ = (δ₂W₂ᵀ) ⊙ A₁(1 − A₁)")
    lines = [
        (
            rf"\delta_1[{i + 1},{j + 1}]",
            rf"= (\delta_2 W_2^\top)[{i + 1},{j + 1}] \cdot \big(A_1(1 - A_1)\big)[{i + 1},{j + 1}]"
            f" = ({fmt(back[i, j])})({fmt(slope[i, j])}) = {fmt(g.delta1[i, j])}",
        )
        for i in rows
        for j in range(h)
    ]
    _numbers(w, lines)
    _more_rows(w, m)
    _result(w, [(r"\delta_1", g.delta1)], m)


def _gradients(w: _Writer, rec: StepRecord) -> None:
    """8-11. The gradients ∇W2, ∇b2, ∇W1 and ∇b1: sums over the batch rows."""
    (m, n), h, g = rec.X.shape, rec.fwd.Z1.shape[1], rec.grads
    _section(
        w,
        8,
        "Gradient of W₂: ∇W₂ = A₁ᵀδ₂",
        [
            (r"\nabla W_2", r"= A_1^\top \delta_2 \qquad (h,m)(m,1) \to (h,1)"),
            _split(r"\nabla W_2[j] = \sum_{i=1}^{m} A_1[i,j]\,\delta_2[i]"),
        ],
    )
    lines = [
        _entry(
            explain_dW2(rec, j),
            _batch_sum([rf"A_1[{i + 1},{j + 1}]\,\delta_2[{i + 1}]" for i in range(m)]),
        )
        for j in range(h)
    ]
    _numbers(w, lines)
    _result(w, [(r"\nabla W_2", g.dW2)])

    _section(
        w,
        9,
        "Gradient of b₂: ∇b₂ = rowsum(δ₂)",
        [
            (r"\nabla b_2", r"= \mathrm{rowsum}(\delta_2) \qquad (1,1)"),
            _split(r"\nabla b_2 = \sum_{i=1}^{m} \delta_2[i]"),
        ],
    )
    middle = _batch_sum([rf"\delta_2[{i + 1}]" for i in range(m)])
    _numbers(w, [_entry(explain_db2(rec), middle)])
    _result(w, [(r"\nabla b_2", g.db2)])

    _section(
        w,
        10,
        "Gradient of W₁: ∇W₁ = Xᵀδ₁",
        [
            (r"\nabla W_1", r"= X^\top \delta_1 \qquad (n,m)(m,h) \to (n,h)"),
            _split(r"\nabla W_1[k,j] = \sum_{i=1}^{m} X[i,k]\,\delta_1[i,j]"),
        ],
    )
    lines = [
        _entry(
            explain_dW1(rec, k, j),
            _batch_sum([rf"X[{i + 1},{k + 1}]\,\delta_1[{i + 1},{j + 1}]" for i in range(m)]),
        )
        for k in range(n)
        for j in range(h)
    ]
    _numbers(w, lines)
    _result(w, [(r"\nabla W_1", g.dW1)])

    _section(
        w,
        11,
        "Gradient of b₁: ∇b₁ = rowsum(δ₁)",
        [
            (r"\nabla b_1", r"= \mathrm{rowsum}(\delta_1) \qquad (1,h)"),
            _split(r"\nabla b_1[j] = \sum_{i=1}^{m} \delta_1[i,j]"),
        ],
    )
    lines = [
        _entry(explain_db1(rec, j), _batch_sum([rf"\delta_1[{i + 1},{j + 1}]" for i in range(m)]))
        for j in range(h)
    ]
    _numbers(w, lines)
    _result(w, [(r"\nabla b_1", g.db1)])


def _update(w: _Writer, rec: StepRecord) -> None:
    """12. θ ← θ − η∇θ for every entry of W1, b1, W2 and b2, then the loss it leads to."""
    P = rec.params_before
    _section(
        w,
        12,
        "Update: θ ← θ − η∇θ",
        [
            (
                r"\theta",
                r"\leftarrow \theta - \eta\,\nabla\theta \qquad \text{for } W_1, b_1, W_2, b_2",
            )
        ],
    )
    w.para(f"The learning rate of this step is η = {_prose_number(rec.lr)}.")
    for name, latex in (("W1", "W_1"), ("b1", "b_1"), ("W2", "W_2"), ("b2", "b_2")):
        w.heading(3, f"Update of {name[0]}{'₁' if name[1] == '1' else '₂'}")
        lines = []
        for index in np.ndindex(getattr(P, name).shape):
            e = explain_update(rec, name, index)
            lines.append(_entry(e, rf"{e.symbol} - \eta\,\nabla {e.symbol}"))
        _numbers(w, lines)
        _result(w, [(rf"{latex}^{{\text{{new}}}}", getattr(rec.params_after, name))])
    w.para(
        "With the new parameters the loss on this batch is "
        f"{_prose_number(rec.loss_after)} (it was {_prose_number(rec.loss_before)} before the "
        "update)."
    )


def _checked_names(rec: StepRecord, feature_names: Sequence[str]) -> list[str]:
    names = [str(name) for name in feature_names]
    if len(names) != rec.X.shape[1]:
        raise ValueError(f"Expected {rec.X.shape[1]} feature names, got {len(names)}.")
    return names


def worksheet_markdown(
    rec: StepRecord, feature_names: Sequence[str], title: str = DEFAULT_TITLE
) -> str:
    """The worksheet of one step as Markdown, formulas as KaTeX-compatible LaTeX in $$ blocks."""
    w = _Markdown()
    _write(w, rec, _checked_names(rec, feature_names), title)
    return w.text(title)


def worksheet_html(
    rec: StepRecord, feature_names: Sequence[str], title: str = DEFAULT_TITLE
) -> str:
    """The worksheet of one step as a standalone, print-friendly HTML page without scripts."""
    w = _Html()
    _write(w, rec, _checked_names(rec, feature_names), title)
    return w.text(title)
