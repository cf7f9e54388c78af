"""All per-user state: one initialiser, the settings the sidebar asks for, and button callbacks.

Everything lives in `st.session_state`; nothing here is module-level mutable state.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import streamlit as st

from core.datasets import Dataset, generate
from core.experiment import Experiment, RunSettings, prepare
from core.explain import EXPLAINABLE
from core.loader import DataError, Table, default_columns, read_table, to_dataset
from core.samples import SAMPLES, load_sample
from core.trainer import Trainer
from settings.links import SHARED_KEYS, URL_DEFAULTS, from_query, to_query
from views.exercise_view import ANY as ANY_EXERCISE
from views.text import md_escape

PLAY_INTERVALS = {"slow (1 s)": 1.0, "normal (0.5 s)": 0.5, "fast (0.25 s)": 0.25}
MAX_RUN_STEPS = 20_000  # one press stays within a few seconds
DEFAULT_LAB_CHOICES = ["zeros", "small normal", "xavier", "large normal"]

# Widget keys and their first values. The shared ones (those a link carries) come from urlstate.
DEFAULTS: dict[str, object] = {
    **URL_DEFAULTS,
    "run_n": 100,
    "play_speed": "normal (0.5 s)",
    "play_steps": 1,
    "full_precision": False,
    "follow_latest": True,
    "pick_step": 1,
    "log_loss": False,
    "playing": False,
    "table": None,
    "table_name": "",
    "upload_error": "",
    "notice": "",
    "build_error": "",
    "run": None,
    "view": "Forward pass",
    "link_notices": [],
    "preset_choice": "good-default",
    # Choices inside views: kept here so that they survive a visit to another view.
    "explain_matrix": EXPLAINABLE["Z1"],
    "explain_row": 0,
    "explain_col": 0,
    "ex_kind": ANY_EXERCISE,
    "ex_answer": "",
    "ex_seed": 0,
    "lab_choices": DEFAULT_LAB_CHOICES,
    "lab_steps": 300,
}


# Session keys that hold app state rather than a widget's value.
NOT_WIDGETS = frozenset(
    {
        "playing",
        "table",
        "table_name",
        "upload_error",
        "notice",
        "build_error",
        "run",
        "link_notices",
        "preset",
    }
)


@dataclass
class Run:
    """The current run: what it was built from, the prepared data and the trainer."""

    data_key: tuple
    settings: RunSettings
    experiment: Experiment
    trainer: Trainer


def init_state() -> None:
    """Fill in every key once per session (from the link, if it has settings), then build the
    first run. Re-assigning the widget keys keeps their values while a widget is not drawn
    (a hidden section in presenter mode, a view not shown)."""
    ss = st.session_state
    first = "run" not in ss
    for key, value in DEFAULTS.items():
        if key not in ss:
            ss[key] = list(value) if isinstance(value, list) else value
        elif key not in NOT_WIDGETS:
            ss[key] = ss[key]
    if first:
        parsed = from_query(st.query_params.to_dict())
        for key, value in parsed.values.items():
            ss[key] = value
        ss.link_notices = parsed.notices
        if ss.source == "Sample dataset" and not ss.features:
            on_data_choice()
    if ss.run is None:
        sync_run()


def shared_values() -> dict[str, object]:
    ss = st.session_state
    return {key: ss[key] for key in SHARED_KEYS}


def sync_url() -> None:
    """Keep the address bar equal to the current settings, so it is always a share link."""
    query = to_query(shared_values())
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def run() -> Run:
    return st.session_state.run


def trainer() -> Trainer:
    return st.session_state.run.trainer


# ---- what the sidebar asks for -------------------------------------------------------------


def requested_settings() -> RunSettings:
    ss = st.session_state
    scheme = ss.init_scheme
    return RunSettings(
        test_fraction=float(ss.test_fraction),
        split_seed=int(ss.split_seed),
        standardise_inputs=bool(ss.standardise_inputs),
        standardise_target=bool(ss.standardise_target),
        n_hidden=int(ss.n_hidden),
        init_scheme=scheme,
        init_scale=float(ss.init_scale) if scheme in ("constant", "uniform", "normal") else None,
        init_seed=int(ss.init_seed),
        batch_size=1_000_000_000 if ss.full_batch else int(ss.batch_size),
        shuffle=bool(ss.shuffle),
        shuffle_seed=int(ss.shuffle_seed),
    )


def requested_data_key() -> tuple | None:
    """What data the sidebar asks for; None when it cannot be had yet (no upload)."""
    ss = st.session_state
    if ss.source == "Generate":
        return (
            "generate",
            ss.gen_name,
            int(ss.gen_m),
            float(ss.gen_noise),
            int(ss.gen_seed),
            int(ss.gen_inputs),
        )
    if ss.source == "Upload CSV" and ss.table is None:
        return None
    name = ss.sample_name if ss.source == "Sample dataset" else ss.table_name
    return (ss.source, name, ss.target, tuple(ss.features))


def _build_dataset(key: tuple) -> Dataset:
    ss = st.session_state
    if key[0] == "generate":
        _, name, m, noise, seed, n_inputs = key
        return generate(name, m, noise, seed, n_inputs)
    table = ss.table if ss.source == "Upload CSV" else sample_table(ss.sample_name)
    return to_dataset(table, ss.target, list(ss.features), source=key[1])


def sync_run() -> None:
    """Rebuild the run when the data or a run setting changed; keep the old one on failure."""
    ss = st.session_state
    key, settings = requested_data_key(), requested_settings()
    current: Run | None = ss.run
    if key is None or (current and current.data_key == key and current.settings == settings):
        if current:
            current.trainer.lr = float(ss.lr)
            ss.build_error = ""
        return
    try:
        experiment = prepare(_build_dataset(key), settings)
        new = Run(key, settings, experiment, experiment.new_trainer(float(ss.lr)))
    except (DataError, ValueError) as err:
        ss.build_error = f"{err} The previous data and training are kept."
        return
    if current is not None:
        ss.notice = f"{_what_changed(current, key, settings)} changed, so training restarted."
    ss.build_error = ""
    ss.playing = False
    ss.run = new


def _what_changed(old: Run, key: tuple, settings: RunSettings) -> str:
    changed = [
        f.name.replace("_", " ")
        for f in fields(RunSettings)
        if getattr(old.settings, f.name) != getattr(settings, f.name)
    ]
    if old.data_key != key:
        changed.insert(0, "the data")
    return ", ".join(changed).capitalize() or "The set-up"


# ---- callbacks ------------------------------------------------------------------------------


def _train(action) -> None:
    ss = st.session_state
    ss.notice = ""
    t = trainer()
    t.lr = float(ss.lr)
    action(t)
    if t.stopped:
        ss.playing = False


def on_step() -> None:
    _train(lambda t: t.step())


def on_run_n() -> None:
    n = max(1, min(int(st.session_state.run_n), MAX_RUN_STEPS))
    _train(lambda t: t.run(n))


def on_finish_epoch() -> None:
    _train(lambda t: t.finish_epoch())


def on_play_tick() -> None:
    _train(lambda t: t.run(int(st.session_state.play_steps)))


def on_play() -> None:
    st.session_state.playing = not trainer().stopped


def on_pause() -> None:
    st.session_state.playing = False


def on_reset() -> None:
    ss = st.session_state
    current = run()
    ss.run = Run(
        current.data_key,
        current.settings,
        current.experiment,
        current.experiment.new_trainer(float(ss.lr)),
    )
    ss.playing = False
    ss.notice = "Training reset to step 0 with the same data and initial weights."


def on_data_choice() -> None:
    """A new sample or source: pick that table's default target and features."""
    ss = st.session_state
    if ss.source == "Sample dataset":
        spec = SAMPLES[ss.sample_name]
        ss.target, ss.features = spec.target, list(spec.features)
    elif ss.source == "Upload CSV" and ss.table is not None:
        ss.target, ss.features = default_columns(ss.table)


def on_upload() -> None:
    """Read the uploaded file; on failure keep the previous data and say what was wrong."""
    ss = st.session_state
    file = ss.get("upload")
    if file is None:
        return
    try:
        table: Table = read_table(file.getvalue())
    except DataError as err:
        ss.upload_error = f"“{file.name}” was not loaded: {err}"
        return
    ss.upload_error = ""
    ss.table, ss.table_name = table, file.name
    ss.target, ss.features = default_columns(table)


@st.cache_resource(show_spinner=False)
def sample_table(name: str) -> Table:
    """The shipped sample files are the same for everybody, so one parsed copy is shared."""
    return load_sample(name)


def table_summary(table: Table, name: str) -> str:
    parts = [f"{md_escape(name)}: {len(table.frame):,} usable rows"]
    if table.dropped_rows:
        parts.append(f"{table.dropped_rows:,} rows with missing or non-numeric values dropped")
    if table.non_numeric_columns:
        names = ", ".join(md_escape(c) for c in table.non_numeric_columns)
        parts.append(f"text columns left out: {names}")
    return "; ".join(parts) + "."
