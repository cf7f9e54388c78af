"""The folder layout shows the seam: core/, settings/ and charts/ never import Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("core", "settings", "charts")


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_never_import_streamlit(package):
    modules = sorted(f"{package}.{p.stem}" for p in (ROOT / package).glob("*.py"))
    assert len(modules) > 1
    code = (
        f"import importlib, sys\nfor name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_every_streamlit_module_lives_in_views_or_the_entry_point():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "tests", "bench", "views", "streamlit_app.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "import streamlit" not in text and "from streamlit" not in text, relative
