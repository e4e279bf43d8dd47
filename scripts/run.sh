#!/usr/bin/env bash
# Sets up what is missing, builds, and starts the portal on http://127.0.0.1:3000 (or
# XOPS_ADDR) with its SQLite database under data/. Settings: see README.md.
# Usage: scripts/run.sh [--release]   (debug by default: after the tests it builds nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
case "${1:-}" in
  --release | release) profile=release ;;
  "" | --debug | debug) ;;
  *) echo "usage: $0 [--release]" >&2; exit 2 ;;
esac
scripts/setup.sh
scripts/build.sh "$profile"
exec "target/$profile/xops"
