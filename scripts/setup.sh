#!/usr/bin/env bash
# Creates .venv (if missing) and installs the project with its test extras and the embedded runtime,
# then the front-end assets (package.json: NHS.UK frontend's stylesheet, the workspace's htmx) with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,embedded]"

# The pages work without the stylesheet (unstyled), so no npm is a warning, not a failure.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "setup.sh: npm not found; the self-referral pages will be unstyled (install nodejs and npm)" >&2
fi
