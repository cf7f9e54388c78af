"""What a session keeps on the server: shared read-only data, a small history while it is short,
no trainers of the init lab, and each session's own data stays its own."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import click, new_app, show, step


def _run(at):
    return at.session_state["app"].run


def test_sessions_with_the_same_generated_data_share_one_read_only_copy():
    first, second = new_app(view=None), new_app(view=None)
    a, b = _run(first).experiment, _run(second).experiment
    assert a is b  # prepared once for both
    for array in (a.dataset.X, a.split.X_train, a.split.y_test, a.X_train, a.y_train, a.X_test):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1.0
    assert _run(first).trainer is not _run(second).trainer  # training stays per session
    step(first, 3)
    assert _run(first).trainer.step_count == 3 and _run(second).trainer.step_count == 0


def test_other_settings_get_other_data_and_typed_in_data_is_not_shared():
    first, second = new_app(view=None), new_app(view=None)
    assert not second.number_input(key="gen_seed").set_value(5).run().exception
    assert _run(first).experiment is not _run(second).experiment
    assert not np.array_equal(_run(first).experiment.dataset.X, _run(second).experiment.dataset.X)
    for at in (first, second):
        assert not at.radio(key="source").set_value("Type in").run().exception
        assert _run(at).data_key[0] == "Type in"
    assert _run(first).experiment is not _run(second).experiment


def test_a_short_history_is_small():
    at = step(new_app(view=None), 10)
    assert _run(at).trainer.history.nbytes < 20_000  # not a whole 4,096-row chunk (557 kB)


def test_the_init_lab_keeps_its_curves_but_not_its_trainers():
    at = show(new_app(view=None), "Init lab")
    click(at, "btn_lab")
    runs = at.session_state["app"].lab.runs
    assert runs and all(run.trainer is None for run in runs)
    assert all(len(run.train_loss) > 1 for run in runs)
    assert at.get("vega_lite_chart")  # the lab's chart is drawn from what it kept
