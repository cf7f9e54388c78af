"""What only a browser shows of the storyboard: that the step fits a projector and a laptop
screen, presenter mode's sizes, clicking and keyboard use, shortcuts and a phone's layout."""

from __future__ import annotations

import pytest

from .server import (
    button,
    click,
    open_app,
    play_button,
    run_steps,
    step_count,
    wait_for_rerun,
    wait_until,
)

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PRESENTING = "?present=1&hide=data,network,training"
# Every matrix of the forward and backward rows: what must be on the first screen.
FIRST_SCREEN = (
    "X",
    "Z1",
    "A1",
    "A2",
    "y",
    "delta2",
    "delta2W2T",
    "sigma_prime",
    "delta1",
    "dW1",
    "db1",
    "dW2",
    "db2",
)

BLOCK_BOXES_JS = """() => {
    const out = {};
    for (const host of document.querySelectorAll('*')) {
        if (!host.shadowRoot) continue;
        for (const b of host.shadowRoot.querySelectorAll('figure.block')) {
            const r = b.getBoundingClientRect();
            out[b.dataset.block] = [r.left, r.top, r.right, r.bottom];
        }
    }
    return out;
}"""

FONT_PX_JS = "(el) => parseFloat(getComputedStyle(el).fontSize)"


def open_at(open_page, viewport: dict, query: str = ""):
    app = open_page(viewport)
    if query:
        open_app(app.page, app.page.url.split("?")[0].rstrip("/") + "/" + query)
    click(app.page, "btn_step")
    cell(app.page, "Z1", 0, 0).wait_for()
    app.page.mouse.move(0, 0)
    return app


def cell(page, block: str, row: int, col: int):
    return page.locator(f"td[data-block='{block}'][data-row='{row}'][data-col='{col}']")


def block_boxes(page) -> dict[str, list[float]]:
    return page.evaluate(BLOCK_BOXES_JS)


def outside(boxes: dict[str, list[float]], viewport: dict) -> dict[str, list[float]]:
    return {
        name: [round(v) for v in box]
        for name, box in boxes.items()
        if name in FIRST_SCREEN
        and not (
            box[0] >= 0
            and box[1] >= 0
            and box[2] <= viewport["width"]
            and box[3] <= viewport["height"]
        )
    }


def run_to(page, steps: int) -> None:
    """Train on to `steps` steps with Steps N and Run N."""
    run_steps(page, steps - step_count(page))
    assert step_count(page) == steps
    page.mouse.move(0, 0)


# The numbers' widths change as training goes on (7 characters at most): several steps are
# measured, from the first to well into training.
CHECKED_STEPS = (5, 40, 300)


def test_presenting_at_1280x720_every_matrix_of_the_step_is_on_the_first_screen(open_page):
    app = open_at(open_page, PROJECTOR, PRESENTING)
    boxes = block_boxes(app.page)
    assert set(FIRST_SCREEN) <= set(boxes)
    assert outside(boxes, PROJECTOR) == {}
    for steps in CHECKED_STEPS:
        run_to(app.page, steps)
        assert outside(block_boxes(app.page), PROJECTOR) == {}, f"after {steps} steps"
    assert app.page.get_by_test_id("stSidebar").count() == 0 or not (
        app.page.get_by_test_id("stSidebar").is_visible()
    ), "with every section hidden there is no sidebar"
    app.assert_healthy()


def test_at_1440x900_the_forward_and_backward_rows_are_on_the_first_screen(open_page):
    app = open_at(open_page, LAPTOP)
    boxes = block_boxes(app.page)
    assert outside(boxes, LAPTOP) == {}
    for steps in CHECKED_STEPS:
        run_to(app.page, steps)
        assert outside(block_boxes(app.page), LAPTOP) == {}, f"after {steps} steps"
    app.assert_healthy()


def test_presenter_mode_makes_the_numbers_half_as_large_again(open_page):
    normal = open_at(open_page, LAPTOP).page
    presenting = open_at(open_page, LAPTOP, PRESENTING).page

    def metric_px(page) -> float:
        value = page.get_by_test_id("stMetricValue").first.locator("p")
        return value.evaluate(FONT_PX_JS)

    def cell_px(page) -> float:
        return cell(page, "Z1", 0, 0).evaluate(FONT_PX_JS)

    def axis_label_px(page) -> float:
        chart = page.get_by_test_id("stVegaLiteChart").first
        chart.scroll_into_view_if_needed()
        label = chart.locator("svg .role-axis-label text").first
        label.wait_for()
        return label.evaluate(FONT_PX_JS)

    for measure in (metric_px, cell_px, axis_label_px):
        assert measure(presenting) >= 1.5 * measure(normal), measure.__name__


def test_clicking_a_number_explains_it_and_marks_what_it_is_computed_from(open_page):
    page = open_at(open_page, LAPTOP).page
    cell(page, "Z1", 1, 2).click()
    wait_for_rerun(page)
    picked = page.locator("td.picked")
    picked.wait_for()
    assert (picked.get_attribute("data-block"), picked.get_attribute("data-row")) == ("Z1", "1")
    sources = page.locator("td.source")
    marked = {
        (s.get_attribute("data-block"), s.get_attribute("data-row"), s.get_attribute("data-col"))
        for s in sources.all()
    }
    assert marked == {
        ("X", "1", "0"),
        ("X", "1", "1"),
        ("W1", "0", "2"),
        ("W1", "1", "2"),
        ("b1", "0", "2"),
    }
    # KaTeX keeps each formula's TeX in an <annotation>: the substituted one names the entry.
    wait_until(lambda: page.locator("annotation").filter(has_text="Z_1[2,3] =").count() == 1)
    before = cell(page, "Z1", 1, 2).inner_text()
    click(page, "btn_step")
    wait_until(lambda: cell(page, "Z1", 1, 2).inner_text() != before)
    assert page.locator("td.picked").count() == 1, "the same cell stays picked in the next step"
    cell(page, "Z1", 1, 2).click()  # a second click lets go
    wait_for_rerun(page)
    wait_until(lambda: page.locator("td.picked").count() == 0)


def test_the_keyboard_reaches_and_explains_every_number(open_page):
    page = open_at(open_page, LAPTOP).page
    first = cell(page, "A1", 0, 0)
    first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate(
        "() => { for (const h of document.querySelectorAll('*')) { const f = h.shadowRoot && "
        "h.shadowRoot.activeElement; if (f) return [f.dataset.block, f.dataset.row, "
        "f.dataset.col, getComputedStyle(f).outlineStyle]; } return null; }"
    )
    assert focused == ["A1", "1", "1", "solid"], "arrow keys move a visible focus"
    page.keyboard.press("Enter")
    wait_for_rerun(page)
    wait_until(lambda: page.locator("td.picked[data-block='A1'][data-row='1']").count() == 1)


def test_shortcut_keys_step_run_and_play(open_page):
    page = open_at(open_page, LAPTOP).page
    page.mouse.click(5, 500)  # somewhere neutral: a shortcut does nothing while typing
    page.keyboard.press("s")
    wait_for_rerun(page)
    wait_until(lambda: step_count(page) == 2)
    page.keyboard.press("n")
    wait_for_rerun(page)
    wait_until(lambda: step_count(page) == 102)
    page.keyboard.press("p")
    wait_until(lambda: "Pause" in play_button(page).inner_text())
    page.keyboard.press("p")
    wait_until(lambda: "Play" in play_button(page).inner_text())


def test_more_rows_on_demand_and_back(open_page):
    page = open_at(open_page, PROJECTOR, PRESENTING).page
    wait_until(lambda: page.locator("td[data-block='Z1'][data-col='0']").count() == 4)
    more = page.locator("button.more-rows")
    assert "12 more rows" in more.inner_text()
    more.click()
    wait_for_rerun(page)
    wait_until(lambda: page.locator("td[data-block='Z1'][data-col='0']").count() == 16)
    page.locator("button.more-rows").click()
    wait_for_rerun(page)
    wait_until(lambda: page.locator("td[data-block='Z1'][data-col='0']").count() == 4)


def test_on_a_phone_the_storyboard_stacks_without_sideways_scrolling(open_page):
    app = open_page(PHONE, is_mobile=True, has_touch=True)
    page = app.page
    button(page, "btn_step").tap()
    wait_for_rerun(page)
    cell(page, "Z1", 0, 0).wait_for()
    boxes = block_boxes(page)
    lefts = {round(boxes[name][0]) for name in ("X", "Z1", "A1", "A2", "delta2", "delta1")}
    assert len(lefts) == 1, f"one block under the other, not side by side: {boxes}"
    tops = [boxes[name][1] for name in ("X", "Z1", "A1", "A2", "y", "delta2")]
    assert tops == sorted(tops)
    assert all(box[2] <= PHONE["width"] for box in boxes.values()), boxes
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, "
        "document.querySelector('[data-testid=stMain]').scrollWidth]"
    )
    assert max(widths) <= PHONE["width"], widths
    app.assert_healthy()
