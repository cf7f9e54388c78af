"""Accessibility as axe-core measures it (WCAG 2.0/2.1 A and AA): after one Step, neither the normal
page nor presenter mode has a serious or critical violation, and every chart has a text
alternative made from its data (Vega puts the spec's description into the chart's aria-label).
"""

from __future__ import annotations

import os

import pytest

from views.state import VIEWS

from .axe import describe, serious_violations
from .server import click, open_app, show, step_count, wait_for_rerun

pytestmark = pytest.mark.browser

NORMAL = {"width": 1440, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}
PRESENTER_QUERY = "?present=1&hide=data,network,training"
DEFAULT_CHART_LABEL = "Vega visualization"  # what Vega says of a chart without a description


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        reason = "axe-playwright-python is not installed (pip install -r requirements-dev.txt)."
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"{reason} (CI is set, so the accessibility tests must run)")
        pytest.skip(reason)


def settle(page) -> None:
    """Wait until every chart has drawn (charts mount after the script is idle)."""
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        chart.locator("canvas, svg.marks").first.wait_for()
    page.wait_for_timeout(500)


def step_and_settle(page) -> None:
    click(page, "btn_step")
    assert step_count(page) == 1
    settle(page)


def assert_charts_are_described(page) -> None:
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.first.wait_for()  # charts mount a moment after the run
    labels = [chart.get_attribute("aria-label") or "" for chart in charts.all()]
    for label in labels:
        assert label and label != DEFAULT_CHART_LABEL, labels
        assert any(ch.isdigit() for ch in label), f"no numbers in the chart's label: {label!r}"


def test_the_normal_page_has_no_serious_violations(open_page):
    app = open_page(NORMAL)
    page = app.page
    step_and_settle(page)
    assert_charts_are_described(page)
    violations = serious_violations(page)
    assert not violations, describe(violations)
    app.assert_healthy()


def test_presenter_mode_has_no_serious_violations(open_page, app_url):
    app = open_page(PROJECTOR)
    page = app.page
    open_app(page, f"{app_url}/{PRESENTER_QUERY}")
    # The link took effect: the sections it names are hidden.
    assert page.get_by_test_id("stSidebar").get_by_role("heading", name="Data").count() == 0
    step_and_settle(page)
    assert_charts_are_described(page)
    violations = serious_violations(page)
    assert not violations, describe(violations)
    app.assert_healthy()


@pytest.mark.parametrize("view", [v for v in VIEWS if v != "Storyboard"])
def test_every_other_view_has_no_serious_violations(open_page, view):
    app = open_page(NORMAL)
    page = app.page
    step_and_settle(page)
    show(page, view)
    settle(page)
    assert_charts_are_described(page)
    violations = serious_violations(page)
    assert not violations, describe(violations)
    app.assert_healthy()


def test_an_explained_number_has_no_serious_violations(open_page):
    app = open_page(NORMAL)
    page = app.page
    step_and_settle(page)
    page.locator("td[data-block='delta1'][data-row='1'][data-col='1']").click()
    wait_for_rerun(page)
    page.locator("td.picked").wait_for()
    settle(page)
    violations = serious_violations(page)
    assert not violations, describe(violations)
    app.assert_healthy()
