#!/usr/bin/env bash
# Sets up what is missing, builds (debug), and runs every test: Rust unit and integration
# tests on SQLite and again on PostgreSQL, then the Playwright end-to-end tests in Debian's
# chromium (JavaScript on and off).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
scripts/build.sh debug --with-tests
echo "==> Rust unit and integration tests (SQLite), one process per test (cargo nextest)"
cargo nextest run --features ssr
echo "==> Rust integration tests again, on PostgreSQL (a throwaway cluster)"
pg_dir=$(mktemp -d)
{ read -r pg_url; read -r pg_pid; } < <(scripts/postgres.sh "$pg_dir")
stop_postgres() { kill "$pg_pid" 2>/dev/null || true; sleep 1; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
XOPS_TEST_POSTGRES="$pg_url" cargo nextest run --features ssr --test integration
stop_postgres
trap - EXIT
echo "==> end-to-end tests (Playwright)"
cd end2end
npx playwright test
