"""The step views render: formulas as KaTeX (never raw LaTeX), numbers in the explanations."""

from __future__ import annotations

import re

import pytest

from .server import button, click, show, step_count, wait_for_rerun

pytestmark = pytest.mark.browser

RAW_LATEX = re.compile(r"\$\$|\\(frac|begin|nabla|delta|mathcal|odot|top)\b")


def assert_latex_rendered(page) -> None:
    """Formulas are typeset by KaTeX, none failed to parse, and no raw LaTeX shows as text."""
    formulas = page.locator("[data-testid='stMarkdownContainer'] .katex")
    assert formulas.count() > 0
    assert formulas.first.locator(".katex-html").is_visible()
    errors = page.locator(".katex-error")
    assert errors.count() == 0, errors.first.get_attribute("title")
    # KaTeX keeps the source in hidden MathML annotations: look only at what is displayed.
    shown = page.locator("[data-testid='stMain']").evaluate(
        """main => {
            const copy = main.cloneNode(true);
            copy.querySelectorAll('.katex-mathml').forEach(e => e.remove());
            return copy.textContent;
        }"""
    )
    assert not RAW_LATEX.search(shown), RAW_LATEX.search(shown).group(0)


@pytest.mark.parametrize("view", ["Forward pass", "Backward pass", "Update"])
def test_formulas_render_as_katex(app, view):
    page = app.page
    click(page, "btn_step")
    show(page, view)
    app.assert_healthy()
    assert_latex_rendered(page)
    page.get_by_test_id("stDataFrame").first.wait_for()  # grids mount a moment after the run
    app.assert_healthy()


def test_explain_a_number_shows_formula_with_numbers(app):
    page = app.page
    click(page, "btn_step")
    show(page, "Explain a number")
    app.assert_healthy()
    assert_latex_rendered(page)
    formulas = page.locator("[data-testid='stMarkdownContainer'] .katex .katex-html")
    texts = formulas.all_text_contents()
    assert any(re.search(r"\d\.\d", text) for text in texts), texts
    app.assert_healthy()


def test_network_view_draws_charts(app):
    page = app.page
    click(page, "btn_step")
    show(page, "Network & units")
    app.assert_healthy()
    charts = page.get_by_test_id("stVegaLiteChart")
    assert charts.count() >= 3
    for chart in charts.all():
        chart.locator("canvas, svg.marks").first.wait_for()


def test_phone_viewport(open_page):
    app = open_page({"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = app.page
    step = button(page, "btn_step")
    step.scroll_into_view_if_needed()
    assert step.is_visible()
    box = step.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    step.tap()
    wait_for_rerun(page)
    assert step_count(page) == 1
    app.assert_healthy()
