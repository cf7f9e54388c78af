"""The sidebar: data, network, initialisation and training settings."""

from __future__ import annotations

import streamlit as st

from core.datasets import GENERATORS
from core.network import INIT_SCHEMES
from core.samples import SAMPLES
from settings.links import LR_OPTIONS
from views import state
from views.classroom import classroom_section, hidden
from views.text import md_escape

SCALED_SCHEMES = {"constant": "Constant value", "uniform": "Half-width a", "normal": "Std σ"}
SCHEME_LABELS = {
    "zeros": "Zeros",
    "constant": "Constant",
    "uniform": "Uniform(−a, a)",
    "normal": "Normal(0, σ²)",
    "xavier": "Xavier / Glorot",
    "he": "He",
}


SECTIONS = (
    ("data", "Data"),
    ("network", "Network"),
    ("training", "Training"),
)


def sidebar() -> None:
    draw = {"data": data_section, "network": network_section, "training": training_section}
    with st.sidebar:
        for key, title in SECTIONS:
            if not hidden(key):
                st.header(title)
                draw[key]()
        with st.expander("Classroom", icon=":material/school:"):
            classroom_section()


def data_section() -> None:
    ss = st.session_state
    st.radio(
        "Source",
        ["Generate", "Sample dataset", "Upload CSV"],
        key="source",
        horizontal=True,
        on_change=state.on_data_choice,
    )
    if ss.source == "Generate":
        spec = GENERATORS[ss.gen_name]
        st.selectbox(
            "Function",
            list(GENERATORS),
            key="gen_name",
            format_func=lambda name: GENERATORS[name].label,
        )
        inputs = [n for n in (1, 2) if n in spec.n_inputs]
        if ss.gen_inputs not in inputs:
            ss.gen_inputs = inputs[-1]
        st.segmented_control("Inputs", inputs, key="gen_inputs", required=True)
        st.caption(f"`{spec.formula_for(int(ss.gen_inputs))}`")
        st.number_input("Samples m", 10, 100_000, step=50, key="gen_m")
        st.slider("Noise (std of y)", 0.0, 0.5, step=0.01, key="gen_noise")
        st.number_input("Data seed", 0, 1_000_000, key="gen_seed")
    else:
        if ss.source == "Sample dataset":
            st.selectbox(
                "Dataset",
                list(SAMPLES),
                key="sample_name",
                on_change=state.on_data_choice,
                format_func=lambda name: SAMPLES[name].title,
            )
            st.caption(md_escape(SAMPLES[ss.sample_name].description))
            table = state.sample_table(ss.sample_name)
        else:
            st.file_uploader(
                "CSV file (comma, semicolon or tab separated)",
                type=["csv", "tsv", "txt"],
                key="upload",
                on_change=state.on_upload,
            )
            if ss.upload_error:
                st.error(ss.upload_error)
            table = ss.table
            if table is None:
                st.info("Upload a CSV to train on it. Until then the previous data stays.")
                return
            st.caption(state.table_summary(table, ss.table_name))
        columns = list(table.frame.columns)
        st.selectbox("Target y", columns, key="target")
        st.multiselect(
            "Features (1 to 4)",
            [c for c in columns if c != ss.target],
            key="features",
            max_selections=4,
        )
    st.slider("Test share", 0.0, 0.5, step=0.05, key="test_fraction")
    st.number_input("Split seed", 0, 1_000_000, key="split_seed")
    st.toggle(
        "Standardise inputs",
        key="standardise_inputs",
        help="Subtract the training mean and divide by the training std of each input.",
    )
    st.toggle(
        "Standardise target",
        key="standardise_target",
        help="Also scale y; losses are then in standardised units.",
    )


def network_section() -> None:
    ss = st.session_state
    st.slider("Hidden units", 1, 8, key="n_hidden")
    st.selectbox(
        "Initialisation", INIT_SCHEMES, key="init_scheme", format_func=SCHEME_LABELS.__getitem__
    )
    if ss.init_scheme in SCALED_SCHEMES:
        st.number_input(
            SCALED_SCHEMES[ss.init_scheme], 0.0, 100.0, step=0.05, key="init_scale", format="%.3f"
        )
    st.number_input("Weight seed", 0, 1_000_000, key="init_seed")


def training_section() -> None:
    ss = st.session_state
    st.select_slider(
        "Learning rate η",
        LR_OPTIONS,
        key="lr",
        format_func=lambda v: f"{v:g}",
        help="Changing it does not restart training; each step records its own η.",
    )
    st.toggle("Full batch", key="full_batch")
    st.number_input("Batch size", 1, 100_000, key="batch_size", disabled=ss.full_batch)
    st.toggle("Shuffle every epoch", key="shuffle")
    st.number_input("Shuffle seed", 0, 1_000_000, key="shuffle_seed", disabled=not ss.shuffle)
