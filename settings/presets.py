"""Ready-made set-ups for the classic lessons of backpropagation.

Each preset fixes everything that decides the outcome (data, network, initial weights,
learning rate, batches), so every student who picks it sees the same numbers. Pure Python:
no Streamlit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from settings.schema import DEFAULT, LESSON_KEYS, as_values, config_from


@dataclass(frozen=True)
class Preset:
    """A lesson: the settings it fixes, what to look for and how many steps to run."""

    title: str
    values: Mapping[str, object]
    look_for: str
    suggested_steps: int


# Every preset starts from the sidebar's starting set-up (settings.schema's defaults) and changes
# only what its lesson is about, so comparing two presets shows the effect of exactly those
# settings. A preset sets every data, network and training setting, and nothing else (presenter
# mode and hidden sections stay as they are).
BASE: dict[str, object] = as_values(DEFAULT, LESSON_KEYS)


def _preset(title: str, look_for: str, suggested_steps: int, **changes: object) -> Preset:
    values = as_values(config_from(changes), LESSON_KEYS)
    return Preset(title, MappingProxyType(values), " ".join(look_for.split()), suggested_steps)


PRESETS: dict[str, Preset] = {
    "good-default": _preset(
        "A good default",
        """The training loss hovers near 0.5 for the first couple of hundred steps, then the
        hidden units specialise and it falls to about 0.1 by step 500. Standardised data,
        Xavier initial weights and η = 0.5 make each step large enough to make progress but
        small enough to stay safe.""",
        500,
    ),
    "lr-too-high": _preset(
        "Learning rate too high",
        """Step one at a time: every update overshoots, and the batch loss grows about a
        hundredfold per step (1.1, then 160, then about 14,000) until training stops at step 4
        because the loss exploded. The gradients are right; η = 10 just turns them into steps
        far longer than the valley the weights sit in.""",
        20,
        init_scheme="normal",
        init_scale=1.0,
        lr=10.0,
    ),
    "zero-init": _preset(
        "Zero initialisation",
        """All weights start at 0, W2 included, so at the first step δ1 = (δ2 W2ᵀ) ⊙ σ′(Z1)
        is 0 and W1 does not move. After that every hidden unit gets exactly the same gradient:
        the columns of W1 and the entries of W2 stay identical, three units act as one, and the
        loss stays near 0.5 instead of falling as with the good default.""",
        500,
        init_scheme="zeros",
    ),
    "saturated-sigmoid": _preset(
        "Saturated sigmoid",
        """With weights drawn with σ = 10, most hidden activations A1 start within 0.05 of 0 or
        1, where the sigmoid is flat: σ′(z) = A1(1 − A1) is almost 0, so δ1 and the W1 gradients
        are tiny. The loss drops at first because the output layer fixes its large starting
        error, then stalls near 0.46 while the good default reaches about 0.1 in 500 steps.""",
        500,
        init_scheme="normal",
        init_scale=10.0,
        init_seed=2,
    ),
    "batch-1": _preset(
        "Batch size 1",
        """Each step learns from a single training row, so the batch loss leaps up and down:
        one row's error says little about the whole set. The training loss is noisy too but
        comes down over the epochs (160 steps each here), to about 0.2 after 960 steps. Compare
        the full-batch preset, which uses the same η = 0.2.""",
        960,
        batch_size=1,
        lr=0.2,
    ),
    "full-batch": _preset(
        "Full batch",
        """Every step uses all 160 training rows, so the batch loss is the training loss and it
        falls smoothly, without jumps, to about 0.13 after 960 steps. But each step costs a
        whole epoch: in those 960 steps it went through the data 960 times, where batch size 1
        went through it 6 times.""",
        960,
        full_batch=True,
        lr=0.2,
    ),
    "worked-example": _preset(
        "A worked example by hand",
        """Two rows typed in, x = (1, 0) with y = 1 and x = (0, 1) with y = 0, and round starting
        weights: W1 has the rows (0.5, −0.5, 1) and (1, 0.5, −0.5), W2 = (1, −1, 0.5), both
        biases 0, and η = 0.5. Press Step once and check with a calculator: A1's first row is
        (0.6225, 0.3775, 0.7311), A2 = (0.6104, 0.2974), the loss 0.06004, δ2 = (−0.1948,
        0.1487) and ∇b2 = −0.04609.""",
        1,
        source="Type in",
        typed_columns=("x1", "x2", "y"),
        typed_rows=((1.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
        init_scheme="hand",
        init_weights=(0.5, -0.5, 1.0, 1.0, 0.5, -0.5, 0.0, 0.0, 0.0, 1.0, -1.0, 0.5, 0.0),
        standardise_inputs=False,
        standardise_target=False,
        test_fraction=0.0,
        full_batch=True,
        shuffle=False,
    ),
}


def preset_values(name: str) -> dict[str, object]:
    """A fresh dict of the preset's settings plus ``"preset": name`` (KeyError if unknown)."""
    return {**PRESETS[name].values, "preset": name}


def still_applies(name: str, values: Mapping[str, object]) -> bool:
    """Whether settings `values` are still lesson `name`'s: every setting it fixes is as it
    set it (a target and features the lesson leaves to the data's defaults may be anything)."""
    return all(
        values[key] == value
        for key, value in PRESETS[name].values.items()
        if not (key in ("target", "features") and not value)
    )
