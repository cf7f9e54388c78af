#!/usr/bin/env bash
# Set up everything the tests need (the project's .venv, and Debian's chromium where it can), then
# run lint and the tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(bash scripts/venv.sh requirements-dev.txt | tail -n 1)

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install it (Debian/Ubuntu: sudo apt-get install chromium) or set"
    echo "CHROMIUM_PATH to a Chromium/Chrome binary. Browser tests are skipped without it."
  fi
fi

"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m pytest "$@"
