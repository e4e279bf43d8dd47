#!/usr/bin/env bash
# Sets up what is missing, builds (debug), and runs every test: Rust unit and integration
# tests on SQLite and again on PostgreSQL (cargo nextest, one process per test), then the
# Playwright end-to-end tests in Debian's chromium (JavaScript on and off). Ends with how long
# each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
timings=()
step_started=$SECONDS
step_name=""
step() {
  [ -n "$step_name" ] && timings+=("$(printf '%5d s  %s' $((SECONDS - step_started)) "$step_name")")
  step_name=$1
  step_started=$SECONDS
  [ -n "$step_name" ] && echo "==> $step_name"
  return 0
}
step "setting up what is missing"
scripts/setup.sh --for-tests
step "building the browser's wasm and the server with its tests"
scripts/build.sh debug --with-tests
step "Rust unit and integration tests on SQLite"
cargo nextest run --features ssr
step "Rust integration tests again, on PostgreSQL (a throwaway cluster)"
pg_dir=$(mktemp -d)
{ read -r pg_url; read -r pg_pid; } < <(scripts/postgres.sh "$pg_dir")
stop_postgres() { kill "$pg_pid" 2>/dev/null || true; sleep 1; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
XOPS_TEST_POSTGRES="$pg_url" cargo nextest run --features ssr --test integration
stop_postgres
trap - EXIT
step "end-to-end tests (Playwright)"
(cd end2end && npx playwright test)
step ""
echo "==> every test passed; the steps took:"
printf '%s\n' "${timings[@]}"
printf '%5d s  in all\n' "$SECONDS"
