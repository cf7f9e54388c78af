#!/usr/bin/env bash
# Set up everything the tests need (the project's .venv, and Debian's chromium and haproxy where it
# can), then
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

# HAProxy for the test of deploy/ (several replicas behind one balancer). Debian installs it in
# /usr/sbin, which is not on every user's PATH.
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's haproxy for the deployment test..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  else
    echo "HAProxy is missing (Debian/Ubuntu: sudo apt-get install haproxy); the deployment test"
    echo "is skipped without it."
  fi
fi

"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m pytest "$@"
