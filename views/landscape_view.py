"""The loss landscape view: where the descent is going, on a 2-D slice around the shown step."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from charts.landscape import landscape_chart
from core import landscape as land
from core.trainer import StepRecord
from views import state
from views.render import show_chart

GRIDS = (11, 21, 31, 41)
LOOK_FOR = (
    "What to look for: with a good learning rate the path runs down into the valley; with one "
    "too high (lesson *Learning rate too high*) it jumps from one side of the valley to the other; "
    "from zero initialisation (lesson *Zero initialisation*) the hidden units stay alike, and in "
    "*Two parameters* with two of their weights the landscape is mirror-symmetric."
)


@dataclass(frozen=True)
class Computed:
    """A landscape as computed for one run, shown step and slice, and how long it took."""

    key: tuple
    result: land.Landscape
    seconds: float


def landscape_view(current: state.Run, rec: StepRecord) -> None:
    app = state.get()
    page = app.page
    trainer = current.trainer
    n_in, n_hidden = rec.params_before.shape
    names = land.param_names(n_in, n_hidden)
    left, middle, right = st.columns([3, 3, 2])
    with left:
        mode = st.radio("Slice", land.MODES, horizontal=True, **state.bind("land_mode"))
    if mode == land.PARAMETERS:
        first, second = _two_parameters(names, middle)
    else:
        first, second = names[0], names[1]
        if mode == land.RANDOM:
            with middle:
                st.number_input("Directions' seed", 0, 10_000, **state.bind("land_seed"))
    with right:
        grid = st.select_slider("Grid", GRIDS, **state.bind("land_grid"))
    key = (id(current), rec.step, mode, first, second, page.land_seed, grid)
    computed = app.landscape if isinstance(app.landscape, Computed) else None
    if computed is None or computed.key != key:
        computed = _compute(current, rec, mode, first, second, page.land_seed, grid, key)
        app.landscape = computed
    result = computed.result
    offset = (0.0, 0.0)
    if mode == land.PARAMETERS:
        centre = rec.params_before.flat()
        offset = (float(centre[names.index(first)]), float(centre[names.index(second)]))
    show_chart(landscape_chart(result, rec.step, offset))
    st.caption(
        f"The slice: {result.slice.note}. Loss of all {len(trainer.X):,} training rows at each "
        f"of {grid * grid:,} points, computed in {computed.seconds * 1000:,.0f} ms (once per "
        "shown step and slice)."
    )
    st.caption(LOOK_FOR)


def _two_parameters(names: list[str], container) -> tuple[str, str]:
    page = state.get().page
    chosen = [n if n in names else names[i] for i, n in enumerate(page.land_params)]
    if chosen[0] == chosen[1]:
        chosen[1] = names[1] if chosen[0] != names[1] else names[0]
    page.land_params = (chosen[0], chosen[1])

    def set_one(index: int):
        def transform(value: str) -> dict[str, object]:
            values = list(state.get().page.land_params)
            values[index] = value
            if values[0] == values[1]:  # the other one moves on: a slice needs two parameters
                values[1 - index] = next(n for n in names if n != value)
            state.get().page.land_params = (values[0], values[1])
            return {}

        return transform

    with container:
        a, b = st.columns(2)
        first = a.selectbox(
            "Across",
            names,
            **state.bind(
                "land_params", key=f"land_x_{len(names)}", value=chosen[0], transform=set_one(0)
            ),
        )
        second = b.selectbox(
            "Up",
            names,
            **state.bind(
                "land_params", key=f"land_y_{len(names)}", value=chosen[1], transform=set_one(1)
            ),
        )
    return first, second


def _compute(current: state.Run, rec: StepRecord, mode, first, second, seed, grid, key) -> Computed:
    trainer = current.trainer
    history = trainer.history
    path = np.vstack([history.initial.flat(), history.param_matrix()[: rec.step]])
    centre = rec.params_before
    if mode == land.PARAMETERS:
        sl = land.parameter_slice(centre, first, second)
    elif mode == land.RANDOM:
        sl = land.random_slice(centre, seed)
    else:
        sl = land.pca_slice(centre, path, seed)
    start = time.perf_counter()
    with st.spinner("Computing the loss over the slice…"):
        result = land.landscape(
            trainer.X, trainer.y, sl, path, rec.params_before, rec.params_after, grid
        )
    return Computed(key, result, time.perf_counter() - start)
