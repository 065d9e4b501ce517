#!/usr/bin/env bash
# Sets up and runs every test against a real broker and database
# (KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL if set, else testcontainers, else the embedded pair).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
# The browser tests drive Debian's Chromium (tests/e2e/test_browser_*.py); as root, install it if missing.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1
fi
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
