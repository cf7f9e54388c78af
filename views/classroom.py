"""For the lecture hall: lesson presets, the share link and presenter mode."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from settings.links import HIDE_SECTIONS, share_note, to_query
from settings.presets import PRESETS, preset_values
from views import state
from views.text import md_escape

# Our own constant CSS (no user text): larger type for a projector.
PRESENTER_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.1rem; }
.katex { font-size: 1.35em; }
</style>
"""


def on_apply_preset() -> None:
    ss = st.session_state
    name = ss.preset_choice
    for key, value in preset_values(name).items():
        ss[key] = list(value) if isinstance(value, list) else value
    ss.run_n = PRESETS[name].suggested_steps
    state.on_data_choice()


def preset_still_applies() -> bool:
    """False once the user changed a setting the active preset had set."""
    ss = st.session_state
    if not ss.preset or ss.preset not in PRESETS:
        return False
    return all(ss.get(k) == v for k, v in PRESETS[ss.preset].values.items())


def classroom_section() -> None:
    ss = st.session_state
    if ss.preset and not preset_still_applies():
        ss.preset = None
    st.selectbox(
        "Lesson preset",
        list(PRESETS),
        key="preset_choice",
        format_func=lambda name: PRESETS[name].title,
    )
    st.button(
        "Apply preset",
        key="btn_preset",
        on_click=on_apply_preset,
        help="Sets the data, network and training for this lesson; training restarts.",
    )
    st.toggle("Presenter mode", key="present", help="Larger text for a projector.")
    st.multiselect(
        "Hide when presenting",
        HIDE_SECTIONS,
        key="hide",
        help="These parts of the page are left out in presenter mode.",
    )
    st.markdown("**Share this set-up**")
    note = share_note(state.shared_values())
    if note:
        st.warning(note)
    st.code(share_link(), language=None, wrap_lines=True)
    st.caption("Everyone who opens the link gets the same data, seeds and settings.")


def share_link() -> str:
    query = urlencode(to_query(state.shared_values()))
    try:
        base = urlsplit(st.context.url or "")
        return urlunsplit((base.scheme, base.netloc, base.path, query, "")) or f"?{query}"
    except (AttributeError, ValueError):
        return f"?{query}"


def lesson_banner() -> None:
    """What the active preset's lesson is about, above the training panel."""
    ss = st.session_state
    if ss.preset and preset_still_applies():
        preset = PRESETS[ss.preset]
        st.info(
            f"**Lesson: {preset.title}.** {preset.look_for} Suggested: run "
            f"{preset.suggested_steps:,} steps.",
            icon=":material/school:",
        )


def link_notices() -> None:
    ss = st.session_state
    for notice in ss.link_notices:
        st.warning(md_escape(notice))


def presenter_style() -> None:
    if st.session_state.present:
        st.html(PRESENTER_CSS)


def hidden(section: str) -> bool:
    ss = st.session_state
    return bool(ss.present) and section in ss.hide
