"""The page's own CSS: a compact top so the storyboard starts on the first screen, and presenter
mode's larger headline numbers, text and formulas for the back row of a lecture hall.

Both are our own constants (no user text): st.html renders them as style only."""

from __future__ import annotations

import streamlit as st

from views import state

PAGE_CSS = """
<style>
@media (min-width: 641px) {
  [data-testid="stMainBlockContainer"] { padding: 2.5rem 3rem 4rem 3rem; }
}
[data-testid="stMainBlockContainer"] h1 { padding: 0 0 0.25rem 0; font-size: 2.25rem; }
.st-key-fit_metrics [data-testid="stMetricValue"] { font-size: 1.5rem; line-height: 2.25; }
/* Streamlit draws captions at 60 % opacity: 3:1 for code in captions, under WCAG's 4.5:1. */
[data-testid="stCaptionContainer"] { opacity: 1; color: #595959; }
/* KaTeX spills 2 px out of its scroll box, which makes a scroll area no key can reach. */
[data-testid="stMarkdownContainer"] .katex-display { padding: 0.2em; }
button:focus-visible, [role="radio"]:focus-visible, input:focus-visible {
  outline: 3px solid #0B5CAD !important; outline-offset: 2px;
}
</style>
"""

# Headline numbers 1.5 × 2.25rem; the storyboard's cells grow inside the component.
PRESENTER_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding: 0.75rem 0.5rem 3rem 0.75rem; max-width: none; }
.st-key-presenter_bar {
  position: fixed; top: 0.5rem; right: 0.5rem; z-index: 999990; width: auto;
  background: #FFFFFF;
}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMetricValue"] { font-size: 3.375rem; line-height: 1.15; }
[data-testid="stMetricValue"] p { font-size: inherit; }
.st-key-fit_metrics [data-testid="stMetricValue"] { font-size: 2.25rem; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem; }
[data-testid="stMetricDelta"] { font-size: 1.2rem; }
[data-testid="stMarkdown"] p, [data-testid="stCaptionContainer"] { font-size: 1.25rem; }
.katex { font-size: 1.5em; }
</style>
"""


def page_style() -> None:
    st.html(PAGE_CSS)
    if state.get().config.present:
        st.html(PRESENTER_CSS)
