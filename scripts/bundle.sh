#!/usr/bin/env bash
# Lays out what the container image holds (Dockerfile), as a plain folder: the server binary,
# hash.txt beside it (the content-hashed asset names) and the site. Migrations are compiled
# into the binary. tests/integration/image.rs runs the portal from such a folder.
# Usage: scripts/bundle.sh <folder with the built server, e.g. target/release> <out folder>
set -euo pipefail
built=$1
out=$2
for need in "$built/xops" "$built/hash.txt" "$built/site/pkg"; do
  [ -e "$need" ] || { echo "$need is missing: build first (scripts/build.sh)" >&2; exit 1; }
done
mkdir -p "$out"
cp "$built/xops" "$built/hash.txt" "$out/"
rm -rf "$out/site"
cp -r "$built/site" "$out/site"
