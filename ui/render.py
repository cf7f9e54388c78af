"""Put a chart on the page, whether it is a Vega-Lite dict or an Altair chart."""

from __future__ import annotations

from typing import Any

import streamlit as st


def show_chart(chart: Any) -> None:
    """Hot-path charts are plain Vega-Lite dicts: building Altair objects and validating them
    costs tens of milliseconds per chart, too much for every Step and Play tick."""
    if isinstance(chart, dict):
        st.vega_lite_chart(chart, width="stretch")
    else:
        st.altair_chart(chart, width="stretch")
