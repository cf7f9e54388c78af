"""Ordinary sequences of clicks, in every view, in a real browser.

The training panel is an `st.fragment`: a button press or a Play tick reruns only the panel.
Streamlit removes the state of every widget a full run did not draw, and a later fragment-only
rerun that reads it crashes. AppTest always reruns the whole script, so only a browser sees this.

- Each view of "Show" gets one page and the whole sequence: Step, Run N, ◀ ▶, Play then Pause,
  a sidebar setting, Step, a lesson preset, Step, Reset. Every action is a subtest, checked right
  after it: no exception box (not even one a later tick swept away), the Step button visible and
  enabled, the "Step" metric at the expected count. After a failed action the page is recovered
  with a full rerun (the "r" shortcut) and Play is ended, so the rest of the sequence still runs
  and reports.
- Update ↔ Explain a number while Play is on; Step leaves the Play speed alone; the Classroom
  expander stays open while lesson presets are applied.
"""

from __future__ import annotations

import contextlib
import re

import pytest

from views import state

from .server import (
    ARTIFACTS,
    IDLE,
    button,
    click,
    label_of,
    metric,
    show,
    step_count,
    wait_for_rerun,
    wait_until,
)

pytestmark = pytest.mark.browser

# The views of "Show"; the run views have no step picker (◀ ▶).
STEP_VIEWS, RUN_VIEWS = list(state.STEP_VIEWS), list(state.RUN_VIEWS)
VIEWS = STEP_VIEWS + RUN_VIEWS

RUN_N = 3
# A preset that changes a run setting from the defaults (and from the Hidden units change the
# sequence makes before it), so applying it restarts training.
PRESET = "Zero initialisation"
TIMEOUT_MS = 5_000  # a missing element fails in seconds, not after the fixture's 30 s
# With client.showErrorDetails = "type" the page shows only the exception's type.
LOG_HINT = f"\n(the traceback is in {ARTIFACTS / 'streamlit-server.log'})"


# ---- driving the page ---------------------------------------------------------------------------


def wait_idle(page) -> None:
    page.wait_for_selector(IDLE, timeout=30_000)


def set_number(page, key: str, value: int) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    wait_for_rerun(page)


def choose(page, key: str, option: str) -> None:
    """Pick an option of the selectbox with this key (typing filters the list first)."""
    box = page.locator(f".st-key-{key} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_rerun(page)


# Records every exception box the page shows: while playing, a tick can draw one and the next
# tick sweep it away before a check looks. FORGET_EXCEPTIONS empties the record and ignores the
# boxes shown now (after a failure they belong to the failed action).
WATCH_EXCEPTIONS = """() => {
    if (window.__exceptionBoxes) return;
    window.__exceptionBoxes = [];
    window.__oldExceptionBoxes = new Set();
    const record = () => document.querySelectorAll("[data-testid='stException']").forEach(box => {
        if (!window.__exceptionBoxes.includes(box) && !window.__oldExceptionBoxes.has(box))
            window.__exceptionBoxes.push(box);
    });
    new MutationObserver(record).observe(document.body, {childList: true, subtree: true});
    record();
}"""
SEEN_EXCEPTIONS = "() => window.__exceptionBoxes.map(box => box.innerText || box.textContent)"
FORGET_EXCEPTIONS = """() => {
    window.__exceptionBoxes = [];
    window.__oldExceptionBoxes = new Set(document.querySelectorAll("[data-testid='stException']"));
}"""


def alert_texts(page) -> list[str]:
    return page.get_by_test_id("stAlert").all_inner_texts()


def shown_batch(page) -> int:
    """The batch number of the step the views show ("Batch" metric: "3 of 10")."""
    return int(metric(page, "Batch").split(" of ")[0])


def classroom(page):
    return (
        page.get_by_test_id("stSidebar").get_by_test_id("stExpander").filter(has_text="Classroom")
    )


def is_open(expander) -> bool:
    return expander.locator("details").get_attribute("open") is not None


def open_classroom(page) -> None:
    expander = classroom(page)
    if not is_open(expander):
        expander.locator("summary").click()
        page.locator(".st-key-btn_preset button").filter(visible=True).wait_for()


def apply_preset(page, title: str) -> None:
    open_classroom(page)
    choose(page, "preset_choice", title)
    click(page, "btn_preset")


def tick_every(page) -> str:
    """The "Tick every" value in the Play speed popover (its content exists only while open)."""
    page.get_by_test_id("stPopoverButton").filter(has_text="Play speed").click()
    box = page.locator(".st-key-play_speed input")
    box.wait_for()
    value = box.input_value()
    page.keyboard.press("Escape")
    box.wait_for(state="detached")
    return value


# ---- checks -------------------------------------------------------------------------------------


class Sequence:
    """One page driven through a sequence, knowing the Step count it should show; `action`
    wraps each user action as a subtest, checked right after the action."""

    def __init__(self, app, subtests=None) -> None:
        self.app = app
        self.page = app.page
        self.subtests = subtests
        self.count = 0  # the Step count the page should show
        self.failed: list[str] = []  # the actions that failed so far
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.evaluate(WATCH_EXCEPTIONS)

    def no_exception(self) -> None:
        """No exception box now, none that came and went, no error in the browser's console."""
        boxes = self.page.get_by_test_id("stException")
        assert boxes.count() == 0, f"{boxes.first.inner_text()[:1500]}{LOG_HINT}"
        seen = self.page.evaluate(SEEN_EXCEPTIONS)
        assert not seen, f"an exception was shown and went again: {seen[0][:1500]}{LOG_HINT}"
        self.app.assert_healthy()

    def healthy(self, count: int | None = None) -> None:
        """No exception, the Step button visible and enabled, the Step metric at `count`."""
        self.no_exception()
        step = button(self.page, "btn_step")
        assert step.count() == 1, "the Step button is missing"
        assert step.is_visible(), "the Step button is not visible"
        assert step.is_enabled(), "the Step button is disabled"
        if count is not None:
            assert step_count(self.page) == count

    @contextlib.contextmanager
    def action(self, name: str):
        """A subtest that recovers the page when it fails (without subtests: just the block)."""
        if self.subtests is None:
            yield
            return
        with self.subtests.test(msg=name):
            try:
                yield
            except pytest.skip.Exception:
                raise
            except BaseException:
                self.failed.append(name)
                self.recover()
                raise

    def recover(self) -> None:
        """After a failure: full reruns (the "r" shortcut) redraw the panel, and Play is ended
        (a crash on every tick would fail every later action); then re-read the count, so the
        next action is judged from where the page really is."""
        page = self.page
        for _ in range(3):
            with contextlib.suppress(Exception):
                page.keyboard.press("Escape")  # a popover or an open list
                page.locator("body").press("r")
                wait_for_rerun(page)
                if button(page, "btn_pause").count():
                    button(page, "btn_pause").click()
                    wait_for_rerun(page)
                button(page, "btn_play").wait_for(timeout=2_000)
                page.wait_for_timeout(300)  # a tick already on its way
                wait_idle(page)
                # Reported by the failed action: they must not fail the next one.
                self.app.errors.clear()
                page.evaluate(FORGET_EXCEPTIONS)
                self.count = step_count(page)
                return

    # -- the actions of the sequence --

    def select(self, view: str) -> None:
        with self.action(f"select {view}"):
            show(self.page, view)
            self.healthy(self.count)
            segment = self.page.locator(".st-key-view").get_by_role("radio", name=view, exact=True)
            assert segment.is_checked()

    def step(self) -> None:
        with self.action("Step"):
            click(self.page, "btn_step")
            self.count += 1
            self.healthy(self.count)

    def run_n(self) -> None:
        with self.action(f"Run N (N = {RUN_N})"):
            set_number(self.page, "run_n", RUN_N)
            self.healthy(self.count)
            click(self.page, "btn_run_n")
            self.count += RUN_N
            self.healthy(self.count)

    def prev_next(self) -> None:
        """◀ shows the step before the latest, ▶ the latest again; the count does not move.

        Still in the first epoch here (4 steps of 10 batches), so a step's batch is its number.
        """
        page = self.page
        latest = None
        with self.action("◀"):
            latest = shown_batch(page)
            click(page, "btn_prev_step")
            self.healthy(self.count)
            shown = shown_batch(page)
            assert shown == latest - 1, f"◀ from batch {latest} shows batch {shown}"
        with self.action("▶"):
            if latest is None:
                pytest.skip("◀ failed before the shown step was known")
            click(page, "btn_next_step")
            self.healthy(self.count)
            shown = shown_batch(page)
            assert shown == latest, f"▶ shows batch {shown}, not the latest ({latest})"

    def play_pause(self) -> None:
        page = self.page
        with self.action("Play"):
            start = self.count
            click(page, "btn_play")
            self.healthy()

            def grown() -> bool:
                # Mid-tick the panel may be half drawn: look only for crashes and the count.
                self.no_exception()
                shown = page.get_by_test_id("stMetric").count() > 0
                return shown and step_count(page) > start

            wait_until(grown, timeout_s=4.0, interval_s=0.25)
            page.wait_for_timeout(700)  # a few more ticks in this view
            wait_idle(page)
            self.healthy()
            assert step_count(page) > start
            assert button(page, "btn_pause").is_visible(), "no Pause button while playing"
        with self.action("Pause"):
            if "Play" in self.failed and button(page, "btn_pause").count() == 0:
                pytest.skip("Play failed, so there is nothing to pause")
            wait_idle(page)
            self.healthy()
            assert button(page, "btn_pause").count() == 1, "no Pause button while playing"
            click(page, "btn_pause")
            self.healthy()
            play = button(page, "btn_play")
            assert play.count() == 1, "the Play button did not come back"
            assert label_of(play).inner_text().strip() == "Play"
            assert button(page, "btn_pause").count() == 0
            self.count = step_count(page)
            page.wait_for_timeout(1_200)  # longer than the slowest tick (1 s)
            self.healthy(self.count)

    def reset(self) -> None:
        with self.action("Reset"):
            click(self.page, "btn_reset")
            self.count = 0
            self.healthy(0)

    def change_setting(self) -> None:
        """One more hidden unit: training restarts from step 0 and says so."""
        page = self.page
        with self.action("sidebar: Hidden units +1"):
            slider = page.locator(".st-key-n_hidden input[type='range']")
            before = int(slider.input_value())
            slider.focus()
            slider.press("ArrowRight")
            wait_for_rerun(page)
            assert int(slider.input_value()) == before + 1
            self.count = 0
            self.healthy(0)
            assert any(re.search("restart", t, re.I) for t in alert_texts(page)), alert_texts(page)

    def preset(self) -> None:
        page = self.page
        with self.action(f"Apply preset {PRESET!r}"):
            apply_preset(page, PRESET)
            self.count = 0
            self.healthy(0)
            texts = alert_texts(page)
            assert any(PRESET in t for t in texts), f"no lesson banner: {texts}"

    def run_comparison(self) -> None:
        page = self.page
        with self.action("Init lab: Run comparison"):
            charts = page.get_by_test_id("stVegaLiteChart")
            before = charts.count()
            click(page, "btn_lab")
            self.healthy(self.count)
            wait_until(lambda: charts.count() > before, timeout_s=10.0)
            charts.last.locator("canvas, svg.marks").first.wait_for()


# ---- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_every_action_works_in_view(app, subtests, view):
    seq = Sequence(app, subtests)
    seq.select(view)
    if view == "Init lab":
        seq.run_comparison()
    seq.step()
    seq.run_n()
    if view in RUN_VIEWS:
        # ◀ and ▶ live in the step views' picker: go to one for them, then come back.
        seq.select("Forward pass")
        seq.prev_next()
        seq.select(view)
    else:
        seq.prev_next()
    seq.play_pause()
    # Each restart below comes after steps, so that going back to 0 shows.
    seq.change_setting()
    seq.step()
    seq.preset()
    seq.step()
    seq.reset()


def choose_view_while_playing(page, view: str) -> int:
    """Click `view` until it stays chosen through a few ticks; return how many clicks were undone
    (the control went back to the view before). Ticks keep the script busy: don't wait for idle."""
    segment = page.locator(".st-key-view").get_by_role("radio", name=view, exact=True)
    for undone in range(3):
        segment.click()
        with contextlib.suppress(TimeoutError):
            wait_until(segment.is_checked, timeout_s=3.0)
        page.wait_for_timeout(1_500)  # a few ticks in this view
        if segment.is_checked():
            return undone
    pytest.fail(f"{view!r} could not be chosen while playing: 3 clicks were undone")


def test_switch_update_and_explain_while_playing(app):
    """Play on, then Update ↔ Explain a number twice over, then Pause. One sequence: the first
    crash ends it (it would repeat on every tick and fail every later check)."""
    seq = Sequence(app)
    page = seq.page
    show(page, "Update")
    click(page, "btn_step")
    seq.healthy(1)
    click(page, "btn_play")
    seq.healthy()
    assert button(page, "btn_pause").is_visible()
    undone = 0
    for view in ["Explain a number", "Update", "Explain a number", "Update"]:
        undone += choose_view_while_playing(page, view)
        seq.healthy()
        assert button(page, "btn_pause").is_visible(), "no Pause button while playing"
    click(page, "btn_pause")
    assert button(page, "btn_play").is_visible(), "Play did not come back"
    count = step_count(page)
    page.wait_for_timeout(1_200)
    seq.healthy(count)
    assert undone == 0, (
        f"{undone} of the view choices made while playing were undone (the Show control went "
        "back to the view before; a second click was needed)"
    )


def test_step_keeps_the_play_speed(app, subtests):
    """Pressing Step must not change the Play speed popover's choices."""
    seq = Sequence(app, subtests)
    page = seq.page
    with seq.action("the default, popover never opened"):
        # Opening the popover first would hide the fault, so the default is written out here.
        click(page, "btn_step")
        seq.healthy(1)
        assert tick_every(page) == "normal (0.5 s)"
    with seq.action("a speed chosen in the popover"):
        page.get_by_test_id("stPopoverButton").filter(has_text="Play speed").click()
        choose(page, "play_speed", "fast (0.25 s)")
        page.keyboard.press("Escape")
        count = step_count(page)
        click(page, "btn_step")
        seq.healthy(count + 1)
        assert tick_every(page) == "fast (0.25 s)"


def test_classroom_stays_open_after_apply_preset(app, subtests):
    """The teacher applies lesson after lesson from the open Classroom expander."""
    seq = Sequence(app, subtests)
    page = seq.page
    # Zero initialisation leaves the sidebar's layout as it is; "Learning rate too high" uses a
    # Normal init, so a "Std σ" field appears above the expander; "A good default" removes it.
    for title in [PRESET, "Learning rate too high", "A good default"]:
        with seq.action(f"Apply preset {title!r}"):
            click(page, "btn_step")
            apply_preset(page, title)
            seq.healthy(0)
            texts = alert_texts(page)
            assert any(title in t for t in texts), f"no lesson banner: {texts}"
            assert is_open(classroom(page)), "the Classroom expander closed"
