#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs lint and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install it (Debian/Ubuntu: sudo apt-get install chromium) or set"
    echo "CHROMIUM_PATH to a Chromium/Chrome binary. Browser tests are skipped without it."
  fi
fi

python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
