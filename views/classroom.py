"""For the lecture hall: lesson presets, the share link and presenter mode."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from settings.links import share_note, to_query
from settings.presets import PRESETS
from settings.schema import SETTINGS, as_values
from views import state
from views.text import inert

# Our own constant CSS (no user text): larger type for a projector.
PRESENTER_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.1rem; }
.katex { font-size: 1.35em; }
</style>
"""


def classroom_section() -> None:
    st.selectbox(
        "Lesson preset",
        list(PRESETS),
        format_func=lambda name: PRESETS[name].title,
        **state.bind("preset_choice"),
    )
    st.button(
        "Apply preset",
        key="btn_preset",
        on_click=state.on_apply_preset,
        help="Sets the data, network and training for this lesson; training restarts.",
    )
    for key in ("present", "hide"):
        s = SETTINGS[key]
        if s.widget == "toggle":
            st.toggle(s.label, help=s.help, **state.bind(key))
        else:
            st.multiselect(s.label, s.options, help=s.help, **state.bind(key))
    st.markdown("**Share this set-up**")
    values = as_values(state.get().config)
    note = share_note(values)
    if note:
        st.warning(note)
    st.code(share_link(values), language=None, wrap_lines=True)
    st.caption("Everyone who opens the link gets the same data, seeds and settings.")


def share_link(values: dict[str, object]) -> str:
    query = urlencode(to_query(values))
    try:
        base = urlsplit(st.context.url or "")
        return urlunsplit((base.scheme, base.netloc, base.path, query, "")) or f"?{query}"
    except (AttributeError, ValueError):
        return f"?{query}"


def lesson_banner() -> None:
    """What the active preset's lesson is about, above the training panel."""
    name = state.get().config.preset
    if name is not None:
        preset = PRESETS[name]
        st.info(
            f"**Lesson: {preset.title}.** {preset.look_for} Suggested: run "
            f"{preset.suggested_steps:,} step{'s' if preset.suggested_steps > 1 else ''}.",
            icon=":material/school:",
        )


def link_notices() -> None:
    for notice in state.get().link_notices:
        st.warning(inert(notice))


def presenter_style() -> None:
    if state.get().config.present:
        st.html(PRESENTER_CSS)


def hidden(section: str) -> bool:
    config = state.get().config
    return config.present and section in config.hide
