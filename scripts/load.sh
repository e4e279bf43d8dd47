#!/usr/bin/env bash
# Load and crash run: builds the release server and runs examples/load.rs, which starts moto
# and the server on free loopback ports (fresh database per phase) and drives signed-in
# sessions mixing page views, renames, support requests and AWS links; the second phase
# SIGKILLs the server halfway and restarts it. The database is then checked against what the
# clients saw acknowledged. Exit status 0 only if both phases pass.
# With "postgres" as the fourth argument, each phase runs two replicas on one PostgreSQL
# database, round-robin, and the crash phase SIGKILLs one of them for good halfway.
# Usage: scripts/load.sh [seconds per phase (60)] [sessions (200)] [both|steady|crash] [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
sessions=${2:-200}
phase=${3:-both}
engine=${4:-sqlite}
scripts/setup.sh --for-tests
scripts/build.sh release
cargo build --release --features ssr --example load
exec target/release/examples/load --server target/release/xops --site-root target/release/site \
  --seconds "$seconds" --sessions "$sessions" --phase "$phase" --engine "$engine"
