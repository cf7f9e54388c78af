"""AppTest suite, part 4: the Classroom controls (lesson presets, share link, presenter mode)."""

from __future__ import annotations

import pytest
from app_helpers import (
    APP_FILE,
    TIMEOUT,
    click,
    errors,
    frame,
    infos,
    new_app,
    ok,
    setting,
    show,
    step,
    step_count,
    walk,
)
from streamlit.testing.v1 import AppTest

from settings.presets import PRESETS


def apply_preset(at, name: str):
    ok(at.selectbox(key="preset_choice").set_value(name).run())
    return click(at, "btn_preset")


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_preset_sets_its_values_and_shows_its_lesson(name):
    at = step(new_app(), 2)
    apply_preset(at, name)
    preset = PRESETS[name]
    for key, value in preset.values.items():
        if key in ("target", "features") and not value:
            continue  # left to the data's own defaults
        expected = tuple(value) if isinstance(value, list) else value
        assert setting(at, key) == expected, key
    assert at.number_input(key="run_n").value == preset.suggested_steps
    assert any(f"Lesson: {preset.title}" in text for text in infos(at))
    assert step_count(at) == 0  # applying a lesson always starts it from step 0
    before = step_count(at)
    step(at)
    assert step_count(at) == before + 1


def test_the_lesson_banner_goes_when_a_preset_setting_changes():
    at = apply_preset(new_app(), "batch-1")
    assert any("Lesson:" in text for text in infos(at))
    ok(at.slider(key="n_hidden").set_value(6).run())
    assert not any("Lesson:" in text for text in infos(at))


def test_the_learning_rate_lesson_diverges_as_it_says():
    at = click(apply_preset(new_app(), "lr-too-high"), "btn_run_n")
    assert step_count(at) == 3
    assert any("Training stopped at step 4" in text for text in errors(at))


def test_a_share_link_opens_the_same_run():
    at = new_app()
    ok(at.number_input(key="gen_m").set_value(50).run())
    ok(at.slider(key="n_hidden").set_value(5).run())
    ok(at.select_slider(key="lr").set_value(0.1).run())
    link = str(at.sidebar.code[0].value)
    query = dict(at.query_params)
    assert query == {"m": "50", "h": "5", "lr": "0.1"}
    assert link.endswith("?m=50&h=5&lr=0.1")
    step(at, 3)

    other = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    for key, value in query.items():
        other.query_params[key] = value
    show(ok(other.run()), "Forward pass")
    assert (setting(other, "gen_m"), setting(other, "n_hidden")) == (50, 5)
    assert setting(other, "lr") == 0.1
    step(other, 3)
    assert frame(other, "Z1").equals(frame(at, "Z1"))


def test_presenter_mode_hides_the_chosen_sections():
    at = new_app()
    ok(at.toggle(key="present").set_value(True).run())
    ok(at.multiselect(key="hide").set_value(["controls", "data"]).run())
    shown = {getattr(el, "key", None) for el in walk(at.main)} | {
        getattr(el, "key", None) for el in walk(at.sidebar)
    }
    assert not shown & {"btn_step", "btn_run_n", "source", "gen_m", "test_fraction"}
    assert {"n_hidden", "lr", "view"} <= shown
    ok(at.toggle(key="present").set_value(False).run())
    assert at.button(key="btn_step") is not None
    assert at.radio(key="source").value == "Generate"
