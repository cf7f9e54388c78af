"""Write the README screenshots to docs/screenshots/ from a real browser.

    python tests/browser/make_screenshots.py

Starts the app the same way the browser tests do, trains 1,500 steps on the default data and
captures: main.png (the whole main screen, with a number picked in the storyboard),
presenter.png (presenter mode on a 1280×720 projector), backward.png, explain.png,
sample.png, landscape.png and network.png (one view each) and phone.png (a 390 px wide phone
screen).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from server import (
    LAUNCH_ARGS,
    ROOT,
    app_server,
    button,
    find_chromium,
    open_app,
    run_steps,
    show,
    step_count,
    wait_for_rerun,
)

OUT = ROOT / "docs" / "screenshots"
WIDTH = 1600
STEPS = 1_500  # enough for the default sine ripple to show its shape
MAX_HEIGHT = 12_000

# The app scrolls inside a container, so a screenshot only shows the viewport: measure how tall
# the content is and make the viewport that tall.
CONTENT_HEIGHT_JS = """() => {
    let tallest = document.documentElement.scrollHeight;
    for (const el of document.querySelectorAll('*')) {
        const style = getComputedStyle(el);
        if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) {
            tallest = Math.max(tallest, el.scrollHeight);
        }
    }
    return tallest;
}"""


def fit_height(page, width: int) -> None:
    """Grow the viewport until the whole page fits in it (charts may reflow once)."""
    for _ in range(3):
        height = min(page.evaluate(CONTENT_HEIGHT_JS), MAX_HEIGHT)
        if height == page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
    wait_for_charts(page)


def wait_for_charts(page) -> None:
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        chart.locator("canvas, svg.marks").first.wait_for()
    page.wait_for_timeout(500)


def train(page, steps: int) -> None:
    """Run `steps` steps with the Steps N box and Run N."""
    run_steps(page, steps)
    assert step_count(page) == steps, f"expected {steps} steps, the page shows {step_count(page)}"


def view_section(page, path: Path) -> None:
    """Screenshot the main column from the "Show" control down."""
    top = page.locator(".st-key-view").bounding_box()
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    page.screenshot(
        path=path,
        clip={
            "x": main["x"],
            "y": top["y"] - 16,
            "width": main["width"],
            "height": main["y"] + main["height"] - top["y"] + 16,
        },
    )


def desktop_shots(browser, url: str) -> None:
    context = browser.new_context(viewport={"width": WIDTH, "height": 1200})
    page = context.new_page()
    open_app(page, url)
    train(page, STEPS)
    # A number picked in the storyboard: its formula below, its sources outlined, its row squared.
    page.locator("td[data-block='Z1'][data-row='1'][data-col='2']").click()
    wait_for_rerun(page)
    page.locator("td.picked").wait_for()
    page.mouse.move(0, 0)
    fit_height(page, WIDTH)
    page.screenshot(path=OUT / "main.png")
    print("main.png")
    for view, name in (
        ("Backward pass", "backward"),
        ("Explain a number", "explain"),
        ("One sample", "sample"),
        ("Loss landscape", "landscape"),
        ("Network & units", "network"),
    ):
        page.set_viewport_size({"width": WIDTH, "height": 1200})
        show(page, view)
        fit_height(page, WIDTH)
        view_section(page, OUT / f"{name}.png")
        print(f"{name}.png")
    context.close()


def presenter_shot(browser, url: str) -> None:
    """The first screen of presenter mode on a 1280×720 projector, as the back row sees it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_app(page, f"{url}/?present=1&hide=data,network,training")
    train(page, 40)
    page.mouse.move(0, 0)
    page.wait_for_timeout(800)
    page.screenshot(path=OUT / "presenter.png")
    print("presenter.png")
    context.close()


def phone_shot(browser, url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    open_app(page, url)
    step = button(page, "btn_step")
    step.scroll_into_view_if_needed()
    step.tap()
    wait_for_rerun(page)
    # Two phone screens tall: the controls, the status and the first chart.
    page.set_viewport_size({"width": 390, "height": 2 * 844})
    page.wait_for_timeout(800)
    wait_for_charts(page)
    page.screenshot(path=OUT / "phone.png")
    print("phone.png")
    context.close()


def main() -> int:
    chromium = find_chromium()
    if chromium is None:
        print("No Chromium found: install chromium or set CHROMIUM_PATH.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with app_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            desktop_shots(browser, url)
            presenter_shot(browser, url)
            phone_shot(browser, url)
        finally:
            browser.close()
    print(f"Screenshots written to {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
