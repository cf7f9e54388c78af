"""Downloads: this step's matrices, the whole history, the weights and a reproduction script."""

from __future__ import annotations

import streamlit as st

from core.export import (
    SCRIPT_FILE_NAME,
    history_csv_bytes,
    reproduce_script,
    run_meta,
    step_csv_zip,
    step_npz,
    weights_json,
)
from core.trainer import StepRecord
from core.worksheet import worksheet_html, worksheet_markdown
from views import state


def export_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    """Each file is built only when its button is pressed. Streamlit keeps a button's callable
    until the next full rerun, so the whole-run files look the run up when pressed: a callable
    holding the trainer would keep a replaced run's history alive after Reset."""
    app = state.get()
    trainer = app.run.trainer
    step = f"step{rec.step}"
    st.markdown(
        "Every number is written so that it reads back bit for bit. Text cells that a spreadsheet "
        "would run as a formula are prefixed with a quote."
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Step {rec.step:,}** (the step shown)")
        st.download_button(
            "Matrices of this step (CSV files in a zip)",
            data=lambda: step_csv_zip(rec, features),
            file_name=f"backprop_{step}.zip",
            mime="application/zip",
            key="dl_step_zip",
            icon=":material/folder_zip:",
        )
        st.download_button(
            "Arrays of this step (NumPy .npz)",
            data=lambda: step_npz(rec),
            file_name=f"backprop_{step}.npz",
            mime="application/octet-stream",
            key="dl_step_npz",
            icon=":material/data_array:",
        )
        st.download_button(
            "Worksheet of this step (Markdown with the formulas in LaTeX)",
            data=lambda: worksheet_markdown(rec, features),
            file_name=f"worksheet_{step}.md",
            mime="text/markdown",
            key="dl_worksheet_md",
            icon=":material/description:",
        )
        st.download_button(
            "Worksheet of this step (a page to print)",
            data=lambda: worksheet_html(rec, features),
            file_name=f"worksheet_{step}.html",
            mime="text/html",
            key="dl_worksheet_html",
            icon=":material/print:",
        )
    with right:
        st.markdown(f"**The whole run** ({trainer.step_count:,} steps)")
        st.download_button(
            "History, one row per step (CSV)",
            data=lambda: history_csv_bytes(app.run.trainer),
            file_name="backprop_history.csv",
            mime="text/csv",
            key="dl_history",
            icon=":material/table:",
        )
        st.download_button(
            "Current weights (JSON)",
            data=lambda: weights_json(app.run.trainer.params, run_meta(*_run(app))),
            file_name="backprop_weights.json",
            mime="application/json",
            key="dl_weights",
            icon=":material/data_object:",
        )
        st.download_button(
            "Script that reproduces this run (Python + NumPy)",
            data=lambda: reproduce_script(*_run(app)),
            file_name=SCRIPT_FILE_NAME,
            mime="text/x-python",
            key="dl_script",
            icon=":material/code:",
        )
    st.caption(
        "The worksheet walks through this step in order: each formula, then the same formula "
        "with this step's numbers, then the result; a handout for a worked example."
    )
    st.caption(
        "The script embeds the training data as the network saw it (split and scaled), the "
        "initial weights, the batch order rule and every step's learning rate; "
        f"`python {SCRIPT_FILE_NAME}` prints the same losses and final weights."
    )


def _run(app: state.App) -> tuple:
    """The current run's experiment and trainer."""
    return app.run.experiment, app.run.trainer
