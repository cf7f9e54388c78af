"""The lesson presets: well-formed, link-safe, and each one really shows what its text promises."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest

from core.datasets import generate
from core.experiment import Experiment, RunSettings, prepare
from core.network import forward
from core.trainer import Trainer
from settings.links import from_query, to_query
from settings.presets import PRESETS, Preset, preset_values

# What decides a run's outcome: every preset sets all of these.
RUN_KEYS = {
    "source", "gen_name", "gen_inputs", "gen_m", "gen_noise", "gen_seed", "test_fraction",
    "split_seed", "standardise_inputs", "standardise_target", "n_hidden", "init_scheme",
    "init_scale", "init_seed", "batch_size", "full_batch", "shuffle", "shuffle_seed", "lr",
}  # fmt: skip
LESSONS = ("good-default", "lr-too-high", "zero-init", "saturated-sigmoid", "batch-1", "full-batch")


def build(values) -> tuple[Experiment, Trainer]:
    """The run the dashboard builds from these widget values (as ui.state does)."""
    scheme = values["init_scheme"]
    data = generate(
        values["gen_name"],
        values["gen_m"],
        values["gen_noise"],
        values["gen_seed"],
        values["gen_inputs"],
    )
    settings = RunSettings(
        test_fraction=values["test_fraction"],
        split_seed=values["split_seed"],
        standardise_inputs=values["standardise_inputs"],
        standardise_target=values["standardise_target"],
        n_hidden=values["n_hidden"],
        init_scheme=scheme,
        init_scale=values["init_scale"] if scheme in ("constant", "uniform", "normal") else None,
        init_seed=values["init_seed"],
        batch_size=None if values["full_batch"] else values["batch_size"],
        shuffle=values["shuffle"],
        shuffle_seed=values["shuffle_seed"],
    )
    experiment = prepare(data, settings)
    return experiment, experiment.new_trainer()


@cache
def trained(name: str) -> tuple[Experiment, Trainer]:
    """The preset's run after its suggested steps (shared by the tests; do not change it)."""
    experiment, trainer = build(PRESETS[name].values)
    trainer.run(PRESETS[name].suggested_steps, PRESETS[name].values["lr"])
    return experiment, trainer


def final_train_loss(name: str) -> float:
    return float(trained(name)[1].history.column("train_loss")[-1])


# ---- well-formed --------------------------------------------------------------------------------


def test_the_classic_lessons_are_there_in_order():
    assert tuple(PRESETS)[: len(LESSONS)] == LESSONS


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_is_complete_immutable_and_plainly_explained(name):
    preset = PRESETS[name]
    assert isinstance(preset, Preset)
    assert set(preset.values) >= RUN_KEYS
    assert preset.title and preset.title[0].isupper()
    assert isinstance(preset.suggested_steps, int) and 1 <= preset.suggested_steps <= 2_000
    sentences = re.findall(r"[^.!?]+(?:[.!?](?=\s|$))", preset.look_for)
    assert 2 <= len(sentences) <= 3, sentences
    assert not re.search(r"[*_`#<>\[\]$\\]", preset.look_for)
    assert "  " not in preset.look_for and "\n" not in preset.look_for
    with pytest.raises(AttributeError):
        preset.title = "x"
    with pytest.raises(TypeError):
        preset.values["lr"] = 1.0


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_values_pass_the_link_check_unchanged(name):
    values = dict(PRESETS[name].values)
    parsed = from_query(to_query(values))
    assert parsed.notices == []
    assert {key: parsed.values[key] for key in values} == values
    for key, value in values.items():
        assert type(parsed.values[key]) is type(value), key
    with_name = from_query(to_query(preset_values(name)))
    assert with_name.notices == [] and with_name.values["preset"] == name
    assert {key: with_name.values[key] for key in values} == values


def test_preset_values_gives_a_fresh_dict_each_time():
    first = preset_values("good-default")
    first["lr"] = 0.01
    assert preset_values("good-default")["lr"] == 0.5
    with pytest.raises(KeyError):
        preset_values("no-such-lesson")


# ---- each preset tells its story ------------------------------------------------------------


def test_good_default_halves_the_training_loss_and_more():
    _, trainer = trained("good-default")
    assert trainer.divergence is None
    assert final_train_loss("good-default") < 0.5 * trainer.initial_metrics.train.loss
    assert final_train_loss("good-default") < 0.15  # "about 0.1 by step 500"


def test_good_default_matches_the_sidebar_defaults():
    values = PRESETS["good-default"].values
    assert (values["gen_name"], values["init_scheme"], values["lr"], values["batch_size"]) == (
        "sine",
        "xavier",
        0.5,
        16,
    )
    assert (
        from_query({}).values | {"preset": "good-default"}
        == from_query({"preset": "good-default"}).values
    )


def test_learning_rate_too_high_diverges_within_its_suggested_steps():
    preset = PRESETS["lr-too-high"]
    assert preset.values["lr"] == 10.0 and preset.values["standardise_inputs"]
    _, trainer = trained("lr-too-high")
    assert trainer.divergence is not None
    assert trainer.divergence.step == 4  # as the text says
    losses = trainer.history.column("batch_loss")
    np.testing.assert_allclose(losses, [1.1, 160, 14_000], rtol=0.05)


def test_zero_initialisation_keeps_the_hidden_units_identical():
    assert PRESETS["zero-init"].values["init_scheme"] == "zeros"
    _, fresh = build(PRESETS["zero-init"].values)
    assert not fresh.params.W2.any()  # W2 starts at 0 too
    first = fresh.step(PRESETS["zero-init"].values["lr"])
    assert first is not None and not first.grads.dW1.any()  # so W1 cannot move at step 1
    _, trainer = trained("zero-init")
    W1, b1, W2, _ = trainer.params
    assert trainer.step_count == PRESETS["zero-init"].suggested_steps
    assert W1.any() and W2.any()  # they did learn...
    # Bit-identical hidden units: each row of W1, and b1 and W2, has a single value.
    assert not np.ptp(W1, axis=1).any() and np.ptp(b1) == 0 and np.ptp(W2) == 0
    assert 0.4 < final_train_loss("zero-init") < 0.6  # "stays near 0.5"


def test_saturated_sigmoid_starts_saturated_and_stalls():
    experiment, fresh = build(PRESETS["saturated-sigmoid"].values)
    A1 = forward(fresh.params, experiment.X_train).A1
    saturated = (A1 < 0.05) | (A1 > 0.95)
    assert saturated.mean() > 0.5
    loss = final_train_loss("saturated-sigmoid")
    assert 0.4 < loss < 0.5  # "stalls near 0.46"
    assert loss > 2 * final_train_loss("good-default")  # same steps, far less progress
    assert PRESETS["saturated-sigmoid"].suggested_steps == PRESETS["good-default"].suggested_steps


def test_batch_size_one_is_noisier_than_full_batch_at_the_same_learning_rate():
    one, full = PRESETS["batch-1"], PRESETS["full-batch"]
    assert one.values["lr"] == full.values["lr"]
    assert one.values["batch_size"] == 1 and not one.values["full_batch"]
    assert full.values["full_batch"]
    assert {k: v for k, v in one.values.items() if k not in ("batch_size", "full_batch")} == {
        k: v for k, v in full.values.items() if k not in ("batch_size", "full_batch")
    }

    def roughness(name: str) -> float:
        return float(np.std(np.diff(trained(name)[1].history.column("batch_loss"))))

    assert roughness("batch-1") > 10 * roughness("full-batch")
    assert trained("batch-1")[1].divergence is None and trained("full-batch")[1].divergence is None
    # The numbers the texts quote: about 0.2 and about 0.13 after 960 steps.
    assert 0.15 < final_train_loss("batch-1") < 0.3
    assert 0.1 < final_train_loss("full-batch") < 0.16
    experiment, _ = trained("full-batch")
    assert experiment.X_train.shape[0] == 160  # "all 160 training rows"
