"""Every setting of the page, declared once: its default, range or options, label, help, link
name, section and whether changing it restarts training.

`Config` is the typed record of all settings (one field per setting); `SETTINGS` is the same
table as `Setting` rows, from which the sidebar draws its widgets, `settings.links` reads and
writes share links, `settings.presets` builds the lessons and `run_settings` makes the engine's
`RunSettings`. A new setting is one field here. Pure Python: no Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.datasets import GENERATORS
from core.experiment import HAND, RunSettings
from core.export import run_lengths
from core.network import INIT_SCHEMES, MAX_HIDDEN, MAX_INPUTS
from core.samples import SAMPLES

GENERATE, SAMPLE, UPLOAD, TYPED = "Generate", "Sample dataset", "Upload CSV", "Type in"
SOURCES = (GENERATE, SAMPLE, UPLOAD, TYPED)
SOURCE_CODES = {GENERATE: "generate", SAMPLE: "sample", UPLOAD: "upload", TYPED: "typed"}
HIDE_SECTIONS = ("data", "network", "training", "controls")
SECTIONS = ("data", "network", "training", "classroom")
LESSON_SECTIONS = ("data", "network", "training")  # what a preset sets and a run is made of
SCALED_SCHEMES = {"constant": "Constant value", "uniform": "Half-width a", "normal": "Std σ"}
SCHEME_LABELS = {
    "zeros": "Zeros",
    "constant": "Constant",
    "uniform": "Uniform(−a, a)",
    "normal": "Normal(0, σ²)",
    "xavier": "Xavier / Glorot",
    "he": "He",
    HAND: "By hand",
}
# The worked example a new "Type in" table starts from: two rows of x1, x2 and y.
EXAMPLE_COLUMNS = ("x1", "x2", "y")
EXAMPLE_ROWS = ((1.0, 0.0, 1.0), (0.0, 1.0, 0.0))
LR_OPTIONS: tuple[float, ...] = (
    *(1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05),
    *(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
)
SEED_MAX = 1_000_000
MAX_ETA_RUNS = 20  # the η changes a link carries (each a run of steps at one η)
MAX_ETA_STEPS = 100_000  # a session's history holds at most this many steps


@dataclass(frozen=True)
class Setting:
    """One row of the table. `kind` is how a value is typed and checked: "int" and "float" within
    [low, high] (a float on a `step` grid when step is set and `snap` is true), "bool", "choice"
    (one of `options`), "columns" (column names of the data) and "sections" (a subset of
    HIDE_SECTIONS). `widget` names the Streamlit widget the sidebar draws; `shown` and `disabled`
    say when, from the whole Config."""

    key: str
    label: str
    noun: str
    kind: str
    widget: str
    section: str
    link: str | None
    restarts: bool
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    snap: bool = False
    options: tuple = ()
    option_label: Callable[[Any], str] | None = None
    number_format: str | None = None
    help: str | None = None
    shown: Callable[[Config], bool] | None = None
    disabled: Callable[[Config], bool] | None = None


def _setting(default: Any, **meta: Any) -> Any:
    return field(default=default, metadata={"setting": meta})


def _is(key: str, value: object) -> Callable[[Config], bool]:
    return lambda c: getattr(c, key) == value


def _seed(label: str, noun: str, section: str, link: str, **meta: Any) -> Any:
    return _setting(0, label=label, noun=noun, kind="int", widget="number", section=section,
                    link=link, restarts=True, low=0, high=SEED_MAX, **meta)  # fmt: skip


# fmt: off
@dataclass(frozen=True)
class Config:
    """Every setting's value. Immutable: change one with `dataclasses.replace`."""

    # data
    source: str = _setting(GENERATE, label="Source", noun="data source", kind="choice",
        widget="radio", section="data", link="src", restarts=True, options=SOURCES)
    gen_name: str = _setting("sine", label="Function", noun="function", kind="choice",
        widget="select", section="data", link="fn", restarts=True, options=tuple(GENERATORS),
        option_label=lambda name: GENERATORS[name].label, shown=_is("source", GENERATE))
    gen_inputs: int = _setting(2, label="Inputs", noun="inputs", kind="int", widget="segmented",
        section="data", link="in", restarts=True, low=1, high=2, shown=_is("source", GENERATE))
    gen_m: int = _setting(200, label="Samples m", noun="samples m", kind="int", widget="number",
        section="data", link="m", restarts=True, low=10, high=100_000, step=50,
        shown=_is("source", GENERATE))
    gen_noise: float = _setting(0.05, label="Noise (std of y)", noun="noise", kind="float",
        widget="slider", section="data", link="noise", restarts=True, low=0.0, high=0.5,
        step=0.01, shown=_is("source", GENERATE))
    gen_seed: int = _seed("Data seed", "data seed", "data", "dseed", shown=_is("source", GENERATE))
    sample_name: str = _setting(next(iter(SAMPLES)), label="Dataset", noun="sample dataset",
        kind="choice", widget="select", section="data", link="sample", restarts=True,
        options=tuple(SAMPLES), option_label=lambda name: SAMPLES[name].title,
        shown=_is("source", SAMPLE))
    target: str | None = _setting(None, label="Target y", noun="target y", kind="columns",
        widget="select", section="data", link="target", restarts=True,
        shown=lambda c: c.source != GENERATE)
    features: tuple[str, ...] = _setting((), label=f"Features (1 to {MAX_INPUTS})",
        noun="features", kind="columns", widget="multiselect", section="data", link="feat",
        restarts=True, low=1, high=MAX_INPUTS, shown=lambda c: c.source != GENERATE)
    typed_columns: tuple[str, ...] = _setting(EXAMPLE_COLUMNS, label="Column names",
        noun="typed column names", kind="names", widget="none", section="data", link="cols",
        restarts=True, shown=_is("source", TYPED))
    typed_rows: tuple[tuple[float, ...], ...] = _setting(EXAMPLE_ROWS, label="Rows",
        noun="typed rows", kind="rows", widget="none", section="data", link="rows",
        restarts=True, shown=_is("source", TYPED))
    test_fraction: float = _setting(0.2, label="Test share", noun="test share", kind="float",
        widget="slider", section="data", link="test", restarts=True, low=0.0, high=0.5,
        step=0.05, snap=True)
    split_seed: int = _seed("Split seed", "split seed", "data", "sseed")
    standardise_inputs: bool = _setting(True, label="Standardise inputs",
        noun="standardise inputs", kind="bool", widget="toggle", section="data", link="stdx",
        restarts=True,
        help="Subtract the training mean and divide by the training std of each input.")
    standardise_target: bool = _setting(True, label="Standardise target",
        noun="standardise target", kind="bool", widget="toggle", section="data", link="stdy",
        restarts=True, help="Also scale y; losses are then in standardised units.")
    # network
    n_hidden: int = _setting(3, label="Hidden units", noun="hidden units", kind="int",
        widget="slider", section="network", link="h", restarts=True, low=1, high=MAX_HIDDEN)
    init_scheme: str = _setting("xavier", label="Initialisation", noun="initialisation",
        kind="choice", widget="select", section="network", link="init", restarts=True,
        options=(*INIT_SCHEMES, HAND), option_label=SCHEME_LABELS.__getitem__)
    init_scale: float = _setting(0.1, label="Scale", noun="initial weight scale", kind="float",
        widget="number", section="network", link="scale", restarts=True, low=0.0, high=100.0,
        step=0.05, number_format="%.3f", shown=lambda c: c.init_scheme in SCALED_SCHEMES)
    init_seed: int = _seed("Weight seed", "weight seed", "network", "wseed",
        shown=lambda c: c.init_scheme != HAND)
    init_weights: tuple[float, ...] = _setting((), label="Weights by hand",
        noun="weights by hand", kind="weights", widget="none", section="network", link="w",
        restarts=True, shown=_is("init_scheme", HAND))
    # training
    lr: float = _setting(0.5, label="Learning rate η", noun="learning rate", kind="choice",
        widget="select_slider", section="training", link="lr", restarts=False,
        options=LR_OPTIONS, option_label=lambda v: f"{v:g}",
        help="Changing it does not restart training; each step records its own η.")
    eta: tuple[tuple[int, float], ...] = _setting((), label="η of the first steps",
        noun="η of the first steps", kind="schedule", widget="none", section="training",
        link="eta", restarts=False)
    full_batch: bool = _setting(False, label="Full batch", noun="full batch", kind="bool",
        widget="toggle", section="training", link="full", restarts=True)
    batch_size: int = _setting(16, label="Batch size", noun="batch size", kind="int",
        widget="number", section="training", link="bs", restarts=True, low=1, high=100_000,
        disabled=lambda c: c.full_batch)
    shuffle: bool = _setting(True, label="Shuffle every epoch", noun="shuffling", kind="bool",
        widget="toggle", section="training", link="shuf", restarts=True)
    shuffle_seed: int = _seed("Shuffle seed", "shuffle seed", "training", "bseed",
        disabled=lambda c: not c.shuffle)
    # classroom
    preset: str | None = _setting(None, label="Lesson", noun="preset", kind="preset",
        widget="none", section="classroom", link="preset", restarts=False)
    present: bool = _setting(False, label="Presenter mode", noun="presenter mode", kind="bool",
        widget="toggle", section="classroom", link="present", restarts=False,
        help="Larger text for a projector.")
    hide: tuple[str, ...] = _setting((), label="Hide when presenting", noun="hidden sections",
        kind="sections", widget="multiselect", section="classroom", link="hide",
        restarts=False, options=HIDE_SECTIONS,
        help="These parts of the page are left out in presenter mode.")
# fmt: on


SETTINGS: dict[str, Setting] = {
    f.name: Setting(key=f.name, default=f.default, **f.metadata["setting"]) for f in fields(Config)
}
LESSON_KEYS: tuple[str, ...] = tuple(k for k, s in SETTINGS.items() if s.section in LESSON_SECTIONS)
LIST_KEYS = frozenset(
    k for k, s in SETTINGS.items() if s.widget == "multiselect" or s.kind == "names"
)
DEFAULT = Config()


def config_from(values: Mapping[str, object], base: Config = DEFAULT) -> Config:
    """`base` with the given settings replaced (lists become tuples; unknown keys are an error)."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise KeyError(f"Unknown settings: {sorted(unknown)}")
    return replace(base, **{k: _typed(k, v) for k, v in values.items()})


def _typed(key: str, value: object) -> object:
    """A setting's value in its record's form: tuples, never lists (a Config is hashable)."""
    kind = SETTINGS[key].kind
    if kind in ("rows", "schedule"):
        return tuple(tuple(row) for row in value)  # type: ignore[union-attr]
    if key in LIST_KEYS or kind == "weights":
        return tuple(value)  # type: ignore[arg-type]
    return value


def as_values(config: Config, keys: tuple[str, ...] | None = None) -> dict[str, object]:
    """The settings as a plain dict (tuples as lists, as widgets and links hold them)."""
    chosen = SETTINGS if keys is None else keys
    return {k: list(v) if k in LIST_KEYS else v for k in chosen for v in (getattr(config, k),)}


def shown(setting: Setting, config: Config) -> bool:
    return setting.shown is None or setting.shown(config)


def scale_label(config: Config) -> str:
    """The initial-scale input's label says what the number means for the chosen scheme."""
    return SCALED_SCHEMES.get(config.init_scheme, SETTINGS["init_scale"].label)


def gen_inputs_options(config: Config) -> tuple[int, ...]:
    """The numbers of inputs the chosen function takes."""
    return tuple(n for n in (1, 2) if n in GENERATORS[config.gen_name].n_inputs)


def run_settings(config: Config) -> RunSettings:
    """What the engine needs to build a run (the data aside), from the settings of that name."""
    values = {f.name: getattr(config, f.name) for f in fields(RunSettings)}
    values["init_scale"] = config.init_scale if config.init_scheme in SCALED_SCHEMES else None
    values["init_weights"] = config.init_weights if config.init_scheme == HAND else None
    values["batch_size"] = None if config.full_batch else config.batch_size
    return RunSettings(**values)


def changed(old: Config, new: Config, restarting_only: bool = False) -> list[str]:
    """The nouns of the settings that differ, in table order."""
    return [
        s.noun
        for key, s in SETTINGS.items()
        if getattr(old, key) != getattr(new, key) and (s.restarts or not restarting_only)
    ]


def lr_segments(config: Config, first_step: int, n: int) -> list[tuple[int, float]]:
    """The learning rates of steps first_step .. first_step + n - 1 as (count, η) runs: the
    steps `config.eta` lists take its η, every later step `config.lr`."""
    segments: list[tuple[int, float]] = []
    end = first_step + n  # one past the last step
    start = 1
    for count, lr in config.eta:
        lo, hi = max(first_step, start), min(end, start + count)
        if hi > lo:
            segments.append((hi - lo, lr))
        start += count
    if end > max(first_step, start):
        segments.append((end - max(first_step, start), config.lr))
    return segments


def eta_runs(lrs: list[float] | tuple[float, ...], current: float) -> tuple[tuple[int, float], ...]:
    """The η of the steps taken so far as (count, η) runs; () when every one was `current`."""
    runs = run_lengths(lrs)
    return () if all(lr == current for _, lr in runs) else tuple(runs)


def describe_eta(config: Config) -> str:
    """The η schedule in words, e.g. "steps 1–120 at η = 0.5, then 0.1 from step 121"."""
    parts, start = [], 1
    for count, lr in config.eta:
        parts.append(f"steps {start:,}–{start + count - 1:,} at η = {lr:g}")
        start += count
    return ", ".join(parts) + f", then {config.lr:g} from step {start:,}"
