"""User text is made inert for Markdown by one helper (the browser test checks the rendering)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from views.text import WORD_JOINER, inert

HOSTILE = [
    "![t](http://127.0.0.1:9/col.png) **bold**",
    "[x](https://example.com/login)",
    "www.example.com/login",
    "http://2130706433/login",
    "https://a.b.example.org/x?y=1",
    "student@example.org",
    "<img src=x onerror=alert(1)>",
    "<b>bold</b> &lt;i&gt;",
    "`code` _em_ ~~strike~~ $x^2$ # heading",
    "| a | b |",
]


def shown(markdown: str) -> str:
    """What a Markdown renderer shows of escaped text: escapes and word joiners gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_reads_back_exactly(text):
    assert shown(inert(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_or_html_syntax_survives(text):
    out = inert(text)
    unescaped = re.sub(r"\\.", "", out)  # drop every escaped character
    assert not re.search(r"[\\`*_{}\[\]()#+\-.!|<>~$=:&]", unescaped)


@pytest.mark.parametrize("text", HOSTILE)
def test_autolink_triggers_are_broken(text):
    out = inert(text).replace("\\", "")
    assert "www." not in out.lower()
    assert not re.search(r"[a-z0-9]:", out, re.IGNORECASE)
    assert not re.search(r"[^\u2060]@", out)


@given(st.text(st.characters(exclude_characters=WORD_JOINER), max_size=80))
def test_any_text_reads_back_exactly(text):
    assert shown(inert(text)) == text
