"""For the lecture hall: lesson presets, the share link and presenter mode."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from settings.links import share_note, to_query
from settings.presets import PRESETS
from settings.schema import SETTINGS, as_values
from views import state
from views.text import inert


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


def page_header() -> None:
    """The title; in presenter mode one slim row with the way out, and the Classroom settings
    when the sidebar is left out."""
    if not state.get().config.present:
        st.title("Backprop Step-by-Step")
        st.caption(
            "A 2-layer network (sigmoid hidden layer, linear output, loss 1/2m·‖A2 − y‖²) "
            "trained by mini-batch gradient descent. Press Step and watch every number of that "
            "batch."
        )
        return
    # Pinned to the top right corner (page_style), beside Streamlit's own menu: no row of its own.
    bar = st.container(horizontal=True, vertical_alignment="center", key="presenter_bar")
    if no_sidebar():
        with bar.popover("Classroom", icon=":material/school:"):
            classroom_section()
    bar.button(
        "Exit presenter",
        key="btn_leave_presenting",
        help="Back to the normal page, with the sidebar.",
        on_click=state.set_settings,
        args=({"present": False},),
        icon=":material/close_fullscreen:",
    )


def no_sidebar() -> bool:
    """Presenter mode with the data, network and training settings all hidden: the sidebar
    would hold only the Classroom section, which then sits on the page instead."""
    return all(hidden(section) for section in ("data", "network", "training"))


def hidden(section: str) -> bool:
    config = state.get().config
    return config.present and section in config.hide
