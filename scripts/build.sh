#!/usr/bin/env bash
# Builds the site as cargo-leptos would, with cargo and wasm-bindgen alone: the hydrate wasm
# into target/<profile>/site/pkg, the stylesheet and public assets beside it, content-hashed
# names (listed in hash.txt beside the server binary, where Leptos looks), and the ssr server.
# Each profile has its own site beside its binary (the server's default site root), so that
# building one never deletes the files a running server of the other links to.
# Usage: scripts/build.sh [debug|release] [--with-tests]
# --with-tests builds the tests and examples in the same cargo run as the server: the tests'
# dev-dependencies change the features of ~100 shared crates (syn's among them, so every proc
# macro), and a server built alone would have them all compiled a second time for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/versions.env
profile=${1:-debug}
server_targets=(--bin xops)
[ "${2:-}" = --with-tests ] && server_targets=(--all-targets)
case "$profile" in
  debug) wasm_flags=(); wasm_dir=debug; server_flags=(); server_dir=debug ;;
  release) wasm_flags=(--profile wasm-release); wasm_dir=wasm-release; server_flags=(--release); server_dir=release ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

site=target/$server_dir/site
pkg=$site/pkg
echo "==> building the browser side (wasm, $profile)"
cargo rustc --lib --crate-type cdylib --target wasm32-unknown-unknown --no-default-features --features hydrate "${wasm_flags[@]}"
rm -rf "$pkg"
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name xops \
  "target/wasm32-unknown-unknown/$wasm_dir/xops.wasm"
if [ "$profile" = release ]; then
  binaryen=target/tools/binaryen
  if [ "$(node -p "require('./$binaryen/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$BINARYEN_VERSION.0.0" ]; then
    echo "==> installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
    npm install --prefix "$binaryen" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  fi
  "$binaryen/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$pkg/xops_bg.wasm" -o "$pkg/xops_bg.wasm"
fi
cp style/main.css "$pkg/xops.css"
cp -r public/. "$site/"

hash() { sha256sum "$1" | cut -c1-16; }
js=$(hash "$pkg/xops.js"); wasm=$(hash "$pkg/xops_bg.wasm"); css=$(hash "$pkg/xops.css")
mv "$pkg/xops.js" "$pkg/xops.$js.js"
mv "$pkg/xops_bg.wasm" "$pkg/xops.$wasm.wasm"
mv "$pkg/xops.css" "$pkg/xops.$css.css"
mkdir -p "target/$server_dir"
printf 'js: %s\nwasm: %s\ncss: %s\n' "$js" "$wasm" "$css" > "target/$server_dir/hash.txt"
if [ "$profile" = release ]; then
  node scripts/precompress.mjs "$pkg/xops.$js.js" "$pkg/xops.$wasm.wasm" "$pkg/xops.$css.css"
  # What every first page load fetches besides its HTML (brotli, as browsers get it), against
  # the budget of a whole first load (scripts/bench.sh measures it with the HTML). Printed,
  # never enforced: a page whose code grows shows here first.
  assets=$(( $(stat -c %s "$pkg/xops.$js.js.br") + $(stat -c %s "$pkg/xops.$wasm.wasm.br") + $(stat -c %s "$pkg/xops.$css.css.br") ))
  printf '==> wasm %s B, JS + wasm + CSS %s B compressed: %s the 100 KB budget of a first page load\n' \
    "$(stat -c %s "$pkg/xops.$wasm.wasm.br")" "$assets" "$([ "$assets" -lt 92160 ] && echo "PASS, within" || echo "FAIL, too close to")"
fi

echo "==> building the server ($profile)"
cargo build "${server_targets[@]}" --features ssr "${server_flags[@]}"
