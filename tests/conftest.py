"""Shared fixtures: every test starts with empty Streamlit caches.

`st.cache_data` and `st.cache_resource` live in the process, not in an AppTest session, so
without this one test's cached values would leak into the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
