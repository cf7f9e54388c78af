"""Put a chart on the page."""

from __future__ import annotations

import streamlit as st

from charts import Spec, enlarge_text
from views import state

PRESENTER_TEXT = 1.5  # axis labels, titles and legends for the back row of a lecture hall


def show_chart(spec: Spec) -> None:
    """Charts are plain Vega-Lite dicts: building Altair objects and validating them costs tens
    of milliseconds per chart, too much for every Step and Play tick. The tests validate every
    spec against the Vega-Lite schema that ships with Altair instead."""
    if state.get().config.present:
        spec = enlarge_text(spec, PRESENTER_TEXT)
    st.vega_lite_chart(spec, width="stretch")
