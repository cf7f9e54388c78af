#!/usr/bin/env bash
# Set up .venv with requirements.txt, then `streamlit run streamlit_app.py` (extra arguments go to it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/venv.sh requirements.txt | tail -n 1)
exec "$python" -m streamlit run streamlit_app.py "$@"
