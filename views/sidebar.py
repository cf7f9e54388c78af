"""The sidebar: every setting's widget, drawn from its row in settings.schema."""

from __future__ import annotations

import streamlit as st

from core.datasets import GENERATORS
from core.experiment import HAND
from core.loader import Table
from core.samples import SAMPLES
from settings.schema import (
    SAMPLE,
    SETTINGS,
    TYPED,
    UPLOAD,
    Config,
    describe_eta,
    gen_inputs_options,
    shown,
)
from settings.schema import scale_label as init_scale_label
from views import state
from views.chalkboard import hand_weights_editor, typed_data_editor
from views.classroom import classroom_section, hidden, no_sidebar
from views.text import inert

SECTION_TITLES = {"data": "Data", "network": "Network", "training": "Training"}


def sidebar() -> None:
    app = state.get()
    if no_sidebar():
        return
    with st.sidebar:
        for section, title in SECTION_TITLES.items():
            if not hidden(section):
                st.header(title)
                for key, setting in SETTINGS.items():
                    if setting.section == section:
                        setting_widget(key, app.config)
        with st.expander(
            "Classroom",
            icon=":material/school:",
            **state.bind("classroom_open"),
        ):
            classroom_section()


def setting_widget(key: str, config: Config) -> None:
    """The widget of one setting, as its schema row says, plus what belongs right after it."""
    s = SETTINGS[key]
    if not shown(s, config):
        return
    if s.widget == "none":
        AFTER.get(key, lambda _config: None)(config)
        return
    if key in ("target", "features"):
        _column_widget(key, config)
        return
    kw = state.bind(key)
    kw["help"] = s.help
    kw["disabled"] = bool(s.disabled and s.disabled(config))
    label = init_scale_label(config) if key == "init_scale" else s.label
    fmt = s.option_label or str
    if s.widget == "radio":
        st.radio(label, s.options, horizontal=True, format_func=fmt, **kw)
    elif s.widget == "select":
        st.selectbox(label, s.options, format_func=fmt, **kw)
    elif s.widget == "segmented":
        st.segmented_control(label, gen_inputs_options(config), required=True, **kw)
    elif s.widget == "number":
        number = float if s.kind == "float" else int
        step = number(s.step or 1)
        st.number_input(
            label, number(s.low), number(s.high), step=step, format=s.number_format, **kw
        )
    elif s.widget == "slider":
        number = float if s.kind == "float" else int
        st.slider(label, number(s.low), number(s.high), step=number(s.step or 1), **kw)
    elif s.widget == "toggle":
        st.toggle(label, **kw)
    elif s.widget == "select_slider":
        st.select_slider(label, s.options, format_func=fmt, **kw)
    elif s.widget == "multiselect":
        st.multiselect(label, s.options, max_selections=s.high, **kw)
    AFTER.get(key, lambda _config: None)(config)


def _column_widget(key: str, config: Config) -> None:
    """Target and features choose among the columns of the table that is there, if any."""
    table = state.current_table(state.get(), config)
    if table is None:
        return
    s = SETTINGS[key]
    columns = list(table.frame.columns)
    if key == "target":
        st.selectbox(s.label, columns, **state.bind(key))
    else:
        options = [c for c in columns if c != config.target]
        st.multiselect(s.label, options, max_selections=int(s.high), **state.bind(key))


def _after_source(config: Config) -> None:
    if config.source == TYPED:
        typed_data_editor(config)
    if config.source != UPLOAD:
        return
    app = state.get()
    st.file_uploader(
        "CSV file (comma, semicolon or tab separated)",
        type=["csv", "tsv", "txt"],
        key="upload",
        on_change=state.on_upload,
    )
    if app.upload_error:
        st.error(inert(app.upload_error))
    if app.upload is None:
        st.info("Upload a CSV to train on it. Until then the previous data stays.")
    else:
        st.caption(table_summary(app.upload.table, app.upload.name))


def _after_gen_inputs(config: Config) -> None:
    st.caption(f"`{GENERATORS[config.gen_name].formula_for(int(config.gen_inputs))}`")


def _after_sample(config: Config) -> None:
    if config.source == SAMPLE:
        st.caption(inert(SAMPLES[config.sample_name].description))


def _after_lr(config: Config) -> None:
    if config.eta:
        st.caption(f"η by step (from the link or earlier changes): {describe_eta(config)}.")


def _after_batch_size(config: Config) -> None:
    run = state.get().run
    if run is not None and not config.full_batch and run.experiment.batch_size < config.batch_size:
        rows = run.experiment.batch_size
        st.caption(f"There are only {rows:,} training rows, so every batch has all {rows:,}.")


def _after_init_scheme(config: Config) -> None:
    if config.init_scheme == HAND:
        hand_weights_editor(config)


AFTER = {
    "init_scheme": _after_init_scheme,
    "batch_size": _after_batch_size,
    "source": _after_source,
    "gen_inputs": _after_gen_inputs,
    "sample_name": _after_sample,
    "lr": _after_lr,
}


def table_summary(table: Table, name: str) -> str:
    parts = [f"{inert(name)}: {len(table.frame):,} usable rows"]
    if table.dropped_rows:
        parts.append(f"{table.dropped_rows:,} rows with missing or non-numeric values dropped")
    if table.non_numeric_columns:
        names = ", ".join(inert(c) for c in table.non_numeric_columns)
        parts.append(f"text columns left out: {names}")
    return "; ".join(parts) + "."
