"""The settings table: one row per setting, and everything else derived from it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from core.experiment import RunSettings
from settings.links import QUERY_NAMES, from_query, to_query
from settings.presets import PRESETS
from settings.schema import (
    DEFAULT,
    LESSON_KEYS,
    SCALED_SCHEMES,
    SETTINGS,
    Config,
    as_values,
    changed,
    config_from,
    describe_eta,
    eta_runs,
    lr_segments,
    run_settings,
)

KINDS = {"int", "float", "bool", "choice", "columns", "sections", "preset", "schedule", "names",
         "rows", "weights"}  # fmt: skip
WIDGETS = {"radio", "select", "segmented", "number", "slider", "toggle", "select_slider",
           "multiselect", "none"}  # fmt: skip


def test_every_field_of_config_is_one_setting_row_and_back():
    assert [f.name for f in fields(Config)] == list(SETTINGS)
    for key, s in SETTINGS.items():
        assert s.key == key and s.default == getattr(DEFAULT, key)
        assert s.kind in KINDS and s.widget in WIDGETS, key
        assert s.label and s.noun == s.noun.lower(), key


@pytest.mark.parametrize("key", [k for k, s in SETTINGS.items() if s.kind in ("int", "float")])
def test_numeric_defaults_lie_in_their_range(key):
    s = SETTINGS[key]
    assert s.low <= s.default <= s.high


@pytest.mark.parametrize("key", [k for k, s in SETTINGS.items() if s.kind == "choice"])
def test_choice_defaults_are_options(key):
    assert SETTINGS[key].default in SETTINGS[key].options


def test_link_names_come_from_the_table():
    assert {k: s.link for k, s in SETTINGS.items() if s.link} | {"preset": "preset"} == QUERY_NAMES
    assert next(iter(QUERY_NAMES)) == "preset"  # a link names its lesson first


def test_presets_set_exactly_the_lesson_settings():
    assert set(LESSON_KEYS) == {k for k, s in SETTINGS.items() if s.section != "classroom"}
    for preset in PRESETS.values():
        assert tuple(preset.values) == LESSON_KEYS


def test_only_the_learning_rate_and_the_classroom_settings_keep_the_run():
    keep = {k for k, s in SETTINGS.items() if not s.restarts}
    assert keep == {"lr", "eta", "preset", "present", "hide"}


def test_run_settings_are_the_settings_of_the_same_name():
    settings = run_settings(DEFAULT)
    for f in fields(RunSettings):
        if f.name not in ("init_scale", "init_weights"):
            assert getattr(settings, f.name) == getattr(DEFAULT, f.name), f.name
    assert settings.init_scale is None and settings.init_weights is None  # Xavier: neither


def test_full_batch_is_none_not_a_large_number():
    assert run_settings(config_from({"full_batch": True})).batch_size is None
    assert run_settings(config_from({"batch_size": 7})).batch_size == 7


@pytest.mark.parametrize("scheme", sorted(SCALED_SCHEMES))
def test_the_scale_travels_only_with_a_scheme_that_uses_it(scheme):
    config = config_from({"init_scheme": scheme, "init_scale": 2.5})
    assert run_settings(config).init_scale == 2.5


def test_config_is_immutable_and_lists_become_tuples():
    config = config_from({"features": ["a", "b"], "hide": ["data"]})
    assert config.features == ("a", "b") and config.hide == ("data",)
    assert as_values(config)["features"] == ["a", "b"]
    with pytest.raises(AttributeError):
        config.lr = 1.0  # type: ignore[misc]
    with pytest.raises(KeyError):
        config_from({"no_such_setting": 1})


def test_changed_names_settings_in_words():
    old, new = DEFAULT, config_from({"n_hidden": 5, "init_scheme": "normal", "lr": 0.1})
    assert changed(old, new) == ["hidden units", "initialisation", "learning rate"]
    assert changed(old, new, restarting_only=True) == ["hidden units", "initialisation"]


def test_the_defaults_travel_as_an_empty_link():
    assert to_query(as_values(DEFAULT)) == {}
    assert config_from(from_query({}).values) == DEFAULT


def test_lr_segments_follow_the_eta_of_the_first_steps_then_the_current_eta():
    config = config_from({"eta": ((3, 0.5), (2, 0.1)), "lr": 0.2})
    assert lr_segments(config, 1, 10) == [(3, 0.5), (2, 0.1), (5, 0.2)]
    assert lr_segments(config, 3, 2) == [(1, 0.5), (1, 0.1)]
    assert lr_segments(config, 6, 4) == [(4, 0.2)]
    assert lr_segments(DEFAULT, 1, 7) == [(7, 0.5)]
    assert (
        describe_eta(config) == "steps 1–3 at η = 0.5, steps 4–5 at η = 0.1, then 0.2 from step 6"
    )


def test_eta_runs_are_empty_when_every_step_used_the_current_eta():
    assert eta_runs([0.5, 0.5], 0.5) == ()
    assert eta_runs([0.5, 0.5, 0.1], 0.2) == ((2, 0.5), (1, 0.1))
    assert eta_runs([], 0.2) == ()
