"""Every lesson's text quotes numbers the page shows when the lesson is followed as it says."""

from __future__ import annotations

import re

import pytest
from app_helpers import click, errors, metrics, new_app, ok, step

from settings.presets import PRESETS


def follow(name: str):
    """Apply the lesson, then run its suggested steps with Run N (the preset sets N)."""
    at = new_app()
    ok(at.selectbox(key="preset_choice").set_value(name).run())
    click(at, "btn_preset")
    assert at.number_input(key="run_n").value == PRESETS[name].suggested_steps
    return click(at, "btn_run_n")


def shown(at, label: str) -> float:
    return float(metrics(at)[label].replace(",", ""))


def quoted(name: str, pattern: str) -> float:
    """The number the lesson's text quotes where `pattern` (with one group) matches."""
    match = re.search(pattern, PRESETS[name].look_for)
    assert match, (name, pattern)
    return float(match.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("name", "pattern", "label", "rel"),
    [
        ("good-default", r"falls to about ([\d.]+) by step 500", "Train loss", 0.5),
        ("zero-init", r"loss stays near ([\d.]+)", "Train loss", 0.15),
        ("saturated-sigmoid", r"stalls near ([\d.]+)", "Train loss", 0.1),
        ("batch-1", r"to about ([\d.]+) after 960 steps", "Train loss", 0.3),
        ("full-batch", r"to about ([\d.]+) after 960 steps", "Train loss", 0.2),
    ],
)
def test_the_loss_a_lesson_quotes_is_the_loss_the_page_shows(name, pattern, label, rel):
    at = follow(name)
    assert shown(at, "Step") == PRESETS[name].suggested_steps
    assert shown(at, label) == pytest.approx(quoted(name, pattern), rel=rel)


def test_learning_rate_too_high_shows_the_batch_losses_its_text_quotes():
    name = "lr-too-high"
    at = new_app()
    ok(at.selectbox(key="preset_choice").set_value(name).run())
    click(at, "btn_preset")
    text = PRESETS[name].look_for
    first, second, third = re.search(
        r"\(([\d.,]+), then ([\d.,]+), then about ([\d.,]+)\)", text
    ).groups()
    for expected in (first, second, third):
        step(at)
        assert shown(at, "Batch loss") == pytest.approx(float(expected.replace(",", "")), rel=0.05)
    stop_step = int(re.search(r"stops at step (\d+)", text).group(1))
    step(at)
    assert any(f"Training stopped at step {stop_step}" in e for e in errors(at))
    assert shown(at, "Step") == stop_step - 1


def test_full_batch_uses_the_training_rows_its_text_quotes():
    at = follow("full-batch")
    rows = int(re.search(r"all (\d+) training rows", PRESETS["full-batch"].look_for).group(1))
    assert metrics(at)["Batch"] == "1 of 1"
    step(at)
    assert f"m = {rows} rows" in " ".join(str(c.value) for c in at.caption)
