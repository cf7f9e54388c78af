#!/usr/bin/env bash
# Create or reuse the project's virtual environment (.venv) and install a requirements file into it.
# Usage: bash scripts/venv.sh requirements.txt   (prints the environment's python on the last line)
#
# Works with a Python that refuses system-wide installs (PEP 668, Debian/Ubuntu/Fedora/Homebrew),
# as root or not. Needs Python 3.11 or newer; PYTHON=/path/to/python picks one explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
venv=${VENV_DIR:-.venv}

supported() { "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; }

pick_python() {
  local candidate
  if [ -n "${PYTHON:-}" ]; then  # named explicitly: that one or none
    supported "$PYTHON" && { command -v "$PYTHON"; return 0; }
    echo "PYTHON=$PYTHON does not run as Python 3.11 to 3.13." >&2
    return 1
  fi
  for candidate in python3 python3.13 python3.12 python3.11 python; do
    if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x "$venv/bin/python" ] || ! supported "$venv/bin/python"; then
  if ! python=$(pick_python); then
    echo "No Python 3.11, 3.12 or 3.13 found. Install one (Debian/Ubuntu: apt-get install python3)" >&2
    echo "or name it with PYTHON=/path/to/python3." >&2
    exit 1
  fi
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a separate package.
    rm -rf "$venv"
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing python${version}-venv (the venv module's pip bootstrap)..." >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null
    else
      echo "'$python -m venv' failed. On Debian/Ubuntu: sudo apt-get install python${version}-venv" >&2
      exit 1
    fi
    "$python" -m venv "$venv"
  fi
fi

# Reinstall only when a requirements file changed since the last install into this environment.
stamp="$venv/.installed-$(basename "$requirements")"
digest=$(cat "$requirements" requirements.txt | cksum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "Installing $requirements into $venv ..." >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$digest" >"$stamp"
fi
echo "$venv/bin/python"
