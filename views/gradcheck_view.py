"""The live gradient check: backprop's numbers against centred finite differences."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.gradcheck import PASS_THRESHOLD, gradient_check
from core.trainer import StepRecord


def gradcheck_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    check = gradient_check(rec.params_before, rec.X, rec.y)
    st.latex(
        r"\text{numeric}_\theta = \frac{\mathcal{L}(\theta + h) - \mathcal{L}(\theta - h)}{2h},"
        r"\quad h = 10^{-5},\qquad"
        r"\text{rel. error} = \frac{|\text{analytic} - \text{numeric}|}"
        r"{\max(|\text{analytic}|, |\text{numeric}|)}"
    )
    passed = sum(e.passed for e in check.entries)
    verdict = st.success if check.passed else st.error
    verdict(
        f"{passed} of {len(check.entries)} entries pass (relative error below "
        f"{PASS_THRESHOLD:g}); the largest relative error is {check.max_rel_error:.2e}."
    )
    st.markdown(
        "Each parameter was nudged by ±h on this batch, with the weights before the update, and "
        "the loss recomputed by the forward pass alone. Agreement with the backward pass's "
        "gradient shows that the seed's formulas (δ2, δ1 and the four gradients) are the true "
        "derivatives of this loss — for this batch and these weights, to about 7 digits."
    )
    frame = pd.DataFrame(
        {
            "parameter": [_label(e.name, e.index) for e in check.entries],
            "analytic (backprop)": [e.analytic for e in check.entries],
            "numeric (finite difference)": [e.numeric for e in check.entries],
            "relative error": [e.rel_error for e in check.entries],
            "pass": [e.passed for e in check.entries],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "analytic (backprop)": st.column_config.NumberColumn(format="%.10g"),
            "numeric (finite difference)": st.column_config.NumberColumn(format="%.10g"),
            "relative error": st.column_config.NumberColumn(format="%.2e"),
            "pass": st.column_config.CheckboxColumn(),
        },
        height=min(38 + 35 * len(frame), 560),
    )
    st.caption(
        "Gradients smaller than the finite difference's rounding noise (about ε·L/h) cannot meet a "
        "relative test; they pass when both values agree to within that noise."
    )


def _label(name: str, index: tuple[int, int]) -> str:
    """W1[1,2] style, 1-based like the seed's notation."""
    return f"{name}[{index[0] + 1},{index[1] + 1}]"
