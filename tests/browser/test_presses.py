"""Every press counts: quick presses that reach the server merged are carried out afterwards."""

from __future__ import annotations

import contextlib

import pytest

from .server import button, step_count, wait_for_rerun, wait_until

pytestmark = pytest.mark.browser


def press(page, key: str, times: int, gap_ms: int) -> None:
    """Real mouse clicks on the button's centre, `gap_ms` apart, without waiting for reruns.

    Checks that every click reached the button, as the page's own press counter saw it: a click
    that missed would otherwise look like a press the app lost.
    """
    page.wait_for_function("() => window.__backpropPresses && window.__backpropPresses.send")
    target = button(page, key)
    target.hover()  # waits until the button is visible, still, and the topmost element there
    box = target.bounding_box()
    before = browser_count(page, key)
    for _ in range(times):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if gap_ms:
            page.wait_for_timeout(gap_ms)
    assert browser_count(page, key) == before + times, "clicks missed the button"


def browser_count(page, key: str) -> int:
    """How many presses of this button the page's press counter has seen."""
    return page.evaluate("(key) => window.__backpropPresses.counts[key] || 0", key)


def settled_count(page, expected: int) -> int:
    """The Step count once the page has caught up (the browser reports presses after 0.4 s)."""
    wait_for_rerun(page)
    with contextlib.suppress(TimeoutError):  # the assertion then shows the count it settled on
        wait_until(lambda: step_count(page) == expected, timeout_s=15)
    return step_count(page)


def test_twenty_quick_clicks_on_step_take_twenty_steps(app):
    page = app.page
    press(page, "btn_step", 20, gap_ms=100)
    assert settled_count(page, 20) == 20
    press(page, "btn_step", 5, gap_ms=0)  # a burst: these do reach the server merged
    assert settled_count(page, 25) == 25
    page.wait_for_timeout(1000)
    assert step_count(page) == 25  # and none is carried out twice
    app.assert_healthy()


def test_three_quick_run_n_presses_run_three_times(app):
    page = app.page
    page.locator(".st-key-run_n input").fill("4")
    page.locator(".st-key-run_n input").press("Enter")
    wait_for_rerun(page)
    press(page, "btn_run_n", 3, gap_ms=150)
    assert settled_count(page, 12) == 12
    page.wait_for_timeout(1000)
    assert step_count(page) == 12
    app.assert_healthy()
