#!/usr/bin/env bash
# Sets up what is missing, builds (debug), and runs every test: Rust unit and integration
# tests, then the Playwright end-to-end tests in Debian's chromium (JavaScript on and off).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
scripts/build.sh debug --with-tests
echo "==> Rust unit and integration tests"
cargo test --features ssr
echo "==> end-to-end tests (Playwright)"
cd end2end
npx playwright test
