#!/usr/bin/env bash
# Sets up and runs every test against a real broker and database
# (KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL if set, else testcontainers, else the embedded pair).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
