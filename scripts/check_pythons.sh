#!/usr/bin/env bash
# For maintainers: build a fresh environment for each supported Python found on this machine
# (on PATH as python3.X, or under pyenv) and run the lint and tests in it. Browser tests are left
# out unless BROWSER=1. Takes a few minutes per version; prints one summary line per version.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()

runs_as() {  # the interpreter runs and is that version (a pyenv shim may not be)
  "$1" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$2')" 2>/dev/null
}

find_python() {
  local version=$1 found
  if command -v pyenv >/dev/null 2>&1; then
    for found in "$(pyenv root)"/versions/"$version".*/bin/python"$version"; do
      [ -x "$found" ] && runs_as "$found" "$version" && { echo "$found"; return 0; }
    done
  fi
  found=$(command -v "python$version" 2>/dev/null) && runs_as "$found" "$version" && {
    echo "$found"
    return 0
  }
  return 1
}

for version in 3.11 3.12 3.13; do
  if ! python=$(find_python "$version"); then
    summary+=("Python $version: not found on this machine, skipped")
    continue
  fi
  echo "=== Python $version ($python)"
  marker=(-m "not browser")
  [ "${BROWSER:-0}" = "1" ] && marker=()
  result="to set up"
  if venv_python=$(VENV_DIR="$work/venv-$version" PYTHON="$python" bash scripts/venv.sh requirements-dev.txt | tail -n 1) \
    && "$venv_python" -m ruff check --quiet . \
    && output=$("$venv_python" -m pytest -q -p no:cacheprovider "${marker[@]}" 2>&1); then
    summary+=("Python $version ($("$venv_python" -V 2>&1)): $(tail -n 1 <<<"$output")")
  else
    [ -n "${output:-}" ] && result=$(tail -n 1 <<<"$output")
    summary+=("Python $version: FAILED $result")
  fi
  output=""
done
printf '%s\n' "${summary[@]}"
printf '%s\n' "${summary[@]}" | grep -q FAILED && exit 1
exit 0
