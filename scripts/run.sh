#!/usr/bin/env bash
# Sets up what is missing, builds, and starts the portal on http://127.0.0.1:3000 (or
# XOPS_ADDR) with its SQLite database under data/. Settings: see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh "${1:-debug}"
dir=debug; [ "${1:-debug}" = release ] && dir=release
exec "target/$dir/xops"
