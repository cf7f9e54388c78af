"""The step worksheet: every number read back out of it is the record's, in the seed's order,
truncated for large batches, with user text escaped and well-formed LaTeX."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core
from core.explain import fmt
from core.network import Params
from core.trainer import Trainer
from core.worksheet import (
    DEFAULT_TITLE,
    ENTRY_ROWS,
    MATRIX_ROWS,
    latex_to_html,
    md_inert,
    worksheet_html,
    worksheet_markdown,
)

NAMES = ["hours", "sleep"]


def hand_record(lr: float = 0.5):
    """The teacher's example: 2 rows, 2 inputs, 3 hidden units, round weights."""
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([[1.0], [0.0]])
    params = Params.of(
        [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]],
        [[0.0, 0.1, -0.1]],
        [[0.5], [-0.5], [1.0]],
        [[0.2]],
    )
    return Trainer(X, y, params, batch_size=2, shuffle=False).step(lr)


def big_record(batch: int, n_in: int = 2, hidden: int = 3, rows: int = 64, seed: int = 0):
    """A second step (non-zero biases) of a seeded network on `rows` training rows."""
    rng = np.random.default_rng([seed, batch, n_in, hidden])
    X = rng.normal(0.0, 1.5, size=(rows, n_in))
    y = rng.normal(0.0, 2.0, size=(rows, 1))
    params = core.init_params("xavier", n_in, hidden, seed=seed + 1)
    trainer = Trainer(X, y, params, batch_size=batch, shuffle_seed=seed)
    trainer.step(0.3)
    return trainer.step(0.1)


# ----------------------------------------------------------------------------- reading it back

NUMBER = re.compile(r"^(-?\d+(?:\.\d*)?)(?:\\times10\^\{(-?\d+)\})?$")
HTML_NUMBER = re.compile(r"^(−?\d+(?:\.\d*)?)(?:×10<sup>(−?\d+)</sup>)?$")


def latex_number(text: str) -> float:
    """'-1.235\\times10^{-5}' -> -1.235e-05 (the worksheet's LaTeX numbers)."""
    match = NUMBER.match(text.strip())
    assert match, text
    return float(match[1]) * 10.0 ** int(match[2] or 0)


def html_number(text: str) -> float:
    """'−1.23457×10<sup>−5</sup>' -> -1.23457e-05 (the worksheet's HTML numbers)."""
    match = HTML_NUMBER.match(text.strip())
    assert match, text
    return float(match[1].replace("−", "-")) * 10.0 ** int((match[2] or "0").replace("−", "-"))


def md_matrix(md: str, symbol: str) -> list[list[float]]:
    """The rows of the result matrix `symbol = \\begin{bmatrix}...` (a \\vdots row is dropped)."""
    found = re.findall(
        rf"(?:^|\n){re.escape(symbol)} = \\begin\{{bmatrix\}}\n(.*?)\n\\end\{{bmatrix\}}", md, re.S
    )
    assert len(found) == 1, (symbol, len(found))
    rows = found[0].split(" \\\\\n")
    return [[latex_number(c) for c in row.split(" & ")] for row in rows if r"\vdots" not in row]


def html_matrix(page: str, symbol: str) -> list[list[float]]:
    label = re.escape(latex_to_html(symbol))
    start = f'<span>{label} =</span><span class="bracket"><table class="matrix">'
    found = re.findall(start + "(.*?)</table>", page)
    assert len(found) == 1, (symbol, len(found))
    rows = re.findall(r"<tr>(.*?)</tr>", found[0])
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
    return [[html_number(c) for c in row] for row in cells if "⋮" not in row]


def matches(shown: float, value: float, digits: int) -> bool:
    """`shown` is `value` rounded to `digits` significant digits."""
    if value == 0.0:
        return shown == 0.0
    return math.isclose(shown, value, rel_tol=0.5 * 10.0 ** (1 - digits) * 1.0001)


def assert_matrix(shown: list[list[float]], value: np.ndarray, rows: int | None = None) -> None:
    expected = np.asarray(value)[:rows]
    assert np.shape(shown) == expected.shape
    for got, want in zip(np.ravel(shown), expected.ravel(), strict=True):
        assert matches(got, want, 6), (got, want)


def results(rec) -> dict[str, np.ndarray]:
    """Every result matrix of the worksheet by its LaTeX symbol, computed here from the record."""
    P, f, g, after = rec.params_before, rec.fwd, rec.grads, rec.params_after
    return {
        "W_1": P.W1,
        "b_1": P.b1,
        "W_2": P.W2,
        "b_2": P.b2,
        "Z_1": f.Z1,
        "A_1": f.A1,
        "A_2 = Z_2": f.A2,
        r"\delta_2": g.delta2,
        r"\delta_2 W_2^\top": g.delta2 @ P.W2.T,
        "A_1(1 - A_1)": f.A1 * (1 - f.A1),
        r"\delta_1": g.delta1,
        r"\nabla W_2": g.dW2,
        r"\nabla b_2": g.db2,
        r"\nabla W_1": g.dW1,
        r"\nabla b_1": g.db1,
        r"W_1^{\text{new}}": after.W1,
        r"b_1^{\text{new}}": after.b1,
        r"W_2^{\text{new}}": after.W2,
        r"b_2^{\text{new}}": after.b2,
    }


def md_sections(md: str) -> dict[str, str]:
    """The text of each numbered section by its number ('1' ... '12')."""
    parts = re.split(r"\n## (\d+)\. ", md)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def aligned_lines(text: str) -> list[tuple[str, str]]:
    """(lhs, rest) of every line of every aligned block."""
    lines = []
    for block in re.findall(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", text, re.S):
        for line in block.split(" \\\\\n"):
            lhs, rest = line.split(" &", 1)
            lines.append((lhs, rest))
    return lines


def table_rows(md: str) -> list[list[str]]:
    """The cells of the Markdown table (split on unescaped pipes)."""
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


# ----------------------------------------------------------------------------- order and content

SECTIONS = [
    "1. The batch and the parameters",
    "2. Hidden weighted inputs: Z₁ = XW₁ + b₁",
    "3. Hidden activations: A₁ = σ(Z₁)",
    "4. Output: Z₂ = A₁W₂ + b₂ = A₂",
    "5. Loss: L = (1/2m)‖A₂ − y‖²",
    "6. Output error: δ₂ = (A₂ − y)/m",
    "7. Hidden error: δ₁ = (δ₂W₂ᵀ) ⊙ A₁(1 − A₁)",
    "7a. The output error sent back: δ₂W₂ᵀ",
    "7b. The sigmoid's slope: A₁(1 − A₁)",
    "7c. Element by element: δ₁ = (δ₂W₂ᵀ) ⊙ A₁(1 − A₁)",
    "8. Gradient of W₂: ∇W₂ = A₁ᵀδ₂",
    "9. Gradient of b₂: ∇b₂ = rowsum(δ₂)",
    "10. Gradient of W₁: ∇W₁ = Xᵀδ₁",
    "11. Gradient of b₁: ∇b₁ = rowsum(δ₁)",
    "12. Update: θ ← θ − η∇θ",
    "Update of W₁",
    "Update of b₁",
    "Update of W₂",
    "Update of b₂",
]


def test_sections_appear_in_the_seeds_order_in_both_formats():
    rec = hand_record()
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    md_heads = re.findall(r"^#{2,3} (.*)$", md, re.M)
    html_heads = re.findall(r"<h[23]>(.*?)</h[23]>", page)
    assert md_heads == SECTIONS
    assert [h.replace("&#x27;", "'") for h in html_heads] == SECTIONS
    assert md.startswith(f"# {DEFAULT_TITLE}\n")
    assert f"<h1>{DEFAULT_TITLE}</h1>" in page and f"<title>{DEFAULT_TITLE}</title>" in page


def test_each_section_gives_formula_then_numbers_then_result():
    md = worksheet_markdown(hand_record(), NAMES)
    for number, text in md_sections(md).items():
        if number == "1":
            continue
        formula, numbers, result = (
            text.find("**Formula.**"),
            text.find("**With this step's numbers.**"),
            text.find("**Result"),
        )
        assert 0 <= formula < numbers < result, number


def test_every_result_matrix_equals_the_record_to_six_digits():
    rec = hand_record()
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    for symbol, value in results(rec).items():
        assert_matrix(md_matrix(md, symbol), value)
        assert_matrix(html_matrix(page, symbol), value)
    loss = re.findall(r"\\mathcal\{L\} &= (\S+)\n", md)  # the result line: a number alone
    assert len(loss) == 1 and matches(latex_number(loss[0]), rec.loss_before, 6)
    loss = re.findall(r'<td class="lhs">ℒ</td><td>= ([^ <]+)</td>', page)
    assert len(loss) == 1 and matches(html_number(loss[0]), rec.loss_before, 6)


def test_the_batch_table_holds_x_and_y():
    rec = hand_record()
    rows = table_rows(worksheet_markdown(rec, NAMES))
    assert rows[0] == ["i", "training row", "x1 hours", "x2 sleep", "y"]
    body = rows[1:]
    assert [r[:2] for r in body] == [["1", "1"], ["2", "2"]]
    shown = [[float(c) for c in r[2:]] for r in body]
    assert_matrix(shown, np.hstack([rec.X, rec.y]))


# Which array each worked line's left-hand side refers to, by section.
LINE_PATTERNS = [
    ("2", r"Z_1\[(\d+),(\d+)\]", lambda r: r.fwd.Z1),
    ("3", r"A_1\[(\d+),(\d+)\]", lambda r: r.fwd.A1),
    ("4", r"Z_2\[(\d+)\]", lambda r: r.fwd.Z2),
    ("6", r"\\delta_2\[(\d+)\]", lambda r: r.grads.delta2),
    (
        "7",
        r"\(\\delta_2 W_2\^\\top\)\[(\d+),(\d+)\]",
        lambda r: r.grads.delta2 @ r.params_before.W2.T,
    ),
    ("7", r"\\big\(A_1\(1 - A_1\)\\big\)\[(\d+),(\d+)\]", lambda r: r.fwd.A1 * (1 - r.fwd.A1)),
    ("7", r"\\delta_1\[(\d+),(\d+)\]", lambda r: r.grads.delta1),
    ("8", r"\\nabla W_2\[(\d+)\]", lambda r: r.grads.dW2),
    ("9", r"\\nabla b_2", lambda r: r.grads.db2),
    ("10", r"\\nabla W_1\[(\d+),(\d+)\]", lambda r: r.grads.dW1),
    ("11", r"\\nabla b_1\[(\d+)\]", lambda r: r.grads.db1.T),
    ("12", r"W_1\[(\d+),(\d+)\]", lambda r: r.params_after.W1),
    ("12", r"b_1\[(\d+)\]", lambda r: r.params_after.b1.T),
    ("12", r"W_2\[(\d+)\]", lambda r: r.params_after.W2),
    ("12", r"b_2", lambda r: r.params_after.b2),
]


@pytest.mark.parametrize("make", [hand_record, lambda: big_record(3, 4, 8)])
def test_every_worked_line_ends_with_the_records_entry(make):
    rec = make()
    (m, n), h = rec.X.shape, rec.fwd.Z1.shape[1]
    sections = md_sections(worksheet_markdown(rec, [f"x{k + 1}" for k in range(n)]))
    seen: dict[str, int] = {}
    for number, pattern, array in LINE_PATTERNS:
        value = np.asarray(array(rec))
        count = 0
        for lhs, rest in aligned_lines(sections[number]):
            match = re.fullmatch(pattern, lhs)
            if match is None or not NUMBER.match(rest.rsplit(" = ", 1)[-1]):
                continue  # another matrix's line, or a general formula
            index = tuple(int(d) - 1 for d in match.groups()) or (0,)
            expected = value[index if len(index) == 2 else (index[0], 0)]
            assert rest.endswith(f"= {fmt(expected)}"), (lhs, rest)  # the page's 4 digits
            assert matches(latex_number(rest.rsplit("= ", 1)[1]), expected, 4)
            count += 1
        assert count == value.size, (pattern, count)
        seen[pattern] = count
    assert seen[r"Z_1\[(\d+),(\d+)\]"] == m * h and seen[r"\\nabla W_1\[(\d+),(\d+)\]"] == n * h


def test_a_worked_line_names_every_entry_then_substitutes_it():
    md = worksheet_markdown(hand_record(), NAMES)
    assert (
        r"Z_1[1,2] &= X[1,1]\,W_1[1,2] + X[1,2]\,W_1[2,2] + b_1[2] "
        r"= (1.000)(0.2000) + (2.000)(-0.5000) + 0.1000 = -0.7000"
    ) in md
    assert r"A_1[1,2] &= \sigma(Z_1[1,2]) = \sigma(-0.7000) = \frac{1}{1 + e^{-(-0.7000)}}" in md
    assert r"\nabla b_2 &= \delta_2[1] + \delta_2[2] = 0.03977 + 0.1860 = 0.2258" in md
    page = worksheet_html(hand_record(), NAMES)
    assert "Z<sub>1</sub>[1,2]</td><td>= X[1,1]\u2009W<sub>1</sub>[1,2]" in page
    assert "(2.000)(−0.5000) + 0.1000 = −0.7000" in page


def test_delta1_shows_both_intermediates():
    rec = hand_record()
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    back = rec.grads.delta2 @ rec.params_before.W2.T
    slope = rec.fwd.A1 * (1 - rec.fwd.A1)
    for i, j in np.ndindex(back.shape):
        a = rec.fwd.A1[i, j]
        assert (
            rf"(\delta_2 W_2^\top)[{i + 1},{j + 1}] &= \delta_2[{i + 1}]\,W_2[{j + 1}] = "
            rf"({fmt(rec.grads.delta2[i, 0])})({fmt(rec.params_before.W2[j, 0])}) = "
            f"{fmt(back[i, j])}"
        ) in md
        assert f"= ({fmt(a)})(1 - {fmt(a, paren=True)}) = {fmt(slope[i, j])}" in md
        assert f"= ({fmt(back[i, j])})({fmt(slope[i, j])}) = {fmt(rec.grads.delta1[i, j])}" in md
    assert "δ<sub>2</sub> W<sub>2</sub><sup>T</sup>" in page
    assert "A<sub>1</sub>(1 − A<sub>1</sub>) =</span>" in page


@pytest.mark.parametrize("lr", [0.5, 0.05, 3e-5])
def test_update_lines_use_the_records_learning_rate_and_give_params_after(lr):
    rec = hand_record(lr)
    assert rec.lr == lr
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    update = md_sections(md)["12"]
    lines = 0
    for name in ("W1", "b1", "W2", "b2"):
        before = getattr(rec.params_before, name)
        grad = getattr(rec.grads, "d" + name)
        after = getattr(rec.params_after, name)
        for index in np.ndindex(before.shape):
            numbers = (
                f"= {fmt(before[index])} - ({fmt(lr)})({fmt(grad[index])}) = {fmt(after[index])}"
            )
            assert rf"\nabla {name[0]}_{name[1]}" in update and numbers in update
            lines += 1
    assert lines == 6 + 3 + 3 + 1
    assert update.count(r"\leftarrow") == lines + 1  # and the general θ ← θ − η∇θ
    shown_lr = "3×10⁻⁵" if lr == 3e-5 else str(lr)
    assert f"learning rate η = {shown_lr}." in md and f"η = {shown_lr}." in page
    assert f"({latex_to_html(fmt(lr))})" in page


@pytest.mark.parametrize("batch", [6, 10])
def test_larger_batches_list_the_first_rows_and_count_the_rest(batch):
    rec = big_record(batch)
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    # A teacher's batch has up to 4 rows: those are always written out, entry by entry.
    assert "Z_1[4,3] &=" in md and "Z_1[5,1]" not in md
    assert r"\delta_1[4,3] &=" in md and r"\delta_1[5,1] &" not in md
    note = f"… and {batch - 4} more rows (rows 5 to {batch})"
    assert md.count(note) == 7 and page.count(note) == 7  # Z1, A1, Z2, δ2, 7a, 7b, 7c
    for symbol, value in results(rec).items():  # the results keep every row
        assert_matrix(md_matrix(md, symbol), value)
        assert_matrix(html_matrix(page, symbol), value)
    assert len(table_rows(md)) == 1 + batch
    # Sums over the batch name all rows (or abbreviate with the term count, as on the page).
    if batch > 6:
        assert rf"m={batch}\text{{ terms}}" in md
    else:
        assert r"\cdots" not in md and md.count(r"\delta_2[6]") > 0


def test_batches_over_twenty_rows_show_the_first_twenty_everywhere():
    batch = 30
    rec = big_record(batch)
    md, page = worksheet_markdown(rec, NAMES), worksheet_html(rec, NAMES)
    for symbol in ("Z_1", "A_1", "A_2 = Z_2", r"\delta_2", r"\delta_1"):
        value = results(rec)[symbol]
        assert_matrix(md_matrix(md, symbol), value, MATRIX_ROWS)
        assert_matrix(html_matrix(page, symbol), value, MATRIX_ROWS)
    assert md.count("the first 20 of the 30 rows are shown") == 7
    assert md.count(r"\vdots") > 0 and "⋮" in page
    assert len(table_rows(md)) == 1 + MATRIX_ROWS
    assert "… and 10 more rows (rows 21 to 30)." in md
    assert f"… and {batch - ENTRY_ROWS} more rows" in page
    # The parameter-shaped results are never cut.
    assert_matrix(md_matrix(md, r"\nabla W_1"), rec.grads.dW1)


# ----------------------------------------------------------------------------- safety

HOSTILE = [
    "<script>alert(1)</script>",
    "**bold** [x](javascript:alert(1)) | `c` $x$ _u_ # h & <b>&amp;",
]
HOSTILE_TITLE = "<img src=x onerror=alert(1)> *T* \n# injected"
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p"}
ALLOWED_TAGS |= {"strong", "table", "tr", "td", "th", "sub", "sup", "span", "div", "i"}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.h1 = ""
        self.th: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in = tag if tag in ("h1", "th") else None
        if tag == "th":
            self.th.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "h1":
            self.h1 += data
        elif self._in == "th":
            self.th[-1] += data


def test_hostile_feature_names_and_title_are_escaped_in_html():
    page = worksheet_html(hand_record(), HOSTILE, title=HOSTILE_TITLE)
    parser = TagCollector()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS
    attributes = {name for _, attrs in parser.tags for name, _ in attrs}
    assert attributes <= {"lang", "charset", "http-equiv", "content", "name", "class"}
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert parser.h1 == " ".join(HOSTILE_TITLE.split())  # shown exactly, on one line
    assert parser.th[2:4] == [f"x1 {HOSTILE[0]}", f"x2 {HOSTILE[1]}"]


def md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def test_hostile_feature_names_and_title_are_escaped_in_markdown():
    md = worksheet_markdown(hand_record(), HOSTILE, title=HOSTILE_TITLE)
    assert not re.search(r"(?<!\\)[<>]", md) and "](" not in md  # no tag, no link
    assert "**bold**" not in md and "`c`" not in md and "\n# injected" not in md
    assert md.startswith(r"# \<img src\=x onerror\=alert\(1\)\> \*T\* \# injected" + "\n")
    header = table_rows(md)[0]
    assert len(header) == 5  # the name's | did not add a column
    assert [md_unescape(c) for c in header[2:4]] == [f"x1 {HOSTILE[0]}", f"x2 {HOSTILE[1]}"]
    # Every $ outside the $$ lines is escaped, so a name never opens a formula.
    prose = "\n".join(line for line in md.splitlines() if line != "$$")
    assert not re.search(r"(?<!\\)\$", re.sub(r"\$\$\n.*?\n\$\$", "", md, flags=re.S))
    assert r"\$x\$" in prose
    assert md_inert("www.a.com @me http://x") == "www\u2060\\.a\\.com \u2060@me http\u2060\\://x"


def test_one_more_row_is_counted_in_the_singular():
    md = worksheet_markdown(big_record(ENTRY_ROWS + 1), NAMES)
    assert md.count(f"… and 1 more row (row {ENTRY_ROWS + 1}), worked out") == 7
    md = worksheet_markdown(big_record(MATRIX_ROWS + 1), NAMES)
    assert f"… and 1 more row (row {MATRIX_ROWS + 1})." in md


def test_the_number_of_feature_names_must_match_the_inputs():
    rec = hand_record()
    with pytest.raises(ValueError, match="Expected 2 feature names"):
        worksheet_markdown(rec, ["only one"])
    with pytest.raises(ValueError, match="Expected 2 feature names"):
        worksheet_html(rec, ["a", "b", "c"])


# ----------------------------------------------------------------------------- well-formed output

# Every LaTeX command the worksheet may use; all are supported by KaTeX.
KATEX_COMMANDS = {
    r"\begin", r"\end", r"\frac", r"\sum", r"\sigma", r"\delta", r"\eta", r"\theta", r"\nabla",
    r"\top", r"\odot", r"\cdot", r"\cdots", r"\vdots", r"\times", r"\leftarrow", r"\to",
    r"\lVert", r"\rVert", r"\quad", r"\qquad", r"\text", r"\mathrm", r"\mathcal", r"\big",
    r"\Big", r"\underbrace", r"\infty",
}  # fmt: skip
ENVIRONMENTS = {"aligned", "bmatrix"}
RAW_FLOAT = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b")


def braces_balanced(text: str) -> bool:
    depth = 0
    for ch in text.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def check_markdown_latex(md: str) -> int:
    lines = md.splitlines()
    assert lines.count("$$") % 2 == 0
    blocks = re.findall(r"(?:^|\n)\$\$\n(.*?)\n\$\$(?:\n|$)", md, re.S)
    assert len(blocks) * 2 == lines.count("$$") and "$$" not in "".join(blocks)
    for block in blocks:
        assert braces_balanced(block), block
        assert "\n\n" not in block and block.isascii(), block
        assert not RAW_FLOAT.search(block), block
        assert set(re.findall(r"\\[A-Za-z]+", block)) <= KATEX_COMMANDS, block
        begins = re.findall(r"\\begin\{(\w+)\}", block)
        assert begins == re.findall(r"\\end\{(\w+)\}", block) and set(begins) <= ENVIRONMENTS
    return len(blocks)


def check_html(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "\\" not in page and "$$" not in page  # every formula translated, nothing left raw
    lowered = page.lower()
    for remote in ("<script", "src=", "href", "@import", "url(", "katex", "://"):
        assert remote not in lowered, remote  # nothing to run or fetch: it works offline
    assert "@media print" in page and "default-src 'none'" in page


@pytest.mark.parametrize(
    ("batch", "n_in", "hidden"), [(2, 2, 3), (1, 1, 1), (7, 4, 8), (30, 2, 3), (64, 3, 5)]
)
def test_markdown_blocks_are_well_formed_latex_and_html_has_none(batch, n_in, hidden):
    rec = hand_record() if (batch, n_in, hidden) == (2, 2, 3) else big_record(batch, n_in, hidden)
    names = [f"x{k + 1}" for k in range(n_in)]
    assert check_markdown_latex(worksheet_markdown(rec, names)) == 44
    check_html(worksheet_html(rec, names))


@settings(max_examples=25)
@given(
    batch=st.integers(1, 25),
    n_in=st.integers(1, 4),
    hidden=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-6, 1.0, 300.0]),
)
def test_any_small_network_reads_back_exactly(batch, n_in, hidden, seed, scale):
    rng = np.random.default_rng(seed)
    params = Params.of(
        rng.normal(0, 1, (n_in, hidden)),
        rng.normal(0, 0.5, (1, hidden)),
        rng.normal(0, 1, (hidden, 1)),
        rng.normal(0, 0.5, (1, 1)),
    )
    X = rng.normal(0, scale, (batch, n_in))
    y = rng.normal(0, scale, (batch, 1))
    rec = Trainer(X, y, params, batch_size=batch, shuffle=False).step(0.01)
    names = [f"x{k + 1}" for k in range(n_in)]
    md, page = worksheet_markdown(rec, names), worksheet_html(rec, names)
    check_markdown_latex(md)
    check_html(page)
    rows = min(batch, MATRIX_ROWS)
    for symbol, value in results(rec).items():
        cut = rows if value.shape[0] == batch else None
        assert_matrix(md_matrix(md, symbol), value, cut)
        assert_matrix(html_matrix(page, symbol), value, cut)


def test_latex_to_html_translates_the_worksheets_latex_and_rejects_the_rest():
    assert latex_to_html(r"\frac{1}{1 + e^{-0.5000}}") == "1/(1 + e<sup>−0.5000</sup>)"
    assert latex_to_html(r"\frac{1}{m}(A_2 - y)") == "(1/m)(A<sub>2</sub> − y)"
    assert latex_to_html(r"\nabla W_1[1,2]") == "∇W<sub>1</sub>[1,2]"
    assert latex_to_html(r"1.235\times10^{-5}") == "1.235×10<sup>−5</sup>"
    assert latex_to_html(r"W_1^{\text{new}}") == "W<sub>1</sub><sup>new</sup>"
    assert latex_to_html(r"\underbrace{a + \cdots + b}_{m=9\text{ terms}}") == (
        'a + ⋯ + b <span class="brace">(m=9 terms)</span>'
    )
    assert latex_to_html("a < b & c") == "a &lt; b &amp; c"
    for bad in (r"\input{x}", r"\href{x}{y}", "{a", "a}", r"\frac{1}"):
        with pytest.raises(ValueError):
            latex_to_html(bad)
