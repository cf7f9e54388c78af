"""Put a chart on the page."""

from __future__ import annotations

import streamlit as st

from charts import Spec


def show_chart(spec: Spec) -> None:
    """Charts are plain Vega-Lite dicts: building Altair objects and validating them costs tens
    of milliseconds per chart, too much for every Step and Play tick. The tests validate every
    spec against the Vega-Lite schema that ships with Altair instead."""
    st.vega_lite_chart(spec, width="stretch")
