#!/usr/bin/env bash
# Sets up and runs the whole system on the embedded PostgreSQL and broker, with demo data.
# Extra arguments go to `referrals up` (e.g. --data-dir DIR). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/referrals up --demo "$@"
