"""Shared fixtures: every test starts with empty Streamlit caches.

`st.cache_data` and `st.cache_resource` live in the process, not in an AppTest session, so
without this one test's cached values would leak into the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from hypothesis import settings

# A busy CI machine must not turn a slow example into a failure: no per-example deadline.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
