"""The live gradient check: backprop's numbers against finite differences of the loss."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.gradcheck import PASS_THRESHOLD, gradient_check
from core.trainer import StepRecord

VERDICTS = {
    "relative": "pass",
    "rounding": "pass (within rounding)",
    "failed": "FAIL",
}


def gradcheck_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    check = gradient_check(rec.params_before, rec.X, rec.y)
    st.latex(
        r"\text{numeric}_\theta = \tfrac{1}{45}\big(D(h) - 20\,D(\tfrac{h}{2})"
        r" + 64\,D(\tfrac{h}{4})\big),\quad"
        r" D(h) = \frac{\mathcal{L}(\theta + h) - \mathcal{L}(\theta - h)}{2h}"
    )
    st.latex(
        r"\text{rel. error} = \frac{|\text{analytic} - \text{numeric}|}"
        r"{\max(|\text{analytic}|, |\text{numeric}|)}"
    )
    n = len(check.entries)
    verdict = st.success if check.passed else st.error
    parts = [
        f"{check.n_relative} of {n} entries pass by relative error (below {PASS_THRESHOLD:g}; "
        f"the largest is {check.max_judged_rel_error:.2e})."
    ]
    if check.n_rounding:
        parts.append(
            f"{check.n_rounding} more agree to within rounding noise (at most "
            f"{check.rounding_level:.1e}): their gradients are too small for float64 arithmetic "
            f"to check to {PASS_THRESHOLD:g}."
        )
    parts.append(f"{check.n_failed} fail." if check.n_failed else "None fails.")
    verdict(" ".join(parts))
    st.markdown(
        "Each parameter was nudged up and down on this batch, with the weights before the "
        "update, and the loss recomputed by the forward pass alone; three step sizes, combined "
        "(Richardson extrapolation), cancel the curvature's error. Each step h moves the unit "
        "the parameter feeds by at most 0.1, so inputs in the thousands get small steps. "
        "Agreement with the backward pass shows that δ2, δ1 and the four gradients are the true "
        "derivatives of this loss, for this batch and these weights."
    )
    frame = pd.DataFrame(
        {
            "parameter": [_label(e.name, e.index) for e in check.entries],
            "analytic (backprop)": [e.analytic for e in check.entries],
            "numeric (finite difference)": [e.numeric for e in check.entries],
            "relative error": [e.rel_error for e in check.entries],
            "step h": [e.h for e in check.entries],
            "verdict": [VERDICTS[e.verdict] for e in check.entries],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "analytic (backprop)": st.column_config.NumberColumn(format="%.10g"),
            "numeric (finite difference)": st.column_config.NumberColumn(format="%.10g"),
            "relative error": st.column_config.NumberColumn(format="%.2e"),
            "step h": st.column_config.NumberColumn(format="%.1e"),
        },
        height=min(38 + 35 * len(frame), 560),
    )
    st.caption(
        "Rounding noise: a difference of two losses carries float64 rounding of about ε·L/h "
        "(ε = 2.2e-16). A gradient below that cannot meet a relative test; it passes when the "
        "two values agree to within the noise, and is counted apart."
    )


def _label(name: str, index: tuple[int, int]) -> str:
    """W1[1,2] style, 1-based like the rows and columns on the rest of the page."""
    return f"{name}[{index[0] + 1},{index[1] + 1}]"
