"""All per-user state, in one place: `st.session_state["app"]`, made by one initialiser.

App state lives under that one key, which no widget owns, so Streamlit never removes it (it
removes the keys of widgets a full run did not draw, and a later fragment-only rerun would then
find them missing). Widgets keep their own keys: `bind` writes the app's value into the widget's
key just before the widget is drawn and copies the widget's new value back in its on_change
callback. Nothing else reads a widget key. Buttons act in on_click callbacks.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.chalkboard import typed_table
from core.datasets import Dataset, generate
from core.experiment import HAND, Experiment, RunSettings, prepare
from core.explain import EXPLAINABLE
from core.initlab import LabRun
from core.loader import DataError, Table, default_columns, read_table, to_dataset
from core.network import MAX_INPUTS, init_params
from core.samples import SAMPLES, load_sample
from core.trainer import Trainer
from settings.links import from_query, to_query
from settings.presets import PRESETS, still_applies
from settings.schema import (
    DEFAULT,
    GENERATE,
    LESSON_KEYS,
    SAMPLE,
    SETTINGS,
    TYPED,
    UPLOAD,
    Config,
    as_values,
    changed,
    config_from,
    eta_runs,
    gen_inputs_options,
    lr_segments,
    run_settings,
)

# A typed-in example starts as on the board: raw numbers, every row in every step, in order.
CHALKBOARD = {
    "standardise_inputs": False,
    "standardise_target": False,
    "test_fraction": 0.0,
    "full_batch": True,
    "shuffle": False,
}
PLAY_INTERVALS = {"slow (1 s)": 1.0, "normal (0.5 s)": 0.5, "fast (0.25 s)": 0.25}
PLAY_STEPS = (1, 5, 25, 100)
MAX_RUN_STEPS = 20_000
PRESS_SECONDS = 2.0  # the longest one press may train
CHUNK_STEPS = 256  # steps between looks at the clock
STEP_VIEWS = (
    "Storyboard",
    "Forward pass",
    "Backward pass",
    "Update",
    "Explain a number",
    "One sample",
    "Loss landscape",
    "Gradient check",
    "Exercise",
    "Export",
)
RUN_VIEWS = ("Network & units", "Init lab")
VIEWS = (*STEP_VIEWS, *RUN_VIEWS)
ANY_EXERCISE = "any of Z1, A1, δ2, δ1"
DEFAULT_LAB_CHOICES = ("zeros", "small normal", "xavier", "large normal")


@dataclass
class PageChoices:
    """What the reader chose on the page that no link carries (each has a widget of its name)."""

    view: str = STEP_VIEWS[0]
    follow_latest: bool = True
    pick_step: int = 1
    full_precision: bool = False
    loss_scale: str = "auto"
    run_n: int = 100
    play_speed: str = "normal (0.5 s)"
    play_steps: int = 1
    preset_choice: str = "good-default"
    classroom_open: bool = False
    explain_matrix: str = EXPLAINABLE["Z1"]
    explain_row: int = 0
    explain_col: int = 0
    ex_kind: str = ANY_EXERCISE
    ex_answer: str = ""
    lab_choices: list[str] = field(default_factory=lambda: list(DEFAULT_LAB_CHOICES))
    lab_steps: int = 300
    weights_draft: tuple[float, ...] = ()  # the hand-weights editors' numbers, once valid
    story_pick: tuple[str, int, int] | None = None  # the storyboard cell last clicked
    story_expanded: bool = False  # the storyboard shows all the batch's rows
    sample_row: int = 0  # the batch row (0-based) of the One sample view
    sample_pick: tuple[str, int, int] | None = None  # the storyboard pick it last followed
    land_mode: str = "PCA of the path"  # how the loss landscape's slice is chosen
    land_params: tuple[str, str] = ("W1[1,1]", "W2[1]")  # its two parameters, in that mode
    land_seed: int = 0  # its random directions' seed
    land_grid: int = 41  # points per side of its grid


@dataclass(frozen=True)
class Upload:
    """An uploaded table; `digest` (of the file's bytes) tells a corrected file from the old."""

    table: Table
    name: str
    digest: str


@dataclass
class Run:
    """The current run: what it was built from, the prepared data and the trainer."""

    data_key: tuple
    settings: RunSettings
    experiment: Experiment
    trainer: Trainer


@dataclass
class Exercise:
    seed: int = 0
    check: Any = None
    revealed: bool = False
    shown_for: tuple | None = None


@dataclass
class InitLab:
    runs: tuple[LabRun, ...] | None = None
    error: str = ""
    made_for: tuple | None = None


@dataclass
class App:
    """Everything one session holds."""

    config: Config
    page: PageChoices = field(default_factory=PageChoices)
    run: Run | None = None
    upload: Upload | None = None
    playing: bool = False
    page_timer: tuple = ()  # (playing, speed) of the last full run, which set the panel's timer
    session_token: str = field(default_factory=lambda: secrets.token_hex(8))
    presses: dict[str, int] = field(default_factory=dict)  # button key -> presses carried out
    widget_versions: dict[str, int] = field(default_factory=dict)  # see bind()
    notice: str = ""
    build_error: str = ""
    upload_error: str = ""
    link_notices: list[str] = field(default_factory=list)
    exercise: Exercise = field(default_factory=Exercise)
    lab: InitLab = field(default_factory=InitLab)
    landscape: Any = None  # the loss landscape last computed (views.landscape_view.Computed)


def init_state() -> App:
    """The session's App: made once from the link (if it has settings), with its first run."""
    ss = st.session_state
    if "app" not in ss:
        parsed = from_query({name: st.query_params.get_all(name) for name in st.query_params})
        app = App(config=config_from(parsed.values), link_notices=parsed.notices)
        app.config = _with_columns(app, app.config, fresh=not app.config.features)
        ss["app"] = app
    app: App = ss["app"]
    if app.run is None:
        sync_run()
        if app.run is None and requested_data_key(app) is not None:  # the link's set-up failed
            app.link_notices.append(
                f"The link's set-up could not be used: {app.build_error} The default set-up is "
                "used instead."
            )
            app.config = DEFAULT
            sync_run()
    return app


def get() -> App:
    return st.session_state["app"]


def trainer() -> Trainer:
    return get().run.trainer


# ---- widgets bound to the app state -----------------------------------------------------------


def bind(
    name: str,
    key: str | None = None,
    then=None,
    value: Any = None,
    transform=None,
    always: bool = False,
    rekey: bool = False,
) -> dict[str, Any]:
    """Keyword arguments for the widget of setting or page choice `name` (its key is based on
    `key`, by default the name): the widget shows the app's value (or `value`), and a change is
    copied back (through `transform`, which turns the widget's value into settings, if given).

    With `rekey`, a value the app changed itself (◀ turns off "Follow the latest step") gives
    the widget a new key: a rerun the browser sent before it saw the change (a Play tick, the
    press counter's report) still carries the old value, which must not count as the user's
    choice. `always` writes the value on every run, for widgets the browser may not keep
    (inside a closed popover)."""
    base = key or name
    app = get()
    if value is None:
        value = getattr(app.config if name in SETTINGS else app.page, name)
    shown = list(value) if isinstance(value, tuple) else value
    version = app.widget_versions.get(base, 0)
    key = f"{base}__{version}" if version else base
    if rekey and key in st.session_state and st.session_state[key] != shown:
        version += 1
        app.widget_versions[base] = version
        key = f"{base}__{version}"
    # Written only when new or changed: a write makes Streamlit push the value to the browser on
    # this run, which would undo a choice the user made while this run was on its way.
    if always or key not in st.session_state or st.session_state[key] != shown:
        st.session_state[key] = shown
    return {"key": key, "on_change": _copy_back, "args": (name, key, then, transform)}


def _copy_back(name: str, key: str, then, transform) -> None:
    base, _, version = key.partition("__")
    if int(version or 0) != get().widget_versions.get(base, 0):
        return  # a widget the app has since re-keyed: the browser's value is stale
    value = st.session_state[key]
    if transform is not None:
        values = transform(value)
        if values:
            set_settings(values)
    elif name in SETTINGS:
        set_settings({name: value})
    elif value is not None:  # no page choice is ever "nothing"
        setattr(get().page, name, value)
    if then is not None:
        then()


def set_settings(values: dict[str, object]) -> None:
    """Change settings; choices that depend on others follow (inputs, target and features)."""
    app = get()
    old = app.config
    new = config_from(values, old)
    data_changed = any(k in values for k in ("source", "sample_name")) and (
        new.source != old.source or new.sample_name != old.sample_name
    )
    if values.get("source") == TYPED and old.source != TYPED:
        new = config_from(CHALKBOARD, new)
    new = _with_columns(app, new, fresh=data_changed)
    chosen_now = new.init_scheme == HAND != old.init_scheme and "init_weights" not in values
    new = _with_hand_weights(app, new, fresh=chosen_now)
    if "lr" in values and "eta" not in values and app.run is not None:
        # From now on this η: the link's (or earlier) η schedule shrinks to the steps taken.
        lrs = app.run.trainer.history.column("lr")
        new = config_from({"eta": eta_runs(list(lrs), new.lr)}, new)
    lesson_changed = new.preset is not None and any(k in LESSON_KEYS for k in values)
    if lesson_changed and not still_applies(new.preset, as_values(new, LESSON_KEYS)):
        new = config_from({"preset": None}, new)
    app.config = new


def _with_columns(app: App, config: Config, fresh: bool) -> Config:
    """The function's inputs, and target and features that exist in the chosen table (its
    default choice when `fresh` or when the current choice does not fit it)."""
    values: dict[str, object] = {}
    options = gen_inputs_options(config)
    if config.gen_inputs not in options:
        values["gen_inputs"] = options[-1]
    table = current_table(app, config)
    if config.source != GENERATE and table is not None:
        columns = list(table.frame.columns)
        target, features = config.target, [f for f in config.features if f != config.target]
        fits = target in columns and set(features) <= set(columns)
        if fresh or not fits:
            if config.source == SAMPLE:
                spec = SAMPLES[config.sample_name]
                target, features = spec.target, list(spec.features)
            elif config.source == TYPED:  # as on the board: y last, every other column an input
                target, features = columns[-1], columns[:-1][:MAX_INPUTS]
            else:
                target, features = default_columns(table)
        values.update(target=target, features=features)
    return config_from(values, config) if values else config


def _with_hand_weights(app: App, config: Config, fresh: bool) -> Config:
    """Weights by hand that fit the network: when first chosen, the current run's initial
    weights (so a teacher edits from there); when the network's size changed, the scheme's."""
    if config.init_scheme != HAND:
        return config
    n_in = config.gen_inputs if config.source == GENERATE else max(1, len(config.features))
    size = n_in * config.n_hidden + 2 * config.n_hidden + 1
    if not fresh and len(config.init_weights) == size:
        return config
    run = app.run
    if run is not None and run.trainer.history.initial.flat().size == size:
        flat = run.trainer.history.initial.flat()
    else:
        flat = init_params("xavier", n_in, config.n_hidden, config.init_seed).flat()
    return config_from({"init_weights": tuple(float(v) for v in flat)}, config)


def current_table(app: App, config: Config) -> Table | None:
    if config.source == SAMPLE:
        return sample_table(config.sample_name)
    if config.source == TYPED:
        try:
            return typed_table(config.typed_columns, config.typed_rows)
        except DataError:
            return None
    if config.source == UPLOAD and app.upload is not None:
        return app.upload.table
    return None


@st.cache_resource(show_spinner=False, max_entries=len(SAMPLES))
def sample_table(name: str) -> Table:
    """The shipped sample files are the same for everybody, so one parsed copy is shared."""
    return load_sample(name)


# ---- the run -------------------------------------------------------------------------------


def requested_data_key(app: App) -> tuple | None:
    """What data the settings ask for; None when it cannot be had yet (no upload)."""
    c = app.config
    if c.source == GENERATE:
        return ("generate", c.gen_name, c.gen_m, c.gen_noise, c.gen_seed, c.gen_inputs)
    if c.source == UPLOAD:
        if app.upload is None:
            return None
        return (UPLOAD, app.upload.name, app.upload.digest, c.target, tuple(c.features))
    if c.source == TYPED:
        return (TYPED, "typed-in table", c.typed_columns, c.typed_rows, c.target, c.features)
    return (SAMPLE, c.sample_name, c.target, tuple(c.features))


def _dataset(app: App, key: tuple) -> Dataset:
    """The session's own data: uploaded or typed in (generated and sample data are shared)."""
    c = app.config
    # A typed-in table is built again here so that a bad cell raises with its row and column.
    typed = key[0] == TYPED
    table = typed_table(c.typed_columns, c.typed_rows) if typed else current_table(app, c)
    return to_dataset(table, c.target, list(c.features), source=key[1])


# Generated and sample data follow from their settings alone, the same for everybody.
SHARED_SOURCES = ("generate", SAMPLE)
SHARED_EXPERIMENTS = 8  # the largest (100,000 generated rows) is about 8 MB


@st.cache_resource(show_spinner=False, max_entries=SHARED_EXPERIMENTS, ttl=3600)
def shared_experiment(key: tuple, settings: RunSettings) -> Experiment:
    """The prepared data of generated or sample data (`key` as requested_data_key makes it):
    an Experiment is immutable, so the sessions that ask for the same one share one copy
    instead of one each. Uploaded and typed-in data stay in their own session."""
    if key[0] == "generate":
        dataset = generate(*key[1:])
    else:
        _, name, target, features = key
        dataset = to_dataset(sample_table(name), target, list(features), source=name)
    return prepare(dataset, settings)


def sync_run(force: bool = False) -> None:
    """Rebuild the run when the data or a run setting changed (or when forced); on failure keep
    the old run and say why."""
    app = get()
    key, settings = requested_data_key(app), run_settings(app.config)
    current = app.run
    if key is None:
        return
    if not force and current and current.data_key == key and current.settings == settings:
        app.build_error = ""
        return
    try:
        if key[0] in SHARED_SOURCES:
            experiment = shared_experiment(key, settings)
        else:
            experiment = prepare(_dataset(app, key), settings)
        new = Run(key, settings, experiment, experiment.new_trainer())
    except (DataError, ValueError) as err:
        app.build_error = f"{err} The previous data and training are kept."
        return
    if current is not None and not force:
        app.notice = (
            f"Training restarted from step 0 because {_what_changed(current, key, settings)}."
        )
    app.build_error = ""
    app.playing = False
    app.run = new


def _what_changed(old: Run, key: tuple, settings: RunSettings) -> str:
    if old.data_key[0] == UPLOAD and key[0] == UPLOAD and old.data_key[2] != key[2]:
        return f"“{key[1]}” was uploaded again with different numbers"
    what = [f"the {noun}" for noun in changed(_as_config(old.settings), _as_config(settings))]
    if old.data_key != key:
        what.insert(0, "the data")
    return f"{_and(what)} changed" if what else "the set-up changed"


def _as_config(settings: RunSettings) -> Config:
    values = {k: v for k, v in settings.__dict__.items() if k in SETTINGS and v is not None}
    values["full_batch"] = settings.batch_size is None
    return config_from(values)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def sync_url() -> None:
    """Keep the address bar equal to the current settings, so it is always a share link."""
    query = to_query(as_values(get().config))
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


# ---- button callbacks ------------------------------------------------------------------------


def _train(n: int) -> None:
    """n steps, each with its learning rate (the link's η for the steps it lists), for at most
    PRESS_SECONDS: one student's long run must not hold up a class sharing the server."""
    app = get()
    app.notice = ""
    trainer = app.run.trainer
    start, deadline = trainer.step_count, time.monotonic() + PRESS_SECONDS
    for count, lr in lr_segments(app.config, trainer.step_count + 1, n):
        left = count
        while left > 0 and not trainer.stopped and time.monotonic() < deadline:
            chunk = min(left, CHUNK_STEPS)
            left -= chunk
            if trainer.run(chunk, lr) < chunk:
                break
        if trainer.stopped or left > 0:
            break
    done = trainer.step_count - start
    if done < n and not trainer.stopped:
        app.notice = (
            f"This press ran {done:,} of {n:,} steps: one press runs for at most "
            f"{PRESS_SECONDS:g} s so that a shared server stays quick for everybody. Press "
            "again to go on."
        )
    if trainer.stopped:
        app.playing = False


def _count(key: str) -> None:
    presses = get().presses
    presses[key] = presses.get(key, 0) + 1


def on_step() -> None:
    _count("btn_step")
    _train(1)


def on_run_n() -> None:
    _count("btn_run_n")
    _train(max(1, min(int(get().page.run_n), MAX_RUN_STEPS)))


def on_finish_epoch() -> None:
    _count("btn_epoch")
    trainer = get().run.trainer
    _, batch = trainer.next_position()
    _train(trainer.plan.n_batches - batch + 1)


def on_play_tick() -> None:
    _train(int(get().page.play_steps))


def on_play() -> None:
    app = get()
    app.playing = not app.run.trainer.stopped


def on_pause() -> None:
    get().playing = False


def on_reset() -> None:
    app = get()
    current = app.run
    app.run = Run(
        current.data_key, current.settings, current.experiment, current.experiment.new_trainer()
    )
    app.playing = False
    app.notice = "Training reset to step 0 with the same data and initial weights."


def on_apply_preset() -> None:
    app = get()
    name = app.page.preset_choice
    set_settings({**PRESETS[name].values, "preset": name})
    app.config = _with_columns(app, app.config, fresh=True)
    app.page.run_n = PRESETS[name].suggested_steps
    app.page.classroom_open = True
    sync_run(force=True)
    app.notice = f"Lesson “{PRESETS[name].title}” set up; training starts from step 0."


def on_upload() -> None:
    """Read the uploaded file; on failure keep the previous data and say what was wrong."""
    app = get()
    file = st.session_state.get("upload")  # the uploader's own callback: its key is there
    if file is None:
        return
    data = file.getvalue()
    try:
        table = read_table(data)
        target, features = default_columns(table)
    except DataError as err:
        app.upload_error = f"“{file.name}” was not loaded: {err}"
        return
    app.upload_error = ""
    app.upload = Upload(table, file.name, hashlib.sha256(data).hexdigest())
    set_settings({"target": target, "features": features})
